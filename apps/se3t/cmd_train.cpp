// `se3t train CONFIG.toml`: trains an N-body model (SE(3)-Transformer or TFN) from a config.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "commands.h"
#include "se3t/train/config.h"
#include "se3t/train/json.h"
#include "se3t/train/molecule_config.h"
#include "se3t/train/molecule_trainer.h"
#include "se3t/train/trainer.h"

namespace se3t::cli {

namespace {

struct Options {
  std::string config, out, data;
  bool resume = false, quiet = false;
  int64_t epochs = -1, threads = -1;
  std::optional<uint64_t> seed;
};

// The command that continues an interrupted run with the same overrides.
std::string resume_hint(const Options& opts) {
  std::string s = "se3t train " + opts.config + " --resume";
  if (!opts.out.empty()) s += " --out " + opts.out;
  if (!opts.data.empty()) s += " --data " + opts.data;
  if (opts.seed) s += " --seed " + std::to_string(*opts.seed);
  if (opts.epochs >= 0) s += " --epochs " + std::to_string(opts.epochs);
  if (opts.threads >= 0) s += " --threads " + std::to_string(opts.threads);
  return s;
}

int train_molecules_command(const Options& opts) {
  const MoleculeConfig config = MoleculeConfig::load(opts.config);
  TrainOverrides ov;
  ov.resume = opts.resume;
  ov.out_dir = opts.out;
  ov.data_dir = opts.data;
  ov.epochs = opts.epochs;
  ov.threads = opts.threads;
  ov.seed = opts.seed;
  ov.verbose = !opts.quiet;
  const MoleculeTrainResult r = train_molecules(config, ov);
  std::printf(
      "{\"task\": \"molecules\", \"out_dir\": %s, \"interrupted\": %s, \"epochs\": %lld, "
      "\"steps\": %lld, \"threads\": %lld, \"wall_s\": %s, \"test\": %s}\n",
      json_string(r.out_dir).c_str(), r.interrupted ? "true" : "false",
      static_cast<long long>(r.epochs_done), static_cast<long long>(r.steps),
      static_cast<long long>(r.threads), json_number(r.wall_s, 6).c_str(),
      r.test.num_molecules > 0 ? r.test.to_json().c_str() : "null");
  std::fflush(stdout);
  if (r.interrupted) {
    std::fprintf(stderr, "se3t train: interrupted; continue with: %s\n", resume_hint(opts).c_str());
    return 130;
  }
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "train", "Train an N-body or molecule model (SE(3)-Transformer or TFN) from a TOML config.");
  cmd->footer(
      "Trains the N-body model described by a TOML config ([data], [model], [train]; see\n"
      "configs/nbody_quick.toml). Generates the data set in [data].dir if it is missing. Writes\n"
      "to the output directory: checkpoint.pt (every epoch, atomically), config.toml,\n"
      "metrics.csv, metrics.jsonl, learning_curve.svg and, at the end, test_metrics.json; prints\n"
      "a JSON summary on stdout. Ctrl-C finishes the current step, writes a checkpoint and exits\n"
      "with status 130; --resume continues it bit-exactly (same thread count).\n"
      "Model type 'linear' trains nothing and evaluates the Linear baseline.\n"
      "A config with task = \"molecules\" (configs/qm7_energy.toml, amons_forces.toml,\n"
      "qm9_homo.toml) trains a molecular energy (+ force) model instead; --data then replaces\n"
      "[data].file.");
  cmd->add_option("config", opts->config, "TOML config file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--resume", opts->resume, "continue the checkpoint.pt in the output directory");
  cmd->add_option("--out", opts->out, "output directory (overrides [train].out_dir)");
  cmd->add_option("--data", opts->data, "data directory (overrides [data].dir)");
  cmd->add_option("--epochs", opts->epochs,
                  "total epochs (overrides [train].epochs; the cosine schedule follows it)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", opts->threads,
                  "intra-op threads (overrides [train].threads; 0: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--seed", opts->seed,
                  "initialisation and data-order seed (overrides [train].seed; the data split "
                  "keeps its own seed): train ensemble members from one config");
  cmd->add_flag("--quiet", opts->quiet, "no progress or log lines on stderr");
  cmd->callback([opts] {
    run_guarded("train", [&] {
      // task = "molecules" selects the molecule trainer; N-body is the default.
      if (config_task(opts->config) == "molecules") return train_molecules_command(*opts);
      const Config config = Config::parse(config_text_without_task(opts->config), opts->config);
      TrainOverrides ov;
      ov.resume = opts->resume;
      ov.out_dir = opts->out;
      ov.data_dir = opts->data;
      ov.epochs = opts->epochs;
      ov.threads = opts->threads;
      ov.seed = opts->seed;
      ov.verbose = !opts->quiet;
      const TrainResult r = train_nbody(config, ov);
      std::printf(
          "{\"model\": %s, \"out_dir\": %s, \"interrupted\": %s, \"epochs\": %lld, "
          "\"steps\": %lld, \"threads\": %lld, \"wall_s\": %s, \"test\": %s}\n",
          json_string(config.model.type).c_str(), json_string(r.out_dir).c_str(),
          r.interrupted ? "true" : "false", static_cast<long long>(r.epochs_done),
          static_cast<long long>(r.steps), static_cast<long long>(r.threads),
          json_number(r.wall_s, 6).c_str(),
          r.test.num_samples > 0 ? r.test.to_json().c_str() : "null");
      std::fflush(stdout);
      if (r.interrupted) {
        std::fprintf(stderr, "se3t train: interrupted; continue with: %s\n",
                     resume_hint(*opts).c_str());
        return 130;
      }
      return 0;
    });
  });
}

}  // namespace se3t::cli

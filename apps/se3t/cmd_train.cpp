// `se3t train CONFIG.toml`: trains the task of a config (N-body or molecules) with the one
// training loop (se3t/train/fit.h).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "se3t/distributed/communicator.h"
#include "se3t/distributed/launcher.h"
#include "se3t/distributed/world.h"
#include "se3t/tasks/registry.h"
#include "se3t/train/fit.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"

namespace se3t::cli {

namespace {

struct Options {
  std::string config, out, data, show_config;
  bool resume = false, overwrite = false, quiet = false;
  int64_t epochs = -1, threads = -1, stop_after = -1;
  int nproc = 0;
  std::optional<uint64_t> seed;
};

// The command line of a worker of --nproc: this one without --nproc.
std::vector<std::string> worker_args(const Options& o) {
  std::vector<std::string> a{"train", o.config};
  if (o.resume) a.push_back("--resume");
  if (o.overwrite) a.push_back("--overwrite");
  if (o.quiet) a.push_back("--quiet");
  for (const auto& [flag, value] :
       {std::pair<const char*, std::string>{"--out", o.out}, {"--data", o.data}}) {
    if (!value.empty()) a.insert(a.end(), {flag, value});
  }
  for (const auto& [flag, value] : {std::pair<const char*, int64_t>{"--epochs", o.epochs},
                                    {"--threads", o.threads},
                                    {"--stop-after", o.stop_after}}) {
    if (value >= 0) a.insert(a.end(), {flag, std::to_string(value)});
  }
  if (o.seed) a.insert(a.end(), {"--seed", std::to_string(*o.seed)});
  return a;
}

// The command that continues an interrupted run with the same overrides.
std::string resume_hint(const Options& opts) {
  std::string s = "se3t train " + opts.config + " --resume";
  if (!opts.out.empty()) s += " --out " + opts.out;
  if (!opts.data.empty()) s += " --data " + opts.data;
  if (opts.seed) s += " --seed " + std::to_string(*opts.seed);
  if (opts.epochs >= 0) s += " --epochs " + std::to_string(opts.epochs);
  if (opts.threads >= 0) s += " --threads " + std::to_string(opts.threads);
  if (opts.nproc > 1) s += " --nproc " + std::to_string(opts.nproc);
  return s;
}

int train(const Options& opts) {
  if (!opts.show_config.empty()) {
    std::printf("%s", default_config(opts.show_config)->describe().c_str());
    return 0;
  }
  SE3T_CHECK(!opts.config.empty(), "give a config file (or --show-config TASK)");
  const std::unique_ptr<Task> task = load_task(opts.config);
  const distributed::World world = distributed::world_from_environment();
  if (opts.nproc > 1) {
    SE3T_CHECK(world.size == 1,
               "--nproc starts local workers itself: unset WORLD_SIZE (the "
               "torchrun variables alone make this process one rank of a larger job)");
    // The config was read above: a bad one fails here once rather than in every worker.
    const int code = distributed::launch_local_workers(opts.nproc, worker_args(opts), std::cerr);
    if (code == 130) {
      std::fprintf(stderr, "se3t train: interrupted; continue with: %s\n",
                   resume_hint(opts).c_str());
    }
    return code;
  }
  FitOptions fo;
  fo.resume = opts.resume;
  fo.overwrite = opts.overwrite;
  fo.out_dir = opts.out;
  fo.data = opts.data;
  fo.epochs = opts.epochs;
  fo.threads = opts.threads;
  fo.seed = opts.seed;
  fo.verbose = !opts.quiet;
  fo.stop_after_steps = opts.stop_after;
  if (world.size > 1) {
    fo.threads = distributed::threads_per_process(
        opts.threads >= 0 ? opts.threads : task->config().train.threads, world);
    fo.communicator = std::make_shared<distributed::Communicator>(
        world, task->config().train.collective_timeout_s);
  }
  const FitResult r = fit(*task, fo);
  if (world.rank != 0) return r.interrupted ? 130 : 0;  // rank 0 reports
  std::printf(
      "{\"task\": %s, \"model\": %s, \"out_dir\": %s, \"interrupted\": %s, \"epochs\": %lld, "
      "\"steps\": %lld, \"threads\": %lld, \"wall_s\": %s, \"test\": %s}\n",
      json_string(task->config().task()).c_str(), json_string(task->config().model.type).c_str(),
      json_string(r.out_dir).c_str(), r.interrupted ? "true" : "false",
      static_cast<long long>(r.epochs_done), static_cast<long long>(r.steps),
      static_cast<long long>(r.threads), json_number(r.wall_s, 6).c_str(),
      r.test.count > 0 ? r.test.json.c_str() : "null");
  std::fflush(stdout);
  if (r.interrupted) {
    // Workers of --nproc leave the hint to their launcher.
    if (world.local_size == 1 || world.size != world.local_size) {
      std::fprintf(stderr, "se3t train: interrupted; continue with: %s\n",
                   resume_hint(opts).c_str());
    }
    return 130;
  }
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "train", "Train a model (SE(3)-Transformer or TFN) from a TOML config: N-body or molecules.");
  cmd->footer(
      "The config's top-level `task` picks what is trained: \"nbody\" (the default; configs/\n"
      "nbody_quick.toml) or \"molecules\" (configs/qm7_energy.toml, amons_forces.toml,\n"
      "qm9_homo.toml). Every task shares the network's [model] keys and the engine's [train]\n"
      "keys, and adds its own: its [data], its output head and its loss (N-body: residual,\n"
      "velocity_weight, time_reversal, charge_flip). `se3t train --show-config TASK` prints\n"
      "every key with its default and meaning.\n"
      "\n"
      "Writes to the output directory: checkpoint.pt (every epoch, atomically), best_model.pt\n"
      "(lowest validation loss, when there is a validation split), config.toml, metrics.csv,\n"
      "metrics.jsonl, learning_curve.svg and, at the end, test_metrics.json (of best_model.pt);\n"
      "prints a JSON summary on stdout. N-body generates its data set in [data].dir if it is\n"
      "missing. Ctrl-C finishes the current step, writes a checkpoint and exits with status\n"
      "130; --resume continues it bit-exactly (same thread count). A directory holding a run's\n"
      "files is never trained into again without --resume or --overwrite, and one run at a\n"
      "time writes into a directory (a lock). N-body model type 'linear'\n"
      "trains nothing and evaluates the Linear baseline.");
  cmd->add_option("config", opts->config, "TOML config file")->check(CLI::ExistingFile);
  cmd->add_option("--show-config", opts->show_config,
                  "print the default config of a task (nbody | molecules) with every key "
                  "explained, and exit")
      ->check(CLI::IsMember(task_names()));
  cmd->add_flag("--resume", opts->resume, "continue the checkpoint.pt in the output directory");
  cmd->add_flag("--overwrite", opts->overwrite,
                "replace the files of an earlier run in the output directory")
      ->excludes("--resume");
  cmd->add_option("--out", opts->out, "output directory (overrides [train].out_dir)");
  cmd->add_option("--data", opts->data,
                  "data location (overrides N-body [data].dir, molecules [data].file)");
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
  cmd->add_option("--stop-after", opts->stop_after,
                  "stop as if interrupted after this many optimizer steps of this invocation "
                  "(checkpoint, exit status 130; e.g. to fit a time-limited allocation)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--nproc", opts->nproc,
                  "data parallelism: start this many worker processes on this machine, each "
                  "with --threads threads (0 threads: the cores shared among them), and wait "
                  "for them; the torchrun variables (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, "
                  "RANK, LOCAL_RANK) without --nproc make this process one rank of a job")
      ->check(CLI::Range(1, 1024));
  cmd->callback([opts] { run_guarded("train", [&] { return train(*opts); }); });
}

}  // namespace se3t::cli

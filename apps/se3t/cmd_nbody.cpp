// `se3t nbody generate`: simulates the charged-particle N-body data sets (docs/design.md, N-body
// experiment) and writes them in the NRI / EGNN .npy layout.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "se3t/data/nbody_files.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"
#include "se3t/util/progress.h"
#include "se3t/util/threads.h"

namespace se3t::cli {

void add_nbody_command(CLI::App& app) {
  struct Options {
    std::string protocol, out, config;
    int64_t seed = -1, num_train = -1, num_valid = -1, num_test = -1, threads = 0;
    bool overwrite = false;
  };
  auto opts = std::make_shared<Options>();
  auto* nbody = app.add_subcommand(
      "nbody", "N-body data sets of charged particles (the SE(3)-Transformer paper's task).");
  nbody->require_subcommand(1);
  auto* gen = nbody->add_subcommand(
      "generate", "Simulate an N-body data set (paper or EGNN protocol) as .npy files.");
  gen->footer(
      "Simulates the train/valid/test splits of an N-body protocol and write them to --out as\n"
      "loc_<split>_<tag>.npy, vel_<split>_<tag>.npy, charges_<split>_<tag>.npy (NRI/EGNN\n"
      "layout: [sims, frames, 3, n] float64) plus se3t_nbody.txt describing the set.\n"
      "Protocols: 'paper' (5 particles, walls every step, 49 frames 100 steps apart, target 500\n"
      "steps ahead; 5,000 train / 1,000 test) and 'egnn' (walls only at the start, frames\n"
      "30 -> 40; 3,000 train / 2,000 valid / 2,000 test). With --config the protocol, seed,\n"
      "directory and sizes come from the file's [data] table; flags override it. A directory that "
      "already holds a data set is\n"
      "refused unless --overwrite.");
  gen->add_option("--protocol", opts->protocol, "paper | egnn (default: paper)")
      ->check(CLI::IsMember({"paper", "egnn"}));
  gen->add_option("--out", opts->out, "output directory (created if missing)");
  gen->add_option("--config", opts->config, "take the [data] settings from this TOML config")
      ->check(CLI::ExistingFile);
  gen->add_option("--seed", opts->seed, "simulation seed (default 0)")
      ->check(CLI::NonNegativeNumber);
  gen->add_option("--num-train", opts->num_train, "training simulations (default: protocol's)")
      ->check(CLI::NonNegativeNumber);
  gen->add_option("--num-valid", opts->num_valid, "validation simulations (default: protocol's)")
      ->check(CLI::NonNegativeNumber);
  gen->add_option("--num-test", opts->num_test, "test simulations (default: protocol's)")
      ->check(CLI::NonNegativeNumber);
  gen->add_option("--threads", opts->threads, "threads for the simulations (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  gen->add_flag("--overwrite", opts->overwrite,
                "replace a data set already in the output directory (else refused)");
  gen->callback([opts] {
    run_guarded("nbody generate", [&] {
      NBodyDataConfig d = NBodyConfig().data;
      if (!opts->config.empty()) {
        d = NBodyConfig::load(opts->config).data;
      }
      if (!opts->protocol.empty() && opts->protocol != d.protocol) {
        // Protocol defaults for whatever the flags below do not set.
        d.protocol = opts->protocol;
        d.use_protocol_defaults();
      }
      if (!opts->out.empty()) d.dir = opts->out;
      SE3T_CHECK(!opts->config.empty() || !opts->out.empty(),
                 "give --out DIR (or --config FILE with [data].dir)");
      if (opts->seed >= 0) d.seed = static_cast<uint64_t>(opts->seed);
      if (opts->num_train >= 0) d.num_train = opts->num_train;
      if (opts->num_valid >= 0) d.num_valid = opts->num_valid;
      if (opts->num_test >= 0) d.num_test = opts->num_test;
      configure_threads(opts->threads);
      ProgressBar bar(stderr_is_tty());
      const NBodyProgress progress = [&](const std::string& split, int64_t done, int64_t total) {
        if (bar.enabled()) {
          bar.update("simulating " + split, done, total, "");
          if (done == total) bar.clear();
        }
        if (done == total) {
          std::fprintf(stderr, "se3t nbody generate: %s: %lld simulations\n", split.c_str(),
                       static_cast<long long>(total));
        }
      };
      bar.start();
      const NBodyDataInfo info = generate_nbody_data(d.dir, d.protocol, d.nbody_options(), d.seed,
                                                     progress, opts->overwrite);
      std::printf(
          "{\"dir\": %s, \"protocol\": %s, \"seed\": %llu, \"tag\": %s, "
          "\"num_train\": %lld, \"num_valid\": %lld, \"num_test\": %lld}\n",
          json_string(d.dir).c_str(), json_string(info.protocol).c_str(),
          static_cast<unsigned long long>(info.seed), json_string(info.tag).c_str(),
          static_cast<long long>(info.options.num_train),
          static_cast<long long>(info.options.num_valid),
          static_cast<long long>(info.options.num_test));
      return 0;
    });
  });
}

}  // namespace se3t::cli

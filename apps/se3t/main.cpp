// se3t command line: a thin layer over the library. Each subcommand lives in its own file.
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "commands.h"
#include "se3t/util/runtime.h"

int main(int argc, char** argv) {
  CLI::App app{
      "se3t: SE(3)-Transformers and Tensor Field Networks in C++.\n"
      "Networks whose outputs rotate exactly with their 3D inputs."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "se3t 0.1.0");
  se3t::cli::add_selfcheck_command(app);
  se3t::cli::add_nbody_command(app);
  se3t::cli::add_train_command(app);
  se3t::cli::add_eval_command(app);
  se3t::cli::add_predict_command(app);
  se3t::cli::add_bench_command(app);
  // Malloc tuning and OpenBLAS at one thread for every subcommand, keeping LibTorch's thread
  // count; subcommands with --threads set their own.
  se3t::configure_runtime(static_cast<int>(at::get_num_threads()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

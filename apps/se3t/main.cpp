// se3t command line: a thin layer over the library. Each subcommand lives in its own file.
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "se3t/util/runtime.h"
#include "sharding.h"

int main(int argc, char** argv) {
  se3t::restart_with_better_blas_kernels(argv);
  CLI::App app{
      "se3t: SE(3)-Transformers and Tensor Field Networks in C++.\n"
      "Networks whose outputs rotate exactly with their 3D inputs."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "se3t 0.1.0");
  se3t::cli::remember_command_line(argc, argv);
  se3t::cli::add_selfcheck_command(app);
  se3t::cli::add_nbody_command(app);
  se3t::cli::add_train_command(app);
  se3t::cli::add_eval_command(app);
  se3t::cli::add_predict_command(app);
  se3t::cli::add_bench_command(app);
  se3t::cli::add_md_command(app);
  se3t::cli::add_serve_command(app);
  se3t::cli::add_export_kim_command(app);
  // Malloc tuning and OpenBLAS at one thread for every subcommand, keeping LibTorch's thread
  // count; subcommands with --threads set their own.
  se3t::configure_runtime(static_cast<int>(at::get_num_threads()));
  // CLI11 would say "A subcommand is required" for a misspelt one: name it and the nearest.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
    }
    const std::string given = argv[1];
    if (std::find(names.begin(), names.end(), given) == names.end()) {
      std::cerr << "se3t: unknown command '" << given << "'";
      const std::string near = se3t::cli::nearest(given, names);
      if (!near.empty()) std::cerr << "; did you mean '" << near << "'?";
      std::cerr << "\nCommands: ";
      for (size_t k = 0; k < names.size(); ++k) std::cerr << (k ? ", " : "") << names[k];
      std::cerr << ". Run se3t --help for more information.\n";
      return 106;  // CLI11's exit code for a parse error
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

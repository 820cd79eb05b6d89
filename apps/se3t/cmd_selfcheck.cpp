// `se3t selfcheck`: measures the equivariance errors of the SO(3) core on this machine.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "se3t/so3/self_check.h"

namespace se3t::cli {

void add_selfcheck_command(CLI::App& app) {
  struct Options {
    int64_t max_degree = 10, basis_degree = 3, rotations = 16;
    uint64_t seed = 0;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "selfcheck",
      "Measure the equivariance errors of the SO(3) core (spherical harmonics, Wigner-D, "
      "Clebsch-Gordan, kernel basis) over random rotations, in float32 and float64; exits 1 "
      "if any error exceeds its tolerance (1e-5 float32, 1e-12 float64).");
  cmd->add_option("--max-degree", opts->max_degree, "highest harmonic degree checked")
      ->capture_default_str()
      ->check(CLI::Range(0, 30));
  cmd->add_option("--basis-degree", opts->basis_degree, "highest kernel-basis degree checked")
      ->capture_default_str()
      ->check(CLI::Range(0, 8));
  cmd->add_option("--rotations", opts->rotations, "number of random rotations")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--seed", opts->seed, "random seed")->capture_default_str();
  cmd->callback([opts] {
    run_guarded("selfcheck", [&] {
      const auto results =
          so3_self_check(opts->max_degree, opts->basis_degree, opts->rotations, opts->seed);
      bool ok = true;
      std::printf("%-64s %-8s %12s %10s  %s\n", "check", "dtype", "rel. error", "tolerance",
                  "result");
      for (const auto& r : results) {
        std::printf("%-64s %-8s %12.3e %10.0e  %s\n", r.name.c_str(), r.dtype.c_str(), r.error,
                    r.tolerance, r.passed() ? "ok" : "FAILED");
        ok = ok && r.passed();
      }
      std::printf("%s\n", ok ? "all equivariance checks passed" : "SOME CHECKS FAILED");
      return ok ? 0 : 1;
    });
  });
}

}  // namespace se3t::cli

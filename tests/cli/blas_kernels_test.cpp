// The se3t program chooses OpenBLAS kernels the CPU can run fast: OpenBLAS 0.3.21 falls back to
// its generic Prescott kernels on CPUs newer than itself, and se3t then restarts itself with
// OPENBLAS_CORETYPE set (src/util/runtime.cpp). A choice the user made is kept.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "common/run_command.h"

namespace se3t {
namespace {

using testing::run_command;
using testing::se3t_program;

// The kernels `se3t bench` reports, and the edge count (to see the arguments survived).
struct Reported {
  std::string kernels;
  std::string edges;
};

Reported bench_with(const std::vector<std::string>& env) {
  std::vector<std::string> args = {"/usr/bin/env"};
  args.insert(args.end(), env.begin(), env.end());
  for (const char* a :
       {"bench", "nbody", "--steps", "1", "--warmup", "0", "--batch", "2", "--no-backward"})
    args.push_back(a);
  args.insert(args.begin() + 1 + env.size(), se3t_program());
  const auto r = run_command(args, 120);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Reported rep;
  std::smatch m;
  if (std::regex_search(r.out, m, std::regex("OpenBLAS ([A-Za-z0-9]+)"))) rep.kernels = m[1];
  if (std::regex_search(r.out, m, std::regex("edges ([0-9]+)"))) rep.edges = m[1];
  return rep;
}

TEST(BlasKernels, NeverTheGenericKernelsOnAnAvx2Cpu) {
  const Reported rep = bench_with({"-u", "OPENBLAS_CORETYPE"});
  if (rep.kernels.empty()) GTEST_SKIP() << "the build's BLAS is not OpenBLAS";
  EXPECT_EQ(rep.edges, "40");  // 2 systems x 5 particles x 4 neighbours: --batch 2 survived
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_NE(rep.kernels, "Prescott");
  }
#endif
}

TEST(BlasKernels, TheUsersChoiceIsKept) {
  const Reported rep = bench_with({"OPENBLAS_CORETYPE=Prescott"});
  if (rep.kernels.empty()) GTEST_SKIP() << "the build's BLAS is not OpenBLAS";
  EXPECT_EQ(rep.kernels, "Prescott");
  EXPECT_EQ(rep.edges, "40");
}

}  // namespace
}  // namespace se3t

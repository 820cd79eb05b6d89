// The float32 multiply-add peak `se3t bench` reads the contraction's GFLOP/s against: measured
// on x86-64 CPUs with AVX2+FMA or AVX-512F, within what such a core can do, and reported.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/run_command.h"
#include "se3t/util/fma_peak.h"

namespace se3t {
namespace {

using testing::run_command;
using testing::se3t_program;

bool has_fma_instructions() {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512f") ||
         (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
#else
  return false;
#endif
}

TEST(FmaPeak, MeasuredWithinWhatACoreCanDo) {
  const double peak = fma_peak_gflops();
  const std::string isa = fma_peak_instructions();
  if (!has_fma_instructions()) {
    EXPECT_EQ(peak, 0.0);
    EXPECT_TRUE(isa.empty());
    GTEST_SKIP() << "no AVX2+FMA or AVX-512F on this CPU";
  }
  EXPECT_FALSE(isa.empty());
  ASSERT_TRUE(std::isfinite(peak));
  // Two 512-bit pipes x 16 lanes x 2 FLOPs = 64 FLOP per cycle; no core runs at 6 GHz. A count
  // of FLOPs per iteration twice too high would read above this on the fastest cores.
  EXPECT_LT(peak, 64.0 * 6.0);
  // Even a shared 1.5 GHz core running one 256-bit multiply-add per cycle does 24 GFLOP/s;
  // a tenth of that allows for a heavily loaded machine.
  EXPECT_GT(peak, 2.4);
}

TEST(FmaPeak, BenchReportsTheContractionsShareOfIt) {
  const auto r = run_command({se3t_program(), "bench", "nbody", "--steps", "1", "--warmup", "0",
                              "--batch", "2", "--no-backward", "--json"},
                             120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto field = [&](const std::string& name) {
    const auto at = r.out.find("\"" + name + "\": ");
    EXPECT_NE(at, std::string::npos) << name << " in " << r.out;
    return at == std::string::npos ? -1.0 : std::stod(r.out.substr(at + name.size() + 4));
  };
  const double peak = field("fma_peak_gflops_per_core");
  const double share = field("contraction_peak_fraction");
  const double rate = field("contraction_gflops_per_s");
  if (!has_fma_instructions()) {
    EXPECT_EQ(peak, 0.0);
    EXPECT_EQ(share, 0.0);
    return;
  }
  EXPECT_GT(peak, 0.0);
  EXPECT_NEAR(share, rate / peak, 1e-6 * (1 + rate / peak));  // one thread
}

}  // namespace
}  // namespace se3t

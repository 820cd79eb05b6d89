// `se3t bench --precision`: the precision that actually ran is reported (bf16-radial only on a
// CPU with AVX512-BF16 and the fused path), and an unknown one is refused.
#include <gtest/gtest.h>

#include <string>

#include "common/run_command.h"
#include "se3t/nn/radial_precision.h"

namespace se3t {
namespace {

using testing::run_command;
using testing::se3t_program;

testing::CommandResult bench(const std::string& precision, const std::string& path) {
  return run_command({se3t_program(), "bench", "nbody", "--steps", "1", "--warmup", "0", "--batch",
                      "2", "--no-backward", "--json", "--precision", precision, "--path", path},
                     120);
}

TEST(BenchPrecision, ReportsThePrecisionThatRan) {
  const auto bf16 = bench("bf16-radial", "fused");
  ASSERT_EQ(bf16.exit_code, 0) << bf16.err;
  const std::string want = bf16_radial_available() ? "bf16-radial" : "float32";
  EXPECT_NE(bf16.out.find("\"precision\": \"" + want + "\""), std::string::npos) << bf16.out;
  // The reference path has no bfloat16 kernels.
  const auto ref = bench("bf16-radial", "reference");
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  EXPECT_NE(ref.out.find("\"precision\": \"float32\""), std::string::npos) << ref.out;
}

TEST(BenchPrecision, RefusesAnUnknownPrecision) {
  const auto r = bench("bf16", "fused");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("--precision"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace se3t

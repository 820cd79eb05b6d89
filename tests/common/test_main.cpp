// The main() of every test program: GoogleTest's, with LibTorch's default generator seeded.
// LibTorch seeds that generator from the operating system in each process, so a model built
// without an explicit generator would get new weights on every run and a tolerance met by
// most draws would fail on some: every test process starts from the same seed instead.
// SE3T_TEST_SEED=n draws other weights (to look for draws a tolerance does not cover).
// The program also restarts with the OpenBLAS kernels the se3t program would use.
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include "se3t/util/runtime.h"

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
  // The BLAS kernels the se3t program chooses, so results compared with it match to the bit.
  se3t::restart_with_better_blas_kernels(argv);
  uint64_t seed = 20200617;  // any fixed value
  if (const char* s = std::getenv("SE3T_TEST_SEED"); s && *s) {
    seed = std::strtoull(s, nullptr, 10);
    std::cout << "SE3T_TEST_SEED=" << seed << "\n";
  }
  at::manual_seed(seed);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

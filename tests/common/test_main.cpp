// The main() of every test program without its own: GoogleTest's, after init_test_process.
#include <gtest/gtest.h>

#include "common/testing.h"

int main(int argc, char** argv) {
  se3t::testing::init_test_process(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

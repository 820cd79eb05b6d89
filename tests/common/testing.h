// Shared helpers for the se3t tests: seeded randomness, error measures, data paths.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace se3t::testing {

// Deterministic CPU generator for a test (seeded per test so failures reproduce).
at::Generator make_generator(uint64_t seed);

// First thing in every test program's main (tests/common/test_main.cpp has the usual one).
// Restarts with the OpenBLAS kernels the se3t program would choose, so results compared with
// it match to the bit. Seeds LibTorch's default generator, which LibTorch seeds from the
// operating system in each process: a model built without an explicit generator would get
// new weights on every run, and a tolerance met by most draws would fail on some.
// SE3T_TEST_SEED=n draws other weights (to look for draws a tolerance does not cover).
void init_test_process(char** argv);

// max |a - b| / max(|b|, tiny): the relative error measure used for equivariance checks.
double relative_error(const at::Tensor& a, const at::Tensor& b);
// max |a - b|.
double max_abs_diff(const at::Tensor& a, const at::Tensor& b);

// The whole content of a text file ("" when it cannot be read).
std::string read_text(const std::string& path);

// The number after "key": in a JSON text (NaN, with a test failure, when it is not there).
double json_number_field(const std::string& json, const std::string& key);

// Repository root (for data files), from the SE3T_SOURCE_DIR environment / compile definition.
std::string source_dir();

}  // namespace se3t::testing

#include "common/testing.h"

#include <ATen/CPUGeneratorImpl.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "se3t/util/runtime.h"

namespace se3t::testing {

void init_test_process(char** argv) {
  restart_with_better_blas_kernels(argv);
  uint64_t seed = 20200617;  // any fixed value
  if (const char* s = std::getenv("SE3T_TEST_SEED"); s && *s) {
    seed = std::strtoull(s, nullptr, 10);
    std::cout << "SE3T_TEST_SEED=" << seed << "\n";
  }
  at::manual_seed(seed);
}

at::Generator make_generator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

double relative_error(const at::Tensor& a, const at::Tensor& b) {
  const double scale = b.abs().max().item<double>();
  return (a - b).abs().max().item<double>() / std::max(scale, 1e-300);
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double json_number_field(const std::string& json, const std::string& key) {
  const std::regex re("\"" + key + "\": ([-+0-9.eE]+)");
  std::smatch m;
  if (std::regex_search(json, m, re)) return std::stod(m[1]);
  ADD_FAILURE() << "no number \"" << key << "\" in " << json;
  return std::nan("");
}

std::string source_dir() {
  if (const char* env = std::getenv("SE3T_SOURCE_DIR")) return env;
#ifdef SE3T_SOURCE_DIR
  return SE3T_SOURCE_DIR;
#else
  return ".";
#endif
}

}  // namespace se3t::testing

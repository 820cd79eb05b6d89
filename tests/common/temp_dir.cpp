#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <stdexcept>
#include <system_error>

namespace se3t::testing {

TempDir::TempDir(const std::string& name) {
  // mkdtemp gives a name no other process or test uses, so tests may run in parallel.
  std::string tmpl =
      (std::filesystem::temp_directory_path() / ("se3t_" + name + "_XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("TempDir: mkdtemp failed for " + tmpl);
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool holds_temporary_file(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) return false;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp") != std::string::npos) return true;
  }
  return false;
}

}  // namespace se3t::testing

#include "se3t/util/output_path.h"

#include <filesystem>
#include <system_error>

#include "se3t/util/check.h"

namespace se3t {

namespace fs = std::filesystem;

namespace {

// Same file: the same inode when both exist (hard links, symlinks), else the same normal path.
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

}  // namespace

void check_output_path(const std::string& out, const std::vector<std::string>& inputs,
                       bool overwrite, const std::string& option) {
  SE3T_CHECK(!out.empty(), option, ": empty output path");
  for (const std::string& in : inputs) {
    SE3T_CHECK(in.empty() || !same_file(out, in), option, " ", out, " is the input ", in,
               ": an output is never written over an input; choose another file");
  }
  std::error_code ec;
  SE3T_CHECK(!fs::is_directory(out, ec), option, " ", out, " is a directory; give a file name");
  SE3T_CHECK(overwrite || !fs::exists(out, ec), option, " ", out,
             " already exists: pass --overwrite to replace it, or choose another file");
}

}  // namespace se3t

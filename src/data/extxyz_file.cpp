// read_extxyz(path): plain files are streamed, .gz files decompressed whole first (zlib).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "se3t/data/extxyz.h"
#include "se3t/util/check.h"
#include "se3t/util/gzip_file.h"

namespace se3t {

std::vector<Frame> read_extxyz(const std::string& path) {
  std::error_code ec;
  // An ifstream "opens" a directory and then reads nothing; say what is wrong instead.
  SE3T_CHECK(!std::filesystem::is_directory(path, ec), "read_extxyz: ", path,
             " is a directory, expected an extended XYZ file");
  if (has_gz_suffix(path)) {
    std::istringstream in(read_maybe_gzip(path, "read_extxyz"));
    return read_extxyz(in, path);
  }
  std::ifstream in(path);
  SE3T_CHECK(in.is_open(), "read_extxyz: cannot open ", path);
  return read_extxyz(in, path);
}

}  // namespace se3t

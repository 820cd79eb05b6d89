#include "se3t/util/save_archive.h"

#include <torch/serialize/output-archive.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "se3t/util/check.h"

namespace se3t {

void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path,
                         const std::string& what) {
  const std::string tmp = path + ".tmp";
  try {
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::remove(tmp.c_str());
    SE3T_CHECK(false, "cannot write ", what, " '", tmp, "': ", e.what_without_backtrace());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::remove(tmp.c_str());
  SE3T_CHECK(!ec, "cannot rename ", tmp, " to ", path, ": ", ec.message());
}

}  // namespace se3t

#include "se3t/util/gzip_file.h"

#include <zlib.h>

#include <memory>

#include "se3t/util/check.h"

namespace se3t {

bool has_gz_suffix(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

std::string read_maybe_gzip(const std::string& path, const std::string& what) {
  // gzread passes files that are not gzip-compressed through unchanged.
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  SE3T_CHECK(file != nullptr, what, ": cannot open '", path, "'");
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const int n = gzread(file.get(), buffer, sizeof(buffer));
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      SE3T_CHECK(false, what, ": cannot read '", path, "': ", message);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  // zlib ends a stream cut short without an error from gzread (a file may still be growing);
  // for a finished file it is damage, not the end of the data.
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  SE3T_CHECK(code == Z_OK, what, ": '", path, "' is truncated or damaged: ", message);
  // gzread passed the bytes through: a file named .gz that is not gzip is a mistake to name,
  // not a file of some other content.
  SE3T_CHECK(!has_gz_suffix(path) || gzdirect(file.get()) == 0, what, ": '", path,
             "' is named .gz but is not gzip-compressed (no gzip header); rename it without .gz "
             "if it is a plain file");
  return text;
}

}  // namespace se3t

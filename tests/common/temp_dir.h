// TempDir: a fresh, unique directory under the system temp dir, removed with the object.
#pragma once
#include <filesystem>
#include <string>

namespace se3t::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string str() const { return path_.string(); }
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Whether `dir` (if it exists) holds a file whose name contains ".tmp": what an atomic write
// that failed or was interrupted would leave behind.
bool holds_temporary_file(const std::filesystem::path& dir);

}  // namespace se3t::testing

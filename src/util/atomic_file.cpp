#include "se3t/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "se3t/util/check.h"

namespace se3t {

namespace {

std::string reason(int error) {
  return std::string(std::strerror(error)) + " (errno " + std::to_string(error) + ")";
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string what)
    : path_(std::move(path)), tmp_(path_ + ".tmp"), what_(std::move(what)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SE3T_CHECK(fd_ >= 0, "cannot write ", what_, " '", path_, "': cannot create '", tmp_,
             "': ", reason(errno));
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (fd_ >= 0) ::close(fd_);
  ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0 && error_ == 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno != EINTR) error_ = errno;
      continue;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::fail(const std::string& action, int error) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
  SE3T_CHECK(false, "cannot write ", what_, " '", path_, "': ", action, ": ", reason(error),
             "; any previous file of that name is unchanged");
}

void AtomicFile::commit() {
  SE3T_CHECK(!committed_, "AtomicFile::commit: '", path_, "' is already committed");
  if (error_ != 0) fail("write failed", error_);
  // fsync before rename: after a power loss the new name holds the new bytes or the old file.
  if (::fsync(fd_) != 0) fail("fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close failed", errno);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail("rename failed", errno);
  committed_ = true;
}

void write_file_atomic(const std::string& path, std::string_view bytes, const std::string& what) {
  AtomicFile file(path, what);
  file.write(bytes);
  file.commit();
}

}  // namespace se3t

#include "se3t/util/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "se3t/util/check.h"

namespace se3t {

RunLock::RunLock(const std::string& dir, const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  SE3T_CHECK(!ec, "cannot create directory '", dir, "': ", ec.message());
  const std::string path = (std::filesystem::path(dir) / ".se3t.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  SE3T_CHECK(fd_ >= 0, "cannot open lock file '", path, "': ", std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char buf[32] = {0};
    const ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
    ::close(fd_);
    fd_ = -1;
    const std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    SE3T_CHECK(error != EWOULDBLOCK, "directory '", dir,
               "' is in use by another se3t process (pid ", holder,
               "): wait for it to finish or choose another directory for this ", what);
    SE3T_CHECK(false, "cannot lock '", path, "': ", std::strerror(error));
  }
  // The holder's pid, for the message above (informational only: the lock is the flock).
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace se3t

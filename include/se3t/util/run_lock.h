// RunLock: an exclusive advisory lock (flock) on DIR/.se3t.lock for as long as one process
// writes into DIR, so two runs started into one directory cannot interleave their files: the
// second is refused at once, naming the process that holds the lock. The kernel releases the
// lock when its holder exits, however it exits (even SIGKILL), so a stale lock file is harmless.
#pragma once
#include <string>

namespace se3t {

class RunLock {
 public:
  // Creates DIR if needed and takes the lock; throws se3t::Error if another process holds it.
  // `what` names the work in the error ("training run", "N-body data set", ...).
  RunLock(const std::string& dir, const std::string& what);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace se3t

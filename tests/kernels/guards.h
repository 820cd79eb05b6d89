// Scoped settings for the kernel tests: the process-wide kernel path and the intra-op thread
// count, restored when the test ends.
#pragma once
#include <ATen/Parallel.h>

#include "se3t/nn/kernel_path.h"

namespace se3t::testing {

class PathGuard {
 public:
  explicit PathGuard(KernelPath path) : old_(default_kernel_path()) {
    set_default_kernel_path(path);
  }
  ~PathGuard() { set_default_kernel_path(old_); }

 private:
  KernelPath old_;
};

// Runs with n intra-op threads, so work split across tasks is exercised.
class ThreadsGuard {
 public:
  explicit ThreadsGuard(int n) : old_(at::get_num_threads()) { at::set_num_threads(n); }
  ~ThreadsGuard() { at::set_num_threads(old_); }

 private:
  int old_;
};

}  // namespace se3t::testing

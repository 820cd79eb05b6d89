// Scoped settings for the kernel tests: the process-wide kernel path, the intra-op thread
// count and the AVX-512 kernels, restored when the test ends.
#pragma once
#include <ATen/Parallel.h>

#include "kernels/batched_matmul_avx512.h"
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

// Runs the portable loops in place of the AVX-512 kernels while alive.
class PortableLoops {
 public:
  PortableLoops() { kernels::avx512::set_enabled(false); }
  ~PortableLoops() { kernels::avx512::set_enabled(true); }
};

}  // namespace se3t::testing

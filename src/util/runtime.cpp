#include "se3t/util/runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <thread>

namespace se3t {

void configure_runtime(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  // OpenBLAS reads OPENBLAS_NUM_THREADS when it loads, before main: set it through its API,
  // looked up at run time so a build on another BLAS still links and runs.
  set_blas_threads(1);
  // Serve large blocks from the heap and never trim it.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
}

void set_blas_threads(int threads) {
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    fn(std::max(1, threads));
  }
}

std::string blas_kernels() {
  using CoreName = char* (*)();
  const auto fn = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  const char* core = fn ? fn() : nullptr;
  return core ? std::string("OpenBLAS ") + core : std::string("unknown BLAS");
}

}  // namespace se3t

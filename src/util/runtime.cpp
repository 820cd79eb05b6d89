#include "se3t/util/runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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

std::string better_blas_coretype() {
  if (std::getenv("OPENBLAS_CORETYPE")) return "";  // the user's choice
  if (blas_kernels() != "OpenBLAS Prescott") return "";
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  // SkylakeX: OpenBLAS's AVX-512 kernels (F, CD, BW, DQ, VL); Haswell: AVX2 with FMA.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return "";
}

void restart_with_better_blas_kernels(char** argv) {
  const std::string core = better_blas_coretype();
  if (core.empty()) return;
  // Set before the restart, so the restarted program finds it set and never restarts again.
  if (setenv("OPENBLAS_CORETYPE", core.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // execv failed: go on as before
}

}  // namespace se3t

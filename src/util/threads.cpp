#include "se3t/util/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "se3t/util/check.h"
#include "se3t/util/runtime.h"

namespace se3t {

int64_t configure_threads(int64_t threads) {
  SE3T_CHECK(threads >= 0 && threads <= 1024, "threads must be in [0, 1024] (0: all cores), got ",
             threads);
  // More threads than cores oversubscribe them: every parallel region then waits for its
  // slowest, descheduled thread. Allowed (a shared machine may want it), but said.
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0 && threads > static_cast<int64_t>(cores)) {
    std::fprintf(stderr,
                 "se3t: warning: %lld threads requested but this machine has %u cores; runs are "
                 "usually fastest with at most one thread per core\n",
                 static_cast<long long>(threads), cores);
  }
  // ATen's OpenMP pool in charge, OpenBLAS at one thread, malloc keeping freed memory.
  configure_runtime(static_cast<int>(threads));
  setenv("OPENBLAS_NUM_THREADS", "1", 1);  // for child processes (read by OpenBLAS at load)
  return at::get_num_threads();
}

int64_t openblas_threads() {
  using get_fn = int (*)();
  auto f = reinterpret_cast<get_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return f ? f() : 0;
}

}  // namespace se3t

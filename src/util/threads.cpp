#include "se3t/util/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <cstdlib>

#include "se3t/util/check.h"
#include "se3t/util/runtime.h"

namespace se3t {

int64_t configure_threads(int64_t threads) {
  SE3T_CHECK(threads >= 0 && threads <= 1024, "threads must be in [0, 1024] (0: all cores), got ",
             threads);
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

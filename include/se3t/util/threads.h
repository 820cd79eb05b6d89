// Thread setup for training and evaluation (docs/design.md, Threads: Debian's LibTorch starts with
// ONE intra-op thread, and OpenMP threads plus OpenBLAS's own pool oversubscribe small machines).
#pragma once
#include <cstdint>

namespace se3t {

// configure_runtime (se3t/util/runtime.h) with a check: LibTorch's intra-op threads set to
// `threads` (0: all hardware threads), OpenBLAS kept at one thread, malloc keeping freed memory.
// OPENBLAS_NUM_THREADS is read by OpenBLAS's load-time constructor, so it is set in the
// environment for child processes only. Returns the LibTorch thread count now in effect.
int64_t configure_threads(int64_t threads);

// OpenBLAS's thread count, or 0 when OpenBLAS is not loaded.
int64_t openblas_threads();

}  // namespace se3t

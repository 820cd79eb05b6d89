// Process-wide settings that decide CPU speed on small machines, applied once at start-up by
// the command line and the benchmarks.
#pragma once
#include <string>

namespace se3t {

// Sets ATen's intra-op thread count (Debian's LibTorch starts with one), keeps OpenBLAS at one
// thread so its own pool does not oversubscribe the cores ATen's OpenMP pool already uses, and
// tells malloc to keep freed memory: large tensors are otherwise returned to the kernel on
// every free and page-faulted back in on the next step, which costs more than the arithmetic
// on these VMs (measured ~24 us per fresh 4 KiB page). threads <= 0 means all cores.
void configure_runtime(int threads);

// OpenBLAS's own thread count (configure_runtime sets 1). More is only safe where no BLAS call
// runs inside at::parallel_for: the reference path, whose large radial GEMMs are single calls.
void set_blas_threads(int threads);

// The BLAS kernels in use, e.g. "OpenBLAS Cooperlake", or "unknown BLAS" when it cannot tell.
// OpenBLAS picks them for the CPU when it loads, unless OPENBLAS_CORETYPE forces a type: on
// this project's AVX-512 development VM, forcing Haswell (AVX2) made the fused contraction's
// radial GEMMs 1.15-1.3x slower than the AVX-512 kernels OpenBLAS chooses itself.
std::string blas_kernels();

}  // namespace se3t

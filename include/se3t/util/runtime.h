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
// an AVX-512 VM, forcing Haswell (AVX2) made the fused contraction's radial GEMMs 1.15-1.3x
// slower than AVX-512 kernels.
std::string blas_kernels();

// The OPENBLAS_CORETYPE to ask for when OpenBLAS fell back to its generic Prescott (SSE3)
// kernels on a CPU that has AVX2 or AVX-512: OpenBLAS 0.3.21 (Debian 12) identifies CPUs by
// model number, so one released after it (Intel family 6 model 207 is one) gets Prescott, and
// the network's GEMMs run 1.5x slower. Empty when the kernels in use are fine, when
// OPENBLAS_CORETYPE is already set, or when the BLAS is not OpenBLAS.
std::string better_blas_coretype();

// Restarts the program (execv of /proc/self/exe, same arguments) with OPENBLAS_CORETYPE set to
// better_blas_coretype() when that is not empty: OpenBLAS reads the variable only when it
// loads. Returns (and the program goes on with the kernels it has) when there is nothing
// better or the restart fails. Call first thing in main(), before any thread starts.
void restart_with_better_blas_kernels(char** argv);

}  // namespace se3t

// Process-wide settings that decide CPU speed on small machines, applied once at start-up by
// the command line and the benchmarks.
#pragma once

namespace se3t {

// Sets ATen's intra-op thread count (Debian's LibTorch starts with one), keeps OpenBLAS at one
// thread so its own pool does not oversubscribe the cores ATen's OpenMP pool already uses, and
// tells malloc to keep freed memory: large tensors are otherwise returned to the kernel on
// every free and page-faulted back in on the next step, which costs more than the arithmetic
// on these VMs (measured ~24 us per fresh 4 KiB page). threads <= 0 means all cores.
void configure_runtime(int threads);

}  // namespace se3t

#pragma once

namespace se3t {

// The float32 multiply-add rate one core of this CPU reaches, in GFLOP/s: the yardstick for
// the kernels' GFLOP/s (`se3t bench` prints the contraction's share of it). Measured, not
// looked up: ~30 ms of 12 independent 512-bit (AVX-512F) or 256-bit (AVX2 with FMA)
// multiply-adds per iteration, best of three, on the calling thread. 0 on CPUs with neither
// (and off x86-64). A busy core reads low.
double fma_peak_gflops();

// "AVX-512F", "AVX2+FMA" or "" : the instructions fma_peak_gflops() measures.
const char* fma_peak_instructions();

}  // namespace se3t

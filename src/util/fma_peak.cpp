#include "se3t/util/fma_peak.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace se3t {

namespace {

#if defined(__x86_64__) && defined(__GNUC__)
// 12 independent accumulators cover the multiply-add latency (4 cycles) of two pipes. The whole
// loop is one assembly block, so the compiler can neither merge the chains nor spill them, and
// every register starts at zero (0 x 0 + 0: no denormals, whose assists would slow the loop).
#define SE3T_ZERO16                                                          \
  "vxorps %%xmm0, %%xmm0, %%xmm0\n\tvxorps %%xmm1, %%xmm1, %%xmm1\n\t"       \
  "vxorps %%xmm4, %%xmm4, %%xmm4\n\tvxorps %%xmm5, %%xmm5, %%xmm5\n\t"       \
  "vxorps %%xmm6, %%xmm6, %%xmm6\n\tvxorps %%xmm7, %%xmm7, %%xmm7\n\t"       \
  "vxorps %%xmm8, %%xmm8, %%xmm8\n\tvxorps %%xmm9, %%xmm9, %%xmm9\n\t"       \
  "vxorps %%xmm10, %%xmm10, %%xmm10\n\tvxorps %%xmm11, %%xmm11, %%xmm11\n\t" \
  "vxorps %%xmm12, %%xmm12, %%xmm12\n\tvxorps %%xmm13, %%xmm13, %%xmm13\n\t" \
  "vxorps %%xmm14, %%xmm14, %%xmm14\n\tvxorps %%xmm15, %%xmm15, %%xmm15\n\t"
// clang-format off
#define SE3T_FMA(R, D) "vfmadd231ps %%" R "0, %%" R "1, %%" R D "\n\t"
#define SE3T_FMA12(R)                                                                  \
  SE3T_FMA(R, "4") SE3T_FMA(R, "5") SE3T_FMA(R, "6") SE3T_FMA(R, "7") SE3T_FMA(R, "8") \
  SE3T_FMA(R, "9") SE3T_FMA(R, "10") SE3T_FMA(R, "11") SE3T_FMA(R, "12")               \
  SE3T_FMA(R, "13") SE3T_FMA(R, "14") SE3T_FMA(R, "15")
// clang-format on
#define SE3T_CLOBBERS                                                                        \
  "xmm0", "xmm1", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", \
      "xmm13", "xmm14", "xmm15", "cc"

__attribute__((target("avx512f"))) void loop_avx512(int64_t n) {
  __asm__ volatile(SE3T_ZERO16 "1:\n\t" SE3T_FMA12("zmm") "dec %0\n\tjnz 1b"
                   : "+r"(n)
                   :
                   : SE3T_CLOBBERS);
}

__attribute__((target("avx2,fma"))) void loop_avx2(int64_t n) {
  __asm__ volatile(SE3T_ZERO16 "1:\n\t" SE3T_FMA12("ymm") "dec %0\n\tjnz 1b"
                   : "+r"(n)
                   :
                   : SE3T_CLOBBERS);
}
#undef SE3T_ZERO16
#undef SE3T_FMA
#undef SE3T_FMA12
#undef SE3T_CLOBBERS

bool has_avx512() {
  return __builtin_cpu_supports("avx512f");
}
bool has_avx2_fma() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

}  // namespace

const char* fma_peak_instructions() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (has_avx512()) return "AVX-512F";
  if (has_avx2_fma()) return "AVX2+FMA";
#endif
  return "";
}

double fma_peak_gflops() {
#if defined(__x86_64__) && defined(__GNUC__)
  const bool wide = has_avx512();
  if (!wide && !has_avx2_fma()) return 0;
  const double flops_per_iteration = 12.0 * 2.0 * (wide ? 16 : 8);
  constexpr int64_t kIterations = int64_t(1) << 21;  // ~10 ms at 200 GFLOP/s
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    wide ? loop_avx512(kIterations) : loop_avx2(kIterations);
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    best = std::max(best, flops_per_iteration * double(kIterations) / dt.count() * 1e-9);
  }
  return best;
#else
  return 0;
#endif
}

}  // namespace se3t

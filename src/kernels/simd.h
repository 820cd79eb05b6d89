// Building blocks of the hand-written CPU kernels (private to src/kernels).
//
// The library is built for generic x86-64, so the hot loops are compiled for AVX-512, AVX2 and
// the baseline (GCC target_clones) and picked at load time. The loops are written so GCC
// vectorises them without reassociating floating-point sums (no -ffast-math): unit-stride
// axpy updates, and dot products over a register's worth of partial sums.
#pragma once
#include <cstdint>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SE3T_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SE3T_CLONES
#endif
#define SE3T_INLINE inline __attribute__((always_inline))
// The same for a lambda's call operator (written after its parameter list): a lambda is a
// function of its own, compiled for the baseline unless inlined into its caller's clone.
#define SE3T_INLINE_LAMBDA __attribute__((always_inline))

namespace se3t::kernels::simd {

// A GCC vector of L lanes of T, aligned like T so that it loads from any element: the
// avx512f clone keeps a 64-byte vector in one zmm register, the avx2 clone in two ymm, the
// baseline in four xmm. Register-blocked loops hold arrays of these in registers.
template <typename T, int L>
struct Vec {
  typedef T type __attribute__((vector_size(L * sizeof(T)), aligned(sizeof(T))));
};

// sum_i a[i] b[i], accumulated in 512 bits of independent partial sums.
template <typename T>
SE3T_INLINE T dot(const T* a, const T* b, int64_t n) {
  constexpr int64_t L = 64 / sizeof(T);
  T lanes[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int64_t j = 0; j < L; ++j) lanes[j] += a[i + j] * b[i + j];
  T s = 0;
  for (; i < n; ++i) s += a[i] * b[i];
  for (int64_t j = 0; j < L; ++j) s += lanes[j];
  return s;
}

// y += a x
template <typename T>
SE3T_INLINE void axpy(T a, const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// y = a x
template <typename T>
SE3T_INLINE void scale_to(T a, const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a * x[i];
}

}  // namespace se3t::kernels::simd

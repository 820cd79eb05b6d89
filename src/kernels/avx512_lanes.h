// 512-bit vectors of float or double for the AVX-512 kernels (private to src/kernels): one
// interface for both types, so each kernel is written once. Include only inside a region
// compiled for AVX-512F (`#pragma GCC target("avx512f")`), and call only where
// avx512::supported().
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace se3t::kernels::avx512 {

template <typename T>
struct Lanes;

template <>
struct Lanes<float> {
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int64_t L = 16;
  static Mask mask(int64_t r) { return r >= L ? Mask(0xFFFF) : Mask((1u << r) - 1); }
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  // Lane j of permute(a, idx, b) is a[idx[j]] for idx[j] < L, else b[idx[j] - L].
  using Index = int32_t;
  static __m512i indices(const Index* p) { return _mm512_loadu_si512(p); }
  static V permute(V a, __m512i idx, V b) { return _mm512_permutex2var_ps(a, idx, b); }
  static void store(float* p, Mask m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  // Halves, quarters, then within 128 bits. The masked forms name their pass-through operand:
  // GCC 12's unmasked ones take an "undefined" one that -Wmaybe-uninitialized flags.
  static float sum(V v) {
    v = _mm512_add_ps(v, _mm512_mask_shuffle_f32x4(v, 0xFFFF, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm512_add_ps(v, _mm512_mask_shuffle_f32x4(v, 0xFFFF, v, v, _MM_SHUFFLE(2, 3, 0, 1)));
    v = _mm512_add_ps(v, _mm512_mask_permute_ps(v, 0xFFFF, v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm512_add_ps(v, _mm512_mask_permute_ps(v, 0xFFFF, v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm512_cvtss_f32(v);
  }
};

template <>
struct Lanes<double> {
  using V = __m512d;
  using Mask = __mmask8;
  static constexpr int64_t L = 8;
  static Mask mask(int64_t r) { return r >= L ? Mask(0xFF) : Mask((1u << r) - 1); }
  static V zero() { return _mm512_setzero_pd(); }
  static V set1(double x) { return _mm512_set1_pd(x); }
  static V load(Mask m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  using Index = int64_t;
  static __m512i indices(const Index* p) { return _mm512_loadu_si512(p); }
  static V permute(V a, __m512i idx, V b) { return _mm512_permutex2var_pd(a, idx, b); }
  static void store(double* p, Mask m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static double sum(V v) {  // as for float
    v = _mm512_add_pd(v, _mm512_mask_shuffle_f64x2(v, 0xFF, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm512_add_pd(v, _mm512_mask_shuffle_f64x2(v, 0xFF, v, v, _MM_SHUFFLE(2, 3, 0, 1)));
    v = _mm512_add_pd(v, _mm512_mask_permute_pd(v, 0xFF, v, 0x55));
    return _mm512_cvtsd_f64(v);
  }
};

}  // namespace se3t::kernels::avx512

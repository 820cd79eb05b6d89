#include "batched_matmul_avx512.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SE3T_HAS_AVX512_MATMUL 1
#endif

#include <atomic>

namespace se3t::kernels::avx512 {

namespace {
std::atomic<bool> g_enabled{true};
}  // namespace

bool supported() {
#ifdef SE3T_HAS_AVX512_MATMUL
  static const bool has = __builtin_cpu_supports("avx512f");
  return has && g_enabled.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

void set_enabled(bool enabled) {
  g_enabled.store(enabled);
}

bool handles(int64_t p) {
  return p == 1 || p == 3 || p == 5 || p == 7;
}

}  // namespace se3t::kernels::avx512

#ifdef SE3T_HAS_AVX512_MATMUL

#include <immintrin.h>

// Everything below is compiled for AVX-512F and called only when supported() says so.
#pragma GCC push_options
#pragma GCC target("avx512f")

#include "avx512_lanes.h"

namespace se3t::kernels::avx512 {

namespace {

// Rows i .. i + R of out for one column chunk: b's P rows are in registers.
template <typename T, int P, int R>
inline __attribute__((always_inline)) void forward_rows(const T* a, const typename Lanes<T>::V* bv,
                                                        T* out, int64_t q,
                                                        typename Lanes<T>::Mask m) {
  using S = Lanes<T>;
  typename S::V acc[R];
  for (int r = 0; r < R; ++r) acc[r] = S::mul(S::set1(a[r * P]), bv[0]);
  for (int k = 1; k < P; ++k)
    for (int r = 0; r < R; ++r) acc[r] = S::fma(S::set1(a[r * P + k]), bv[k], acc[r]);
  for (int r = 0; r < R; ++r) S::store(out + r * q, m, acc[r]);
}

template <typename T, int P>
void forward(const T* a, const T* b, T* out, int64_t n, int64_t q, int64_t ld, int64_t begin,
             int64_t end) {
  using S = Lanes<T>;
  for (int64_t e = begin; e < end; ++e) {
    const T* ae = a + e * n * P;
    const T* be = b + e * P * q;
    T* oe = out + e * ld;
    for (int64_t c = 0; c < q; c += S::L) {
      const typename S::Mask m = S::mask(q - c);
      typename S::V bv[P];
      for (int k = 0; k < P; ++k) bv[k] = S::load(m, be + k * q + c);
      int64_t i = 0;
      for (; i + 4 <= n; i += 4) forward_rows<T, P, 4>(ae + i * P, bv, oe + i * q + c, q, m);
      for (; i < n; ++i) forward_rows<T, P, 1>(ae + i * P, bv, oe + i * q + c, q, m);
    }
  }
}

template <typename T, int P>
void backward(const T* a, const T* b, const T* g, T* da, T* db, int64_t n, int64_t q, int64_t ld,
              int64_t begin, int64_t end) {
  using S = Lanes<T>;
  for (int64_t e = begin; e < end; ++e) {
    const T* ae = a + e * n * P;
    const T* be = b + e * P * q;
    const T* ge = g + e * ld;
    if (da) {
      // da[i, k] = sum_j g[i, j] b[k, j]: per row, P vector sums over the column chunks.
      T* dae = da + e * n * P;
      for (int64_t i = 0; i < n; ++i) {
        typename S::V s[P];
        for (int k = 0; k < P; ++k) s[k] = S::zero();
        for (int64_t c = 0; c < q; c += S::L) {
          const typename S::Mask m = S::mask(q - c);
          const typename S::V gv = S::load(m, ge + i * q + c);
          for (int k = 0; k < P; ++k) s[k] = S::fma(gv, S::load(m, be + k * q + c), s[k]);
        }
        for (int k = 0; k < P; ++k) dae[i * P + k] = S::sum(s[k]);
      }
    }
    if (db) {
      // db[k, j] = sum_i a[i, k] g[i, j]: two interleaved sums per k hide the FMA latency.
      T* dbe = db + e * P * q;
      for (int64_t c = 0; c < q; c += S::L) {
        const typename S::Mask m = S::mask(q - c);
        typename S::V s0[P], s1[P];
        for (int k = 0; k < P; ++k) s0[k] = S::zero(), s1[k] = S::zero();
        int64_t i = 0;
        for (; i + 2 <= n; i += 2) {
          const typename S::V g0 = S::load(m, ge + i * q + c),
                              g1 = S::load(m, ge + (i + 1) * q + c);
          for (int k = 0; k < P; ++k) {
            s0[k] = S::fma(S::set1(ae[i * P + k]), g0, s0[k]);
            s1[k] = S::fma(S::set1(ae[(i + 1) * P + k]), g1, s1[k]);
          }
        }
        if (i < n) {
          const typename S::V g0 = S::load(m, ge + i * q + c);
          for (int k = 0; k < P; ++k) s0[k] = S::fma(S::set1(ae[i * P + k]), g0, s0[k]);
        }
        for (int k = 0; k < P; ++k) S::store(dbe + k * q + c, m, S::add(s0[k], s1[k]));
      }
    }
  }
}

template <typename T>
void forward_any(const T* a, const T* b, T* out, int64_t n, int64_t p, int64_t q, int64_t ld,
                 int64_t begin, int64_t end) {
  switch (p) {
    case 1:
      return forward<T, 1>(a, b, out, n, q, ld, begin, end);
    case 3:
      return forward<T, 3>(a, b, out, n, q, ld, begin, end);
    case 5:
      return forward<T, 5>(a, b, out, n, q, ld, begin, end);
    case 7:
      return forward<T, 7>(a, b, out, n, q, ld, begin, end);
    default:
      return;  // !handles(p): the caller's portable loops
  }
}

template <typename T>
void backward_any(const T* a, const T* b, const T* g, T* da, T* db, int64_t n, int64_t p, int64_t q,
                  int64_t ld, int64_t begin, int64_t end) {
  switch (p) {
    case 1:
      return backward<T, 1>(a, b, g, da, db, n, q, ld, begin, end);
    case 3:
      return backward<T, 3>(a, b, g, da, db, n, q, ld, begin, end);
    case 5:
      return backward<T, 5>(a, b, g, da, db, n, q, ld, begin, end);
    case 7:
      return backward<T, 7>(a, b, g, da, db, n, q, ld, begin, end);
    default:
      return;
  }
}

}  // namespace

void matmul_edges(const float* a, const float* b, float* out, int64_t n, int64_t p, int64_t q,
                  int64_t ld, int64_t begin, int64_t end) {
  forward_any(a, b, out, n, p, q, ld, begin, end);
}
void matmul_edges(const double* a, const double* b, double* out, int64_t n, int64_t p, int64_t q,
                  int64_t ld, int64_t begin, int64_t end) {
  forward_any(a, b, out, n, p, q, ld, begin, end);
}
void matmul_edges_backward(const float* a, const float* b, const float* g, float* da, float* db,
                           int64_t n, int64_t p, int64_t q, int64_t ld, int64_t begin,
                           int64_t end) {
  backward_any(a, b, g, da, db, n, p, q, ld, begin, end);
}
void matmul_edges_backward(const double* a, const double* b, const double* g, double* da,
                           double* db, int64_t n, int64_t p, int64_t q, int64_t ld, int64_t begin,
                           int64_t end) {
  backward_any(a, b, g, da, db, n, p, q, ld, begin, end);
}

}  // namespace se3t::kernels::avx512

#pragma GCC pop_options

#else  // no AVX-512 code on this compiler or architecture: supported() is false

namespace se3t::kernels::avx512 {
void matmul_edges(const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t, int64_t,
                  int64_t) {}
void matmul_edges(const double*, const double*, double*, int64_t, int64_t, int64_t, int64_t,
                  int64_t, int64_t) {}
void matmul_edges_backward(const float*, const float*, const float*, float*, float*, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t) {}
void matmul_edges_backward(const double*, const double*, const double*, double*, double*, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t) {}
}  // namespace se3t::kernels::avx512

#endif

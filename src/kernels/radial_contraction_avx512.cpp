#include "radial_contraction_avx512.h"

namespace se3t::kernels::avx512 {

bool handles_radial_edge(int64_t M) {
  return M == 1 || M == 3 || M == 5 || M == 7;
}

}  // namespace se3t::kernels::avx512

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)

#include <array>

// Everything below is compiled for AVX-512F and called only when supported() says so.
#pragma GCC push_options
#pragma GCC target("avx512f")

#include "avx512_lanes.h"

namespace se3t::kernels::avx512 {

namespace {

// The permute indices that move between L rows of M values (row-major, M vectors) and M
// columns of L values. Splitting: column m's lane j is the value at j M + m, in vector
// (j M + m) / L; it is assembled from vectors 0 and 1, then 1 .. M - 1 in turn, each step
// taking the lanes that come from its vector and keeping the others. Merging: vector q's lane t
// is column (q L + t) mod M at row (q L + t) / M, assembled from columns 0 and 1, then 2 ...
template <typename T, int M>
struct Permutes {
  using S = Lanes<T>;
  static constexpr int64_t L = S::L;
  static constexpr int kSteps = M > 1 ? M - 1 : 1;
  std::array<typename S::Index, M * kSteps * L> split{}, merge{};

  Permutes() {
    for (int m = 0; m < M; ++m)
      for (int s = 1; s < M; ++s)
        for (int64_t j = 0; j < L; ++j) {
          const int64_t at = j * M + m, from = at / L, lane = at % L;
          split[(m * kSteps + s - 1) * L + j] = s == 1 ? (from == 0   ? lane
                                                          : from == 1 ? L + lane
                                                                      : 0)
                                                       : (from == s ? L + lane : j);
        }
    for (int q = 0; q < M; ++q)
      for (int s = 1; s < M; ++s)
        for (int64_t t = 0; t < L; ++t) {
          const int64_t at = q * L + t, col = at % M, row = at / M;
          merge[(q * kSteps + s - 1) * L + t] = s == 1 ? (col == 0   ? row
                                                          : col == 1 ? L + row
                                                                     : 0)
                                                       : (col == s ? L + row : t);
        }
  }

  static const Permutes& get() {
    static const Permutes p;
    return p;
  }
};

template <typename T, int M, bool kDX>
void edge_backward(const T* R, const T* X, const T* g, T* dR, T* dX, int64_t K, int64_t C) {
  using S = Lanes<T>;
  using V = typename S::V;
  constexpr int64_t L = S::L;
  constexpr int kSteps = Permutes<T, M>::kSteps;
  const Permutes<T, M>& P = Permutes<T, M>::get();
  int64_t c0 = 0;
  for (; c0 + L <= K; c0 += L) {
    V rows[M], x[M], acc[M];
    for (int s = 0; s < M; ++s) rows[s] = S::load(X + c0 * M + s * L);
    for (int m = 0; m < M; ++m) {
      x[m] = rows[0];
      for (int s = 1; s < M; ++s)
        x[m] = S::permute(s == 1 ? rows[0] : x[m], S::indices(&P.split[(m * kSteps + s - 1) * L]),
                          rows[s]);
      acc[m] = S::zero();
    }
    for (int64_t o = 0; o < C; ++o) {
      const T* go = g + o * M;
      V d = S::zero(), r = S::zero();
      if (kDX) r = S::load(R + o * K + c0);
      for (int m = 0; m < M; ++m) {
        const V gm = S::set1(go[m]);
        d = S::fma(gm, x[m], d);
        if (kDX) acc[m] = S::fma(gm, r, acc[m]);
      }
      S::store(dR + o * K + c0, d);
    }
    if (kDX) {
      for (int q = 0; q < M; ++q) {
        V out = acc[0];
        for (int s = 1; s < M; ++s)
          out = S::permute(s == 1 ? acc[0] : out, S::indices(&P.merge[(q * kSteps + s - 1) * L]),
                           acc[s]);
        S::store(dX + c0 * M + q * L, out);
      }
    }
  }
  // The last K mod L columns one at a time.
  for (; c0 < K; ++c0) {
    for (int64_t o = 0; o < C; ++o) {
      T d = 0;
      for (int m = 0; m < M; ++m) d += g[o * M + m] * X[c0 * M + m];
      dR[o * K + c0] = d;
    }
    if (kDX)
      for (int m = 0; m < M; ++m) {
        T s = 0;
        for (int64_t o = 0; o < C; ++o) s += g[o * M + m] * R[o * K + c0];
        dX[c0 * M + m] = s;
      }
  }
}

template <typename T, int M>
void edge_backward_m(const T* R, const T* X, const T* g, T* dR, T* dX, int64_t K, int64_t C) {
  if (R)
    edge_backward<T, M, true>(R, X, g, dR, dX, K, C);
  else
    edge_backward<T, M, false>(R, X, g, dR, dX, K, C);
}

template <typename T>
void edge_backward_any(const T* R, const T* X, const T* g, T* dR, T* dX, int64_t K, int64_t C,
                       int64_t M) {
  switch (M) {
    case 1:
      return edge_backward_m<T, 1>(R, X, g, dR, dX, K, C);
    case 3:
      return edge_backward_m<T, 3>(R, X, g, dR, dX, K, C);
    case 5:
      return edge_backward_m<T, 5>(R, X, g, dR, dX, K, C);
    case 7:
      return edge_backward_m<T, 7>(R, X, g, dR, dX, K, C);
    default:
      return;  // !handles_radial_edge(M): the caller's portable loops
  }
}

}  // namespace

void radial_edge_backward(const float* R, const float* X, const float* g, float* dR, float* dX,
                          int64_t K, int64_t C, int64_t M) {
  edge_backward_any(R, X, g, dR, dX, K, C, M);
}
void radial_edge_backward(const double* R, const double* X, const double* g, double* dR, double* dX,
                          int64_t K, int64_t C, int64_t M) {
  edge_backward_any(R, X, g, dR, dX, K, C, M);
}

}  // namespace se3t::kernels::avx512

#pragma GCC pop_options

#else  // no AVX-512 code on this compiler or architecture: supported() is false

namespace se3t::kernels::avx512 {
void radial_edge_backward(const float*, const float*, const float*, float*, float*, int64_t,
                          int64_t, int64_t) {}
void radial_edge_backward(const double*, const double*, const double*, double*, double*, int64_t,
                          int64_t, int64_t) {}
}  // namespace se3t::kernels::avx512

#endif

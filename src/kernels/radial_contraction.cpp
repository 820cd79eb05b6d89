#include "kernels/radial_contraction.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "batched_matmul_avx512.h"
#include "kernels/batched_matmul.h"
#include "packed_linear.h"
#include "packed_linear_bf16.h"
#include "radial_contraction_avx512.h"
#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"
#include "simd.h"
#include "stacked_products.h"

namespace se3t::kernels {

namespace {

using packed::hidden_grad_block;
using packed::hidden_panels;
using packed::kPanel;
using packed::pack_hidden;
using packed::pack_weights;
using packed::padded_columns;
using packed::radial_block;
using packed::row_stride;
using packed::weight_grad_block;

// ---- the kernel ----------------------------------------------------------------------------
struct Dims {
  int64_t E, H, c_out, K, M, N;  // N = c_out K rows of W
};

// Edges per block. The radial layer of a block streams all of W ([N, H], 2 MB in float32 for
// qm9's degree 3), so a block must hold enough edges to reuse it; its weights R (and dR) take
// ~512k values, which stay in the last-level cache until contracted.
int64_t block_edges(const Dims& d) {
  return std::clamp<int64_t>((int64_t(1) << 19) / std::max<int64_t>(d.N, 1), 1, 128);
}

// Scratch a kernel overwrites before it reads: allocated without std::vector's zero fill.
template <typename T>
class Buffer {
 public:
  explicit Buffer(int64_t n) : p_(new T[size_t(n)]) {}
  T* data() const { return p_.get(); }

 private:
  std::unique_ptr<T[]> p_;
};

// ---- per-edge products ---------------------------------------------------------------------
// Register-blocked for the common M = 2l + 1 <= 7 (degrees up to 3): L lanes of outputs and
// all M of their running sums stay in vector registers across the whole contraction, so each
// load of R feeds M (forward) or 2M (backward) multiply-adds. Other M take unit-stride axpy
// loops. Compiled for AVX-512, AVX2 and the baseline (simd.h).

// At [cols, rows] = A [rows, cols]^T
template <typename T>
SE3T_INLINE void transpose(const T* A, T* At, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) At[c * rows + r] = A[r * cols + c];
}

// Forward, R_e [K, C_out]: out_e[o, m] = sum_c R_e[c, o] X_e[c, m] for o in [o0, o0 + G L). G
// vectors of outputs share each broadcast of X. Each sum waits a multiply-add latency (4 cycles)
// per term and two pipes need 8 in flight, so with fewer than 8 sums the rows c run in U
// interleaved sets, added at the end.
template <typename T, int L, int M, int G>
SE3T_INLINE void forward_lanes(const T* R, const T* X, T* out, int64_t K, int64_t C, int64_t o0) {
  using V = typename simd::Vec<T, L>::type;
  constexpr int U = G * M >= 7 ? 1 : G * M >= 3 ? 2 : 4;
  V acc[U][G][M];
  for (int u = 0; u < U; ++u)
    for (int g = 0; g < G; ++g)
      for (int m = 0; m < M; ++m) acc[u][g][m] = V{};
  const auto row = [&](int64_t c, int u) SE3T_INLINE_LAMBDA {
    V r[G];
    for (int g = 0; g < G; ++g) r[g] = *reinterpret_cast<const V*>(R + c * C + o0 + g * L);
    for (int m = 0; m < M; ++m) {
      const T x = X[c * M + m];
      for (int g = 0; g < G; ++g) acc[u][g][m] += x * r[g];
    }
  };
  int64_t c = 0;
  for (; c + U <= K; c += U)
    for (int u = 0; u < U; ++u) row(c + u, u);
  for (; c < K; ++c) row(c, 0);
  for (int u = 1; u < U; ++u)
    for (int g = 0; g < G; ++g)
      for (int m = 0; m < M; ++m) acc[0][g][m] += acc[u][g][m];
  for (int g = 0; g < G; ++g)
    for (int m = 0; m < M; ++m)
      for (int j = 0; j < L; ++j) out[(o0 + g * L + j) * M + m] = acc[0][g][m][j];
}

template <typename T, int M>
SE3T_INLINE void edge_forward_fixed(const T* R, const T* X, T* out, int64_t K, int64_t C) {
  constexpr int L = 64 / sizeof(T);
  int64_t o0 = 0;
  for (; o0 + 2 * L <= C; o0 += 2 * L) forward_lanes<T, L, M, 2>(R, X, out, K, C, o0);
  for (; o0 + L <= C; o0 += L) forward_lanes<T, L, M, 1>(R, X, out, K, C, o0);
  for (; o0 + L / 2 <= C; o0 += L / 2) forward_lanes<T, L / 2, M, 1>(R, X, out, K, C, o0);
  for (; o0 + L / 4 <= C; o0 += L / 4) forward_lanes<T, L / 4, M, 1>(R, X, out, K, C, o0);
  for (; o0 < C; ++o0) {
    for (int m = 0; m < M; ++m) {
      T s = 0;
      for (int64_t c = 0; c < K; ++c) s += R[c * C + o0] * X[c * M + m];
      out[o0 * M + m] = s;
    }
  }
}

// Any M; acc is [M, C_out] scratch.
template <typename T>
SE3T_INLINE void edge_forward(const T* R, const T* X, T* out, T* acc, int64_t K, int64_t C,
                              int64_t M) {
  switch (M) {
    case 1:
      return edge_forward_fixed<T, 1>(R, X, out, K, C);
    case 3:
      return edge_forward_fixed<T, 3>(R, X, out, K, C);
    case 5:
      return edge_forward_fixed<T, 5>(R, X, out, K, C);
    case 7:
      return edge_forward_fixed<T, 7>(R, X, out, K, C);
    default:
      break;
  }
  std::fill(acc, acc + M * C, T(0));
  for (int64_t c = 0; c < K; ++c)
    for (int64_t m = 0; m < M; ++m) simd::axpy(X[c * M + m], R + c * C, acc + m * C, C);
  for (int64_t o = 0; o < C; ++o)
    for (int64_t m = 0; m < M; ++m) out[o * M + m] = acc[m * C + o];
}

// Backward, R_e / dR_e [C_out, K], Xt / dXt [M, K], for c in [c0, c0 + L):
// dR_e[o, c] = sum_m g_e[o, m] X_e[c, m] and (kDX) dX_e[c, m] = sum_o R_e[o, c] g_e[o, m].
template <typename T, int L, int M, bool kDX>
SE3T_INLINE void backward_lanes(const T* R, const T* Xt, const T* g, T* dR, T* dXt, int64_t K,
                                int64_t C, int64_t c0) {
  using V = typename simd::Vec<T, L>::type;
  V xt[M], acc[M];
  for (int m = 0; m < M; ++m) {
    xt[m] = *reinterpret_cast<const V*>(Xt + m * K + c0);
    acc[m] = V{};
  }
  for (int64_t o = 0; o < C; ++o) {
    V d = V{}, r = V{};
    if (kDX) r = *reinterpret_cast<const V*>(R + o * K + c0);
    for (int m = 0; m < M; ++m) {
      const T gm = g[o * M + m];
      d += gm * xt[m];
      if (kDX) acc[m] += gm * r;
    }
    *reinterpret_cast<V*>(dR + o * K + c0) = d;
  }
  if (kDX)
    for (int m = 0; m < M; ++m) *reinterpret_cast<V*>(dXt + m * K + c0) = acc[m];
}

template <typename T, int M, bool kDX>
SE3T_INLINE void edge_backward_fixed(const T* R, const T* Xt, const T* g, T* dR, T* dXt, int64_t K,
                                     int64_t C) {
  constexpr int L = 64 / sizeof(T);
  int64_t c0 = 0;
  for (; c0 + L <= K; c0 += L) backward_lanes<T, L, M, kDX>(R, Xt, g, dR, dXt, K, C, c0);
  for (; c0 + L / 2 <= K; c0 += L / 2)
    backward_lanes<T, L / 2, M, kDX>(R, Xt, g, dR, dXt, K, C, c0);
  for (; c0 + L / 4 <= K; c0 += L / 4)
    backward_lanes<T, L / 4, M, kDX>(R, Xt, g, dR, dXt, K, C, c0);
  for (; c0 < K; ++c0) {
    if (kDX)
      for (int m = 0; m < M; ++m) dXt[m * K + c0] = 0;
    for (int64_t o = 0; o < C; ++o) {
      T d = 0;
      for (int m = 0; m < M; ++m) {
        d += g[o * M + m] * Xt[m * K + c0];
        if (kDX) dXt[m * K + c0] += g[o * M + m] * R[o * K + c0];
      }
      dR[o * K + c0] = d;
    }
  }
}

// Any M (R may be null: dX not needed). Xt and dXt are [M, K] scratch.
template <typename T>
SE3T_INLINE void edge_backward(const T* R, const T* X, const T* g, T* dR, T* dX, T* Xt, T* dXt,
                               int64_t K, int64_t C, int64_t M) {
  transpose(X, Xt, K, M);
  bool done = true;
  switch (M * 2 + (R ? 1 : 0)) {
    case 2:
      edge_backward_fixed<T, 1, false>(R, Xt, g, dR, dXt, K, C);
      break;
    case 3:
      edge_backward_fixed<T, 1, true>(R, Xt, g, dR, dXt, K, C);
      break;
    case 6:
      edge_backward_fixed<T, 3, false>(R, Xt, g, dR, dXt, K, C);
      break;
    case 7:
      edge_backward_fixed<T, 3, true>(R, Xt, g, dR, dXt, K, C);
      break;
    case 10:
      edge_backward_fixed<T, 5, false>(R, Xt, g, dR, dXt, K, C);
      break;
    case 11:
      edge_backward_fixed<T, 5, true>(R, Xt, g, dR, dXt, K, C);
      break;
    case 14:
      edge_backward_fixed<T, 7, false>(R, Xt, g, dR, dXt, K, C);
      break;
    case 15:
      edge_backward_fixed<T, 7, true>(R, Xt, g, dR, dXt, K, C);
      break;
    default:
      done = false;
  }
  if (!done) {
    for (int64_t o = 0; o < C; ++o) {
      T* d = dR + o * K;
      simd::scale_to(g[o * M], Xt, d, K);
      for (int64_t m = 1; m < M; ++m) simd::axpy(g[o * M + m], Xt + m * K, d, K);
    }
    if (R) {
      std::fill(dXt, dXt + M * K, T(0));
      for (int64_t o = 0; o < C; ++o)
        for (int64_t m = 0; m < M; ++m) simd::axpy(g[o * M + m], R + o * K, dXt + m * K, K);
    }
  }
  if (R) transpose(dXt, dX, M, K);
}

SE3T_CLONES void edge_forward_f(const float* R, const float* X, float* out, float* acc, int64_t K,
                                int64_t C, int64_t M) {
  edge_forward(R, X, out, acc, K, C, M);
}
SE3T_CLONES void edge_forward_d(const double* R, const double* X, double* out, double* acc,
                                int64_t K, int64_t C, int64_t M) {
  edge_forward(R, X, out, acc, K, C, M);
}
SE3T_CLONES void edge_backward_f(const float* R, const float* X, const float* g, float* dR,
                                 float* dX, float* Xt, float* dXt, int64_t K, int64_t C,
                                 int64_t M) {
  edge_backward(R, X, g, dR, dX, Xt, dXt, K, C, M);
}
SE3T_CLONES void edge_backward_d(const double* R, const double* X, const double* g, double* dR,
                                 double* dX, double* Xt, double* dXt, int64_t K, int64_t C,
                                 int64_t M) {
  edge_backward(R, X, g, dR, dX, Xt, dXt, K, C, M);
}
SE3T_CLONES void radial_block_f(const float* h, const float* Wp, const float* bp, int64_t nb,
                                int64_t H, int64_t Np, int64_t ldr, float* R) {
  radial_block(h, Wp, bp, nb, H, Np, ldr, R);
}
SE3T_CLONES void radial_block_d(const double* h, const double* Wp, const double* bp, int64_t nb,
                                int64_t H, int64_t Np, int64_t ldr, double* R) {
  radial_block(h, Wp, bp, nb, H, Np, ldr, R);
}
void radial_block_any(const float* h, const float* Wp, const float* bp, int64_t nb, int64_t H,
                      int64_t Np, int64_t ldr, float* R) {
  radial_block_f(h, Wp, bp, nb, H, Np, ldr, R);
}
void radial_block_any(const double* h, const double* Wp, const double* bp, int64_t nb, int64_t H,
                      int64_t Np, int64_t ldr, double* R) {
  radial_block_d(h, Wp, bp, nb, H, Np, ldr, R);
}
SE3T_CLONES void weight_grad_block_f(const float* h, const float* dR, int64_t nb, int64_t H,
                                     int64_t Np, int64_t ldr, float* dWp, float* db) {
  weight_grad_block(h, dR, nb, H, Np, ldr, dWp, db);
}
SE3T_CLONES void weight_grad_block_d(const double* h, const double* dR, int64_t nb, int64_t H,
                                     int64_t Np, int64_t ldr, double* dWp, double* db) {
  weight_grad_block(h, dR, nb, H, Np, ldr, dWp, db);
}
void weight_grad_block_any(const float* h, const float* dR, int64_t nb, int64_t H, int64_t Np,
                           int64_t ldr, float* dWp, float* db) {
  weight_grad_block_f(h, dR, nb, H, Np, ldr, dWp, db);
}
void weight_grad_block_any(const double* h, const double* dR, int64_t nb, int64_t H, int64_t Np,
                           int64_t ldr, double* dWp, double* db) {
  weight_grad_block_d(h, dR, nb, H, Np, ldr, dWp, db);
}
SE3T_CLONES void hidden_grad_block_f(const float* dR, const float* Wh, int64_t nb, int64_t H,
                                     int64_t N, int64_t ldr, float* sums, float* dh) {
  hidden_grad_block(dR, Wh, nb, H, N, ldr, sums, dh);
}
SE3T_CLONES void hidden_grad_block_d(const double* dR, const double* Wh, int64_t nb, int64_t H,
                                     int64_t N, int64_t ldr, double* sums, double* dh) {
  hidden_grad_block(dR, Wh, nb, H, N, ldr, sums, dh);
}
void hidden_grad_block_any(const float* dR, const float* Wh, int64_t nb, int64_t H, int64_t N,
                           int64_t ldr, float* sums, float* dh) {
  hidden_grad_block_f(dR, Wh, nb, H, N, ldr, sums, dh);
}
void hidden_grad_block_any(const double* dR, const double* Wh, int64_t nb, int64_t H, int64_t N,
                           int64_t ldr, double* sums, double* dh) {
  hidden_grad_block_d(dR, Wh, nb, H, N, ldr, sums, dh);
}
void edge_forward_any(const float* R, const float* X, float* out, float* acc, int64_t K, int64_t C,
                      int64_t M) {
  edge_forward_f(R, X, out, acc, K, C, M);
}
void edge_forward_any(const double* R, const double* X, double* out, double* acc, int64_t K,
                      int64_t C, int64_t M) {
  edge_forward_d(R, X, out, acc, K, C, M);
}
// With AVX-512, X and dX are moved between rows and columns in registers rather than through
// the scratch Xt / dXt (kernels/radial_contraction_avx512.h).
bool use_avx512(int64_t M) {
  return avx512::supported() && avx512::handles_radial_edge(M);
}
void edge_backward_any(const float* R, const float* X, const float* g, float* dR, float* dX,
                       float* Xt, float* dXt, int64_t K, int64_t C, int64_t M) {
  if (use_avx512(M)) return avx512::radial_edge_backward(R, X, g, dR, dX, K, C, M);
  edge_backward_f(R, X, g, dR, dX, Xt, dXt, K, C, M);
}
void edge_backward_any(const double* R, const double* X, const double* g, double* dR, double* dX,
                       double* Xt, double* dXt, int64_t K, int64_t C, int64_t M) {
  if (use_avx512(M)) return avx512::radial_edge_backward(R, X, g, dR, dX, K, C, M);
  edge_backward_d(R, X, g, dR, dX, Xt, dXt, K, C, M);
}

// The radial layer of one block, in T or (bf16: float only) with bfloat16 products.
template <typename T>
void radial_layer(const T* h, const T* Wp, const T* bp, const bf16::PackedWeights* wb,
                  bf16::BlockScratch* s, int64_t nb, int64_t H, int64_t Np, int64_t ldr, T* R) {
  if constexpr (std::is_same_v<T, float>) {
    if (wb) return bf16::radial_block(h, *wb, bp, nb, ldr, R, *s);
  }
  radial_block_any(h, Wp, bp, nb, H, Np, ldr, R);
}

// Where a block's basis-contracted features X come from: the stacked tensor [E, K, M], or
// (fused, X null) the basis products a_i b_i of the block's edges, computed into a per-thread
// buffer (kernels/stacked_products.h); then the gradient of X goes back to a and b per block
// too (da, db: null when not needed), so neither X nor its gradient exists for all edges.
template <typename T>
struct FeatureSource {
  const T* X = nullptr;
  const stacked::Layout* layout = nullptr;
  const T* const* a = nullptr;
  const T* const* b = nullptr;
  T* const* da = nullptr;
  T* const* db = nullptr;
  bool grads = false;  // fused: some da or db is wanted

  bool fused() const { return X == nullptr; }
  const T* block(int64_t e0, int64_t nb, const Dims& d, T* buffer) const {
    if (!fused()) return X + e0 * d.K * d.M;
    stacked::forward_block(*layout, a, b, buffer, e0, nb);
    return buffer;
  }
};

// bf16: the radial layer's products in bfloat16 (T = float on a CPU with AVX512-BF16 only).
template <typename T>
void forward_kernel(const T* h, const FeatureSource<T>& src, const T* W, const T* b, T* out,
                    const Dims& d, bool bf16) {
  const int64_t B = block_edges(d), Np = padded_columns<T>(d.N), ldr = row_stride<T>(d.N);
  std::vector<T> Wp(static_cast<size_t>(Np * d.H)), bp(static_cast<size_t>(Np));
  pack_weights(W, b, d.N, d.H, /*c_out=*/d.c_out, Wp.data(), bp.data());
  std::optional<bf16::PackedWeights> wb;
  if constexpr (std::is_same_v<T, float>) {
    if (bf16) wb = bf16::pack(Wp.data(), Np, d.H);
  }
  at::parallel_for(0, d.E, B, [&](int64_t begin, int64_t end) {
    // Buffers per task, never per edge.
    const Buffer<T> R(B * ldr), Xb(src.fused() ? B * d.K * d.M : 0);  // written before read
    std::vector<T> acc(size_t(d.M * d.c_out));
    std::optional<bf16::BlockScratch> s;
    if (wb) s.emplace(B, d.H, ldr, /*gradients=*/false);
    for (int64_t e0 = begin; e0 < end; e0 += B) {
      const int64_t nb = std::min(B, end - e0);
      const T* X = src.block(e0, nb, d, Xb.data());
      radial_layer(h + e0 * d.H, Wp.data(), bp.data(), wb ? &*wb : nullptr, s ? &*s : nullptr, nb,
                   d.H, Np, ldr, R.data());
      for (int64_t i = 0; i < nb; ++i) {
        edge_forward_any(R.data() + i * ldr, X + i * d.K * d.M, out + (e0 + i) * d.c_out * d.M,
                         acc.data(), d.K, d.c_out, d.M);
      }
    }
  });
}

// Gradients given g = dL/dout [E, C_out, M]; a null output pointer means "not needed".
// dW and db are summed per task into acc[task] = [dW packed in panels (padded N x H) |
// db (padded N)] and reduced and unpacked by the caller: no synchronisation in the loops.
// dR rows are padded like R, their padding zero.
// dX: X's gradient [E, K, M] (null: not needed); fused sources send it to da and db instead.
template <typename T>
void backward_kernel(const T* h, const FeatureSource<T>& src, const T* W, const T* b, const T* g,
                     T* dh, T* dX, T* acc, int64_t tasks, const Dims& d, bool bf16) {
  const int64_t B = block_edges(d), Np = padded_columns<T>(d.N), ldr = row_stride<T>(d.N);
  const bool want_dX = src.fused() ? src.grads : dX != nullptr;
  const bool need_params = acc != nullptr;
  bf16 = bf16 && std::is_same_v<T, float>;
  // W's panels serve the recomputed R, and the bfloat16 layouts are made from them; the
  // float hidden gradient packs W its own way (Wh below).
  const bool panels = want_dX || (bf16 && dh);
  std::vector<T> Wp(size_t(panels ? Np * d.H : 0)), bp(size_t(panels ? Np : 0));
  if (panels) pack_weights(W, b, d.N, d.H, /*c_out=*/int64_t(0), Wp.data(), bp.data());
  std::optional<bf16::PackedWeights> wb;
  if constexpr (std::is_same_v<T, float>) {
    if (bf16 && panels) wb = bf16::pack(Wp.data(), Np, d.H);
  }
  // W again for the hidden gradient, in panels of hidden units (packed_linear.h).
  const int64_t Q = hidden_panels<T>(d.H);
  std::vector<T> Wh(size_t(dh && !wb ? d.N * Q * kPanel<T> : 0));
  if (!Wh.empty()) pack_hidden(W, d.N, d.H, Wh.data());
  at::parallel_for(0, tasks, 1, [&](int64_t t_begin, int64_t t_end) {
    // R and dR: every value read is written first, except dR's padding columns, which the
    // packed kernels read (against zero weights) and which must be finite: zeroed here.
    const Buffer<T> R(want_dX ? B * ldr : 0), dR(B * ldr);
    const Buffer<T> Xb(src.fused() ? B * d.K * d.M : 0),
        dXb(src.fused() && want_dX ? B * d.K * d.M : 0);
    for (int64_t i = 0; i < B; ++i)
      std::fill(dR.data() + i * ldr + d.N, dR.data() + (i + 1) * ldr, T(0));
    std::vector<T> sums(size_t(dh ? B * Q * kPanel<T> : 0)), Xt(size_t(d.M * d.K)),
        dXt(size_t(want_dX ? d.M * d.K : 0));
    std::optional<bf16::BlockScratch> s;
    if (bf16) s.emplace(B, d.H, ldr, /*gradients=*/true);
    for (int64_t t = t_begin; t < t_end; ++t) {
      const int64_t begin = d.E * t / tasks, end = d.E * (t + 1) / tasks;
      T* dWp = need_params ? acc + t * (Np * d.H + Np) : nullptr;
      T* db = need_params ? dWp + Np * d.H : nullptr;
      for (int64_t e0 = begin; e0 < end; e0 += B) {
        const int64_t nb = std::min(B, end - e0);
        const T* X = src.block(e0, nb, d, Xb.data());  // fused: made again for the block
        T* dXblock = !want_dX ? nullptr : src.fused() ? dXb.data() : dX + e0 * d.K * d.M;
        if (want_dX)  // recomputed, not stored
          radial_layer(h + e0 * d.H, Wp.data(), bp.data(), wb ? &*wb : nullptr, s ? &*s : nullptr,
                       nb, d.H, Np, ldr, R.data());
        for (int64_t i = 0; i < nb; ++i) {
          edge_backward_any(want_dX ? R.data() + i * ldr : nullptr, X + i * d.K * d.M,
                            g + (e0 + i) * d.c_out * d.M, dR.data() + i * ldr,
                            dXblock ? dXblock + i * d.K * d.M : nullptr, Xt.data(), dXt.data(), d.K,
                            d.c_out, d.M);
        }
        if (want_dX && src.fused())
          stacked::backward_block(*src.layout, src.a, src.b, dXblock, src.da, src.db, e0, nb);
        if constexpr (std::is_same_v<T, float>) {
          if (s && (dh || need_params)) {
            bf16::round_gradient(dR.data(), nb, Np, ldr, *s);
            if (dh) bf16::hidden_grad_block(*s, *wb, nb, ldr, sums.data(), dh + e0 * d.H);
            if (need_params)
              bf16::weight_grad_block(h + e0 * d.H, dR.data(), *s, nb, d.H, Np, ldr, dWp, db);
            continue;
          }
        }
        if (dh)
          hidden_grad_block_any(dR.data(), Wh.data(), nb, d.H, d.N, ldr, sums.data(),
                                dh + e0 * d.H);
        if (need_params) weight_grad_block_any(h + e0 * d.H, dR.data(), nb, d.H, Np, ldr, dWp, db);
      }
    }
  });
}

// The basis-contracted features X: the stacked tensor [E, K, M], or the basis products
// a_i [E, n_i, p_i] b_i [E, p_i, q_i] that stack into it (fused; sum_i n_i q_i = K M).
struct StackedInput {
  at::Tensor X;
  std::vector<at::Tensor> a, b;
  stacked::Layout layout;
  int64_t K = 0, M = 0;

  static StackedInput tensor(const at::Tensor& stacked) {
    StackedInput in;
    in.X = stacked.contiguous();
    in.K = stacked.size(1), in.M = stacked.size(2);
    return in;
  }
  static StackedInput products(at::TensorList a, at::TensorList b, int64_t M) {
    StackedInput in;
    for (const at::Tensor& t : a) in.a.push_back(t.contiguous());
    for (const at::Tensor& t : b) in.b.push_back(t.contiguous());
    in.layout = stacked::layout_of(in.a, in.b);
    in.M = M, in.K = in.layout.width / M;
    return in;
  }
  bool fused() const { return !X.defined(); }

  // Raw pointers for the kernel; pa, pb, pda, pdb hold the arrays it points into.
  template <typename T>
  FeatureSource<T> source(std::vector<const T*>& pa, std::vector<const T*>& pb) const {
    if (!fused()) return {X.data_ptr<T>()};
    for (const at::Tensor& t : a) pa.push_back(t.data_ptr<T>());
    for (const at::Tensor& t : b) pb.push_back(t.data_ptr<T>());
    return {nullptr, &layout, pa.data(), pb.data()};
  }
};

Dims dims_of(const at::Tensor& hidden, const StackedInput& in, int64_t c_out) {
  return {hidden.size(0), hidden.size(1), c_out, in.K, in.M, c_out * in.K};
}

at::Tensor fused_forward(const at::Tensor& hidden, const StackedInput& in, const at::Tensor& weight,
                         const at::Tensor& bias, int64_t c_out, bool bf16) {
  const Dims d = dims_of(hidden, in, c_out);
  const at::Tensor h = hidden.contiguous(), W = weight.contiguous(), b = bias.contiguous();
  at::Tensor out = at::empty({d.E, d.c_out, d.M}, hidden.options());
  if (d.E == 0) return out;
  AT_DISPATCH_FLOATING_TYPES(hidden.scalar_type(), "radial_contraction", [&] {
    std::vector<const scalar_t*> pa, pb;
    forward_kernel<scalar_t>(h.data_ptr<scalar_t>(), in.source<scalar_t>(pa, pb),
                             W.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(),
                             out.data_ptr<scalar_t>(), d, bf16);
  });
  return out;
}

// Returns {dh, dX, dW, db} for a stacked tensor, {dh, (undefined), dW, db, da_0 .. da_{P-1},
// db_0 .. db_{P-1}} for products; entries not asked for are undefined. need_X: the gradient of
// X, or of the products' factors flagged in need_ab ([a_0 .. a_{P-1}, b_0 .. b_{P-1}]).
std::vector<at::Tensor> fused_backward(const at::Tensor& hidden, const StackedInput& in,
                                       const at::Tensor& weight, const at::Tensor& bias,
                                       const at::Tensor& grad, int64_t c_out, bool need_h,
                                       bool need_X, bool need_params, bool bf16,
                                       const std::vector<bool>& need_ab = {}) {
  const Dims d = dims_of(hidden, in, c_out);
  const at::Tensor h = hidden.contiguous(), W = weight.contiguous(), b = bias.contiguous(),
                   g = grad.contiguous();
  at::Tensor dh = need_h ? at::empty_like(h) : at::Tensor();
  at::Tensor dX = need_X && !in.fused() ? at::empty_like(in.X) : at::Tensor();
  std::vector<at::Tensor> dab;
  for (size_t i = 0; in.fused() && i < 2 * in.a.size(); ++i) {
    const at::Tensor& t = i < in.a.size() ? in.a[i] : in.b[i - in.a.size()];
    dab.push_back(need_X && need_ab[i] ? at::empty_like(t) : at::Tensor());
  }
  const int64_t tasks = std::max<int64_t>(
      1, std::min<int64_t>(at::get_num_threads(), (d.E + block_edges(d) - 1) / block_edges(d)));
  at::Tensor dW, db;
  AT_DISPATCH_FLOATING_TYPES(hidden.scalar_type(), "radial_contraction_backward", [&] {
    const int64_t Np = padded_columns<scalar_t>(d.N), P = kPanel<scalar_t>;
    at::Tensor acc = need_params ? at::zeros({tasks, Np * d.H + Np}, h.options()) : at::Tensor();
    if (d.E > 0) {
      std::vector<const scalar_t*> pa, pb;
      FeatureSource<scalar_t> src = in.source<scalar_t>(pa, pb);
      std::vector<scalar_t*> pd;
      for (const at::Tensor& t : dab) pd.push_back(t.defined() ? t.data_ptr<scalar_t>() : nullptr);
      if (in.fused()) src.da = pd.data(), src.db = pd.data() + in.a.size(), src.grads = need_X;
      backward_kernel<scalar_t>(h.data_ptr<scalar_t>(), src, W.data_ptr<scalar_t>(),
                                b.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(),
                                need_h ? dh.data_ptr<scalar_t>() : nullptr,
                                dX.defined() ? dX.data_ptr<scalar_t>() : nullptr,
                                need_params ? acc.data_ptr<scalar_t>() : nullptr, tasks, d, bf16);
    }
    if (need_params) {
      // Panels [Np / P, H, P] back to rows [N, H].
      const at::Tensor total = acc.sum(0);
      dW = total.narrow(0, 0, Np * d.H)
               .view({Np / P, d.H, P})
               .permute({0, 2, 1})
               .reshape({Np, d.H})
               .narrow(0, 0, d.N)
               .contiguous();
      db = total.narrow(0, Np * d.H, d.N);
    }
  });
  std::vector<at::Tensor> out = {dh, dX, dW, db};
  out.insert(out.end(), dab.begin(), dab.end());
  return out;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class RadialContractionBackwardFunction;

// out = contraction(h, X, W, b): the fused forward, its backward the function below.
class RadialContractionFunction : public torch::autograd::Function<RadialContractionFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& hidden,
                            const at::Tensor& stacked, const at::Tensor& weight,
                            const at::Tensor& bias, int64_t c_out, bool bf16) {
    ctx->save_for_backward({hidden, stacked, weight, bias});
    ctx->saved_data["c_out"] = c_out;
    ctx->saved_data["bf16"] = bf16;
    return fused_forward(hidden, StackedInput::tensor(stacked), weight, bias, c_out, bf16);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads);
};

// The first derivatives (dh, dX, dW, db) as a function of (h, X, W, b, g), so that a recorded
// backward (create_graph: forces in a loss) is the fused kernel too, and so is its own
// backward. With dR = g X^T (per edge, over m) and R = h W^T + b, the first derivatives are
//   dh = dR W,  dX = R^T g,  dW = dR^T h,  db = sum_e dR.
// For cotangents (u_h, u_X, u_W, u_b) of those four, S = <u_h,dh> + <u_X,dX> + <u_W,dW> +
// <u_b,db> = <Q, g X^T> + <R, g u_X^T> with Q = u_h W^T + h u_W^T + u_b, so
//   dS/dg = Q X + R u_X,   dS/dX = Q^T g,
//   dS/dh = (g u_X^T) W + (g X^T) u_W,   dS/dW = (g u_X^T)^T h + (g X^T)^T u_h,
//   dS/db = sum_e g u_X^T.
// Q is itself a radial layer: hidden [u_h | h], weight [W | u_W], bias u_b. Every term is
// thus one more contraction or contraction backward (docs/design.md, Fused kernels).
class RadialContractionBackwardFunction
    : public torch::autograd::Function<RadialContractionBackwardFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& hidden,
                               const at::Tensor& stacked, const at::Tensor& weight,
                               const at::Tensor& bias, const at::Tensor& grad, int64_t c_out,
                               bool need_h, bool need_X, bool need_params, bool bf16) {
    ctx->save_for_backward({hidden, stacked, weight, bias, grad});
    ctx->saved_data["c_out"] = c_out;
    ctx->saved_data["bf16"] = bf16;
    ctx->set_materialize_grads(false);  // an unused output's cotangent stays undefined: no work
    std::vector<at::Tensor> d = fused_backward(hidden, StackedInput::tensor(stacked), weight, bias,
                                               grad, c_out, need_h, need_X, need_params, bf16);
    // A function's outputs must be tensors: what was not asked for is an empty placeholder,
    // not differentiable, that the caller turns back into "no gradient".
    variable_list placeholders;
    for (at::Tensor& t : d) {
      if (!t.defined()) placeholders.push_back(t = at::empty({0}, hidden.options()));
    }
    ctx->mark_non_differentiable(placeholders);
    return d;
  }

  static variable_list backward(AutogradContext* ctx, variable_list u) {
    const variable_list s = ctx->get_saved_variables();
    const at::Tensor &h = s[0], &X = s[1], &W = s[2], &b = s[3], &g = s[4];
    const int64_t c_out = ctx->saved_data["c_out"].toInt(), H = h.size(1);
    const bool bf16 = ctx->saved_data["bf16"].toBool();
    const bool want_h = ctx->needs_input_grad(0), want_X = ctx->needs_input_grad(1),
               want_params = ctx->needs_input_grad(2) || ctx->needs_input_grad(3),
               want_g = ctx->needs_input_grad(4);
    const bool has_uh = u[0].defined(), has_uX = u[1].defined(), has_uW = u[2].defined(),
               has_ub = u[3].defined();
    at::Tensor dh, dX, dW, db, dg;
    auto add = [](at::Tensor& acc, const at::Tensor& t) { acc = acc.defined() ? acc + t : t; };

    // The Q system: hidden [u_h | h], weight [W | u_W], bias u_b.
    if (has_uh || has_uW) {
      std::vector<at::Tensor> hq, wq;
      if (has_uh) hq.push_back(u[0]), wq.push_back(W);
      if (has_uW) hq.push_back(h), wq.push_back(u[2]);
      const at::Tensor h_q = hq.size() == 1 ? hq[0] : at::cat(hq, 1);
      const at::Tensor w_q = wq.size() == 1 ? wq[0] : at::cat(wq, 1);
      const at::Tensor b_q = has_ub ? u[3] : at::zeros({W.size(0)}, W.options());
      if (want_g) add(dg, RadialContractionFunction::apply(h_q, X, w_q, b_q, c_out, bf16));
      const bool q_h = want_h && has_uW, q_params = want_params && has_uh;
      if (want_X || q_h || q_params) {
        const variable_list q = RadialContractionBackwardFunction::apply(
            h_q, X, w_q, b_q, g, c_out, q_h, want_X, q_params, bf16);
        if (want_X) add(dX, q[1]);
        if (q_h) add(dh, has_uh ? q[0].narrow(1, H, H) : q[0]);  // (g X^T) u_W
        if (q_params) add(dW, q[2].narrow(1, 0, H));             // (g X^T)^T u_h
      }
    } else if (has_ub) {  // Q = u_b on every edge
      const at::Tensor Q = u[3].view({c_out, X.size(1)});
      if (want_g) add(dg, at::matmul(Q, X));
      if (want_X) add(dX, at::matmul(Q.t(), g));
    }
    // The u_X system: the first derivatives with X replaced by u_X.
    if (has_uX) {
      if (want_g) add(dg, RadialContractionFunction::apply(h, u[1], W, b, c_out, bf16));
      if (want_h || want_params) {
        const variable_list x = RadialContractionBackwardFunction::apply(
            h, u[1], W, b, g, c_out, want_h, false, want_params, bf16);
        if (want_h) add(dh, x[0]);
        if (want_params) add(dW, x[2]), add(db, x[3]);
      }
    }
    // Inputs asked for but reached by no cotangent get zeros (autograd expects a tensor).
    auto or_zeros = [](const at::Tensor& t, const at::Tensor& like, bool wanted) {
      return t.defined() || !wanted ? t : at::zeros_like(like);
    };
    return {or_zeros(dh, h, want_h),
            or_zeros(dX, X, want_X),
            or_zeros(dW, W, ctx->needs_input_grad(2)),
            or_zeros(db, b, ctx->needs_input_grad(3)),
            or_zeros(dg, g, want_g),
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor(),
            at::Tensor()};
  }
};

variable_list RadialContractionFunction::backward(AutogradContext* ctx, variable_list grads) {
  const variable_list s = ctx->get_saved_variables();
  const int64_t c_out = ctx->saved_data["c_out"].toInt();
  const bool bf16 = ctx->saved_data["bf16"].toBool();
  const bool need_h = ctx->needs_input_grad(0), need_X = ctx->needs_input_grad(1),
             need_params = ctx->needs_input_grad(2) || ctx->needs_input_grad(3);
  // Through the function above: recorded when the backward is (create_graph), plain otherwise.
  const variable_list d = RadialContractionBackwardFunction::apply(
      s[0], s[1], s[2], s[3], grads[0], c_out, need_h, need_X, need_params, bf16);
  return {need_h ? d[0] : at::Tensor(),
          need_X ? d[1] : at::Tensor(),
          need_params ? d[2] : at::Tensor(),
          need_params ? d[3] : at::Tensor(),
          at::Tensor(),
          at::Tensor()};
}

// out = contraction(h, X, W, b) with X = stack_i(a_i b_i) made per block of edges (the
// basis products fused): neither X nor its gradient exists for all edges. The plain backward
// is the fused kernel; a recorded one (create_graph) the two-step composition, whose pieces
// are all differentiable (the same values: both compute X with the same arithmetic).
class RadialContractionOfProductsFunction
    : public torch::autograd::Function<RadialContractionOfProductsFunction> {
 public:
  // ab = [a_0 .. a_{P-1}, b_0 .. b_{P-1}]
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& hidden,
                            const at::Tensor& weight, const at::Tensor& bias, at::TensorList ab,
                            int64_t c_out, int64_t M, bool bf16) {
    std::vector<at::Tensor> saved = {hidden, weight, bias};
    saved.insert(saved.end(), ab.begin(), ab.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["c_out"] = c_out;
    ctx->saved_data["M"] = M;
    ctx->saved_data["bf16"] = bf16;
    const size_t P = ab.size() / 2;
    return fused_forward(hidden, StackedInput::products(ab.slice(0, P), ab.slice(P), M), weight,
                         bias, c_out, bf16);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list s = ctx->get_saved_variables();
    const at::Tensor &h = s[0], &W = s[1], &b = s[2];
    const at::TensorList ab = at::TensorList(s).slice(3);
    const size_t P = ab.size() / 2;
    const int64_t c_out = ctx->saved_data["c_out"].toInt(), M = ctx->saved_data["M"].toInt();
    const bool bf16 = ctx->saved_data["bf16"].toBool();
    const bool need_h = ctx->needs_input_grad(0),
               need_params = ctx->needs_input_grad(1) || ctx->needs_input_grad(2);
    std::vector<bool> need_ab;
    for (size_t i = 0; i < 2 * P; ++i) need_ab.push_back(ctx->needs_input_grad(3 + i));
    const bool need_X = std::find(need_ab.begin(), need_ab.end(), true) != need_ab.end();
    variable_list out(3 + 2 * P + 3);
    const StackedInput in = StackedInput::products(ab.slice(0, P), ab.slice(P), M);
    if (at::GradMode::is_enabled()) {
      const int64_t E = h.size(0);
      const at::Tensor X = batched_matmul_stacked(ab.slice(0, P), ab.slice(P)).view({E, in.K, M});
      const variable_list d = RadialContractionBackwardFunction::apply(
          h, X, W, b, grads[0], c_out, need_h, need_X, need_params, bf16);
      if (need_h) out[0] = d[0];
      if (need_params) out[1] = d[2], out[2] = d[3];
      for (size_t i = 0; i < P && need_X; ++i) {
        const stacked::Product& pr = in.layout.products[i];
        const at::Tensor gi =
            d[1].view({E, in.layout.width}).narrow(1, pr.offset, pr.n * pr.q).view({E, pr.n, pr.q});
        if (need_ab[i]) out[3 + i] = at::bmm(gi, ab[P + i].transpose(1, 2));
        if (need_ab[P + i]) out[3 + P + i] = at::bmm(ab[i].transpose(1, 2), gi);
      }
      return out;
    }
    const std::vector<at::Tensor> d =
        fused_backward(h, in, W, b, grads[0], c_out, need_h, need_X, need_params, bf16, need_ab);
    out[0] = d[0], out[1] = d[2], out[2] = d[3];
    for (size_t i = 0; i < 2 * P; ++i) out[3 + i] = d[4 + i];
    return out;
  }
};

void check_arguments(const at::Tensor& hidden, const at::Tensor& stacked, const at::Tensor& weight,
                     const at::Tensor& bias, int64_t c_out) {
  const char* where = "radial_contraction: ";
  SE3T_CHECK(c_out >= 1, where, "c_out must be >= 1, got ", c_out);
  check_floating(hidden, "radial_contraction: hidden");
  check_floating(stacked, "radial_contraction: stacked");
  check_floating(weight, "radial_contraction: weight");
  check_floating(bias, "radial_contraction: bias");
  check_shape(hidden, {-1, -1}, "radial_contraction: hidden [E, H]");
  check_shape(stacked, {hidden.size(0), -1, -1}, "radial_contraction: stacked [E, cols, M]");
  check_shape(weight, {c_out * stacked.size(1), hidden.size(1)},
              "radial_contraction: weight [C_out cols, H]");
  check_shape(bias, {weight.size(0)}, "radial_contraction: bias [C_out cols]");
  for (const at::Tensor* t : {&stacked, &weight, &bias}) {
    SE3T_CHECK(t->scalar_type() == hidden.scalar_type(), where,
               "all inputs must share one dtype, got ", describe(hidden), " and ", describe(*t));
  }
}

// The fused kernels run on the CPU only.
void check_on_cpu(std::initializer_list<const at::Tensor*> tensors) {
  for (const at::Tensor* t : tensors) {
    SE3T_CHECK(t->device().is_cpu(),
               "radial_contraction: the fused kernel runs on the CPU only, got a ",
               t->device().str(), " tensor (use the reference path)");
  }
}

// bfloat16 products where asked for, the inputs are float32 and the CPU has AVX512-BF16.
bool use_bf16(RadialArithmetic arithmetic, const at::Tensor& hidden) {
  return arithmetic == RadialArithmetic::kBFloat16 && hidden.scalar_type() == at::kFloat &&
         bf16::supported();
}

}  // namespace

bool bf16_radial_supported() {
  return bf16::supported();
}

at::Tensor radial_contraction(const at::Tensor& hidden, const at::Tensor& stacked,
                              const at::Tensor& weight, const at::Tensor& bias, int64_t c_out,
                              RadialArithmetic arithmetic) {
  check_arguments(hidden, stacked, weight, bias, c_out);
  check_on_cpu({&hidden, &stacked, &weight, &bias});
  const bool bf16 = use_bf16(arithmetic, hidden);
  return RadialContractionFunction::apply(hidden, stacked, weight, bias, c_out, bf16);
}

at::Tensor radial_contraction(const at::Tensor& hidden, const at::Tensor& stacked,
                              const at::Tensor& weight, const at::Tensor& bias, int64_t c_out) {
  return radial_contraction(hidden, stacked, weight, bias, c_out, RadialArithmetic::kExact);
}

at::Tensor radial_contraction(const at::Tensor& hidden, at::TensorList sources,
                              at::TensorList bases, int64_t M, const at::Tensor& weight,
                              const at::Tensor& bias, int64_t c_out, RadialArithmetic arithmetic) {
  const char* where = "radial_contraction: ";
  SE3T_CHECK(M >= 1, where, "M must be >= 1, got ", M);
  SE3T_CHECK(!sources.empty() && sources.size() == bases.size(), where,
             "needs as many bases as sources (at least one), got ", sources.size(), " and ",
             bases.size());
  int64_t width = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    check_shape(sources[i], {hidden.size(0), -1, -1}, "radial_contraction: source [E, n, p]");
    check_shape(bases[i], {hidden.size(0), sources[i].size(2), -1},
                "radial_contraction: basis [E, p, nJ M]");
    SE3T_CHECK(bases[i].size(2) % M == 0, where, "a basis's columns must be a multiple of M = ", M,
               ", got ", describe(bases[i]));
    for (const at::Tensor* t : {&sources[i], &bases[i]}) {
      SE3T_CHECK(t->scalar_type() == hidden.scalar_type(), where,
                 "all inputs must share one dtype, got ", describe(hidden), " and ", describe(*t));
    }
    check_on_cpu({&sources[i], &bases[i]});
    width += sources[i].size(1) * bases[i].size(2);
  }
  // X's shape [E, K, M] for the common checks, without X: one value expanded to it.
  const at::Tensor shape =
      at::zeros({1, 1, 1}, hidden.options()).expand({hidden.size(0), width / M, M});
  check_arguments(hidden, shape, weight, bias, c_out);
  check_on_cpu({&hidden, &weight, &bias});
  const bool bf16 = use_bf16(arithmetic, hidden);
  std::vector<at::Tensor> ab(sources.begin(), sources.end());
  ab.insert(ab.end(), bases.begin(), bases.end());
  return RadialContractionOfProductsFunction::apply(hidden, weight, bias, at::TensorList(ab), c_out,
                                                    M, bf16);
}

at::Tensor radial_contraction_reference(const at::Tensor& hidden, const at::Tensor& stacked,
                                        const at::Tensor& weight, const at::Tensor& bias,
                                        int64_t c_out) {
  check_arguments(hidden, stacked, weight, bias, c_out);
  const int64_t E = hidden.size(0), K = stacked.size(1);
  return at::bmm(at::addmm(bias, hidden, weight.t()).view({E, c_out, K}), stacked);
}

double radial_contraction_flops(int64_t E, int64_t H, int64_t c_out, int64_t cols, int64_t M) {
  return 2.0 * double(E) * double(c_out) * double(cols) * double(H + M);
}

}  // namespace se3t::kernels

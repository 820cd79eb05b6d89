// A linear layer with a small input width H applied to blocks of rows, on weights packed once
// into panels of columns, with its two gradients: the radial MLP's final layer inside the
// fused radial contraction (private to src/kernels; included by radial_contraction.cpp only,
// whose target_clones wrappers compile these templates for AVX-512, AVX2 and the baseline).
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "simd.h"

namespace se3t::kernels::packed {

// R[i] = W h_{e0+i} + b for nb edges: [nb, N] = h [nb, H] W^T + b, with H small (the radial
// MLP's width). A BLAS call per block would re-pack all of W ([N, H], 2 MB for qm9's degree 3)
// for every 32 edges, and the packing cost half as much as the products. So W is packed once per
// call into panels of kPanel columns, Wp[p][k][j] = W[p kPanel + j, k] (zero beyond N), and a
// register tile of kRows edges x kPanel columns runs over one L1-resident panel at a time.
// R rows are padded to a whole number of panels, Np = padded N, and their stride ldr is skewed
// off multiples of 1 KB: the weight gradient walks down columns of dR, and rows 2^k floats
// apart would all fall in one set of the L1 cache.
template <typename T>
constexpr int64_t kPanel = 2 * (64 / sizeof(T));  // two 64-byte vectors
constexpr int64_t kRows = 6;

// The row tiles of n rows: `full` tiles of kRows rows, then one of `first` rows and one of
// `second` rows (0: none). A tile of Rows rows keeps 2 Rows sums in flight; below 4 rows (8
// sums) the multiply-add latency, not the pipes, sets the pace, so a remainder of 1-3 rows is
// merged with the tile before it and the two split in halves of 4-5 rows (H = 32: 6 x 4 + 4 +
// 4, not 6 x 5 + 2).
struct RowTiles {
  int64_t full, first, second;
};
inline RowTiles row_tiles(int64_t n) {
  const int64_t rem = n % kRows;
  if (rem > 0 && rem < 4 && n > kRows) {
    const int64_t first = (kRows + rem + 1) / 2;
    return {n / kRows - 1, first, kRows + rem - first};
  }
  return {n / kRows, rem, 0};
}

// Calls tile(r0, std::integral_constant<int, Rows>) over the row tiles of n rows.
template <typename F>
SE3T_INLINE void for_row_tiles(int64_t n, F&& tile) {
  const auto with_rows = [&](int64_t r0, int64_t rows) SE3T_INLINE_LAMBDA {
    switch (rows) {
      case 1:
        return tile(r0, std::integral_constant<int, 1>{});
      case 2:
        return tile(r0, std::integral_constant<int, 2>{});
      case 3:
        return tile(r0, std::integral_constant<int, 3>{});
      case 4:
        return tile(r0, std::integral_constant<int, 4>{});
      case 5:
        return tile(r0, std::integral_constant<int, 5>{});
      case kRows:
        return tile(r0, std::integral_constant<int, int(kRows)>{});
      default:
        return;
    }
  };
  const RowTiles t = row_tiles(n);
  int64_t r0 = 0;
  for (int64_t i = 0; i < t.full; ++i, r0 += kRows) with_rows(r0, kRows);
  if (t.first) with_rows(r0, t.first);
  if (t.second) with_rows(r0 + t.first, t.second);
}

template <typename T>
int64_t padded_columns(int64_t N) {
  return (N + kPanel<T> - 1) / kPanel<T> * kPanel<T>;
}

template <typename T>
int64_t row_stride(int64_t N) {
  const int64_t Np = padded_columns<T>(N);
  return Np * int64_t(sizeof(T)) % 1024 == 0 ? Np + kPanel<T> : Np;
}

// Packs W [N, H] and b [N] into panels. With c_out > 0, row n = c c_out + o of the packed
// weights is row o (N / c_out) + c of W: the radial contraction's forward wants its weights
// in (c, o) order.
template <typename T>
void pack_weights(const T* W, const T* b, int64_t N, int64_t H, int64_t c_out, T* Wp, T* bp) {
  const int64_t Np = padded_columns<T>(N), P = kPanel<T>, K = c_out > 0 ? N / c_out : 0;
  for (int64_t n = 0; n < Np; ++n) {
    const int64_t p = n / P, j = n % P;
    const int64_t src = n >= N ? -1 : c_out > 0 ? (n % c_out) * K + n / c_out : n;
    bp[n] = src < 0 ? T(0) : b[src];
    for (int64_t k = 0; k < H; ++k) Wp[(p * H + k) * P + j] = src < 0 ? T(0) : W[src * H + k];
  }
}

// The register tile of all three kernels' products with W: for Rows rows r,
// out_r = init_r + sum_{i in [i0, i1)} A[r][i] W[i] over two vectors of columns (W[i] holds
// 2 L values, A[r][i] is broadcast): 2 Rows sums in flight, one broadcast and two vector loads
// of W per 2 Rows multiply-adds. init_r is init + r ldi (ldi = 0: one row for all).
template <typename T, int Rows>
SE3T_INLINE void broadcast_tile(const T* A, int64_t lda, const T* W, int64_t i0, int64_t i1,
                                const T* init, int64_t ldi, T* out, int64_t ldo) {
  constexpr int L = 64 / sizeof(T);
  using V = typename simd::Vec<T, L>::type;
  V acc0[Rows], acc1[Rows];
  for (int r = 0; r < Rows; ++r) {
    acc0[r] = *reinterpret_cast<const V*>(init + r * ldi);
    acc1[r] = *reinterpret_cast<const V*>(init + r * ldi + L);
  }
  for (int64_t i = i0; i < i1; ++i) {
    const V w0 = *reinterpret_cast<const V*>(W + i * 2 * L);
    const V w1 = *reinterpret_cast<const V*>(W + i * 2 * L + L);
    for (int r = 0; r < Rows; ++r) {
      const T a = A[r * lda + i];
      acc0[r] += a * w0;
      acc1[r] += a * w1;
    }
  }
  for (int r = 0; r < Rows; ++r) {
    *reinterpret_cast<V*>(out + r * ldo) = acc0[r];
    *reinterpret_cast<V*>(out + r * ldo + L) = acc1[r];
  }
}

template <typename T>
SE3T_INLINE void radial_block(const T* h, const T* Wp, const T* bp, int64_t nb, int64_t H,
                              int64_t Np, int64_t ldr, T* R) {
  constexpr int64_t P = kPanel<T>;
  for (int64_t p = 0; p < Np / P; ++p) {
    const T* Wpp = Wp + p * H * P;
    const T* bpp = bp + p * P;
    T* Rp = R + p * P;
    // R rows: h [nb, H] against the panel's H rows of 2 L columns, from the bias.
    for_row_tiles(nb, [&](int64_t r0, auto rows) SE3T_INLINE_LAMBDA {
      broadcast_tile<T, decltype(rows)::value>(h + r0 * H, H, Wpp, 0, H, bpp, 0, Rp + r0 * ldr,
                                               ldr);
    });
  }
}

// The layer's weight gradient for one block, dW [N, H] += dR^T [N, nb] h [nb, H], accumulated
// in the packed panel layout (dWp[p][k][j] = dW[p kPanel + j, k]): a BLAS call would pack all
// of dR per block. A register tile holds kRows hidden units x kPanel columns while the block's
// edges stream past; db [padded N] += the column sums of dR.
template <typename T, int Rows>
SE3T_INLINE void weight_grad_tile(const T* h, int64_t H, const T* dR, int64_t ldr, int64_t nb,
                                  T* dWp) {
  constexpr int L = 64 / sizeof(T);
  using V = typename simd::Vec<T, L>::type;
  V acc0[Rows], acc1[Rows];
  for (int r = 0; r < Rows; ++r) {
    acc0[r] = *reinterpret_cast<const V*>(dWp + r * 2 * L);
    acc1[r] = *reinterpret_cast<const V*>(dWp + r * 2 * L + L);
  }
  for (int64_t i = 0; i < nb; ++i) {
    const V d0 = *reinterpret_cast<const V*>(dR + i * ldr);
    const V d1 = *reinterpret_cast<const V*>(dR + i * ldr + L);
    for (int r = 0; r < Rows; ++r) {
      const T hk = h[i * H + r];
      acc0[r] += hk * d0;
      acc1[r] += hk * d1;
    }
  }
  for (int r = 0; r < Rows; ++r) {
    *reinterpret_cast<V*>(dWp + r * 2 * L) = acc0[r];
    *reinterpret_cast<V*>(dWp + r * 2 * L + L) = acc1[r];
  }
}

template <typename T>
SE3T_INLINE void weight_grad_block(const T* h, const T* dR, int64_t nb, int64_t H, int64_t Np,
                                   int64_t ldr, T* dWp, T* db) {
  constexpr int64_t P = kPanel<T>;
  for (int64_t p = 0; p < Np / P; ++p) {
    const T* dRp = dR + p * P;
    T* dWpp = dWp + p * H * P;
    for_row_tiles(H, [&](int64_t k0, auto rows) SE3T_INLINE_LAMBDA {
      weight_grad_tile<T, decltype(rows)::value>(h + k0, H, dRp, ldr, nb, dWpp + k0 * P);
    });
  }
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t j = 0; j < Np; ++j) db[j] += dR[i * ldr + j];
}

// The gradient of the radial MLP's last hidden layer for one block, dh [nb, H] = dR [nb, N]
// W [N, H]: the radial tile's loop with the roles of H and N exchanged. W is packed once per
// call into panels of kPanel hidden units, Wh[q][n][j] = W[n, q kPanel + j] (zero beyond H),
// and a register tile of kRows edges x kPanel hidden units runs down the columns of dR, one
// broadcast of dR and one panel row of W per 2 kRows multiply-adds, as the forward's does.
// Chunks of kChunk columns keep W's share in L2 (qm9's degree 3 has 2 MB of W); the tile's sums
// wait in sums [nb, panels, kPanel] between chunks.
constexpr int64_t kChunk = 1024;

template <typename T>
int64_t hidden_panels(int64_t H) {
  return (H + kPanel<T> - 1) / kPanel<T>;
}

template <typename T>
void pack_hidden(const T* W, int64_t N, int64_t H, T* Wh) {
  const int64_t P = kPanel<T>, Q = hidden_panels<T>(H);
  for (int64_t q = 0; q < Q; ++q)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t j = 0; j < P; ++j)
        Wh[(q * N + n) * P + j] = q * P + j < H ? W[n * H + q * P + j] : T(0);
}

// sums: scratch of nb hidden_panels(H) kPanel values.
template <typename T>
SE3T_INLINE void hidden_grad_block(const T* dR, const T* Wh, int64_t nb, int64_t H, int64_t N,
                                   int64_t ldr, T* sums, T* dh) {
  constexpr int64_t P = kPanel<T>;
  const int64_t Q = hidden_panels<T>(H), lds = Q * P;
  std::fill(sums, sums + nb * lds, T(0));
  for (int64_t c = 0; c < N; c += kChunk) {
    const int64_t c1 = std::min(N, c + kChunk);
    for (int64_t q = 0; q < Q; ++q) {
      for_row_tiles(nb, [&](int64_t r0, auto rows) SE3T_INLINE_LAMBDA {
        T* S = sums + r0 * lds + q * P;
        broadcast_tile<T, decltype(rows)::value>(dR + r0 * ldr, ldr, Wh + q * N * P, c, c1, S, lds,
                                                 S, lds);
      });
    }
  }
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t k = 0; k < H; ++k) dh[i * H + k] = sums[i * lds + k];
}

}  // namespace se3t::kernels::packed

// A linear layer with a small input width H applied to blocks of rows, on weights packed once
// into panels of columns, with its two gradients: the radial MLP's final layer inside the
// fused radial contraction (private to src/kernels; included by radial_contraction.cpp only,
// whose target_clones wrappers compile these templates for AVX-512, AVX2 and the baseline).
#pragma once
#include <algorithm>
#include <cstdint>

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

template <typename T, int Rows>
SE3T_INLINE void radial_tile(const T* h, int64_t H, const T* Wp, const T* bp, T* R, int64_t ldr) {
  constexpr int L = 64 / sizeof(T);
  using V = typename simd::Vec<T, L>::type;
  const V b0 = *reinterpret_cast<const V*>(bp), b1 = *reinterpret_cast<const V*>(bp + L);
  V acc0[Rows], acc1[Rows];
  for (int r = 0; r < Rows; ++r) acc0[r] = b0, acc1[r] = b1;
  for (int64_t k = 0; k < H; ++k) {
    const V w0 = *reinterpret_cast<const V*>(Wp + k * 2 * L);
    const V w1 = *reinterpret_cast<const V*>(Wp + k * 2 * L + L);
    for (int r = 0; r < Rows; ++r) {
      const T hk = h[r * H + k];
      acc0[r] += hk * w0;
      acc1[r] += hk * w1;
    }
  }
  for (int r = 0; r < Rows; ++r) {
    *reinterpret_cast<V*>(R + r * ldr) = acc0[r];
    *reinterpret_cast<V*>(R + r * ldr + L) = acc1[r];
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
    int64_t r0 = 0;
    for (; r0 + kRows <= nb; r0 += kRows)
      radial_tile<T, kRows>(h + r0 * H, H, Wpp, bpp, Rp + r0 * ldr, ldr);
    switch (nb - r0) {
      case 1:
        radial_tile<T, 1>(h + r0 * H, H, Wpp, bpp, Rp + r0 * ldr, ldr);
        break;
      case 2:
        radial_tile<T, 2>(h + r0 * H, H, Wpp, bpp, Rp + r0 * ldr, ldr);
        break;
      case 3:
        radial_tile<T, 3>(h + r0 * H, H, Wpp, bpp, Rp + r0 * ldr, ldr);
        break;
      case 4:
        radial_tile<T, 4>(h + r0 * H, H, Wpp, bpp, Rp + r0 * ldr, ldr);
        break;
      case 5:
        radial_tile<T, 5>(h + r0 * H, H, Wpp, bpp, Rp + r0 * ldr, ldr);
        break;
      default:
        break;
    }
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
    int64_t k0 = 0;
    for (; k0 + kRows <= H; k0 += kRows)
      weight_grad_tile<T, kRows>(h + k0, H, dRp, ldr, nb, dWpp + k0 * P);
    switch (H - k0) {
      case 1:
        weight_grad_tile<T, 1>(h + k0, H, dRp, ldr, nb, dWpp + k0 * P);
        break;
      case 2:
        weight_grad_tile<T, 2>(h + k0, H, dRp, ldr, nb, dWpp + k0 * P);
        break;
      case 3:
        weight_grad_tile<T, 3>(h + k0, H, dRp, ldr, nb, dWpp + k0 * P);
        break;
      case 4:
        weight_grad_tile<T, 4>(h + k0, H, dRp, ldr, nb, dWpp + k0 * P);
        break;
      case 5:
        weight_grad_tile<T, 5>(h + k0, H, dRp, ldr, nb, dWpp + k0 * P);
        break;
      default:
        break;
    }
  }
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t j = 0; j < Np; ++j) db[j] += dR[i * ldr + j];
}

// The gradient of the radial MLP's last hidden layer for one block, dh [nb, H] = dR [nb, N]
// W [N, H], on the same packed panels: a BLAS call would pack all of W per block. A register
// tile holds 4 edges x RK hidden units, each a vector of partial sums over a panel's columns,
// while the panels stream past; chunks of kChunk panels keep W's and dR's share in L2.
// sums [ceil(nb / 4) 4, H, L] holds the partial sums between chunks; dR must have a multiple
// of 4 rows (rows past nb are computed and never read).
constexpr int64_t kChunk = 32;

template <typename T, int RK>
SE3T_INLINE void hidden_grad_tile(const T* dR, int64_t ldr, const T* Wp, int64_t H, int64_t panels,
                                  T* sums) {
  constexpr int L = 64 / sizeof(T), RI = 4;
  using V = typename simd::Vec<T, L>::type;
  V a[RI][RK];
  for (int r = 0; r < RI; ++r)
    for (int k = 0; k < RK; ++k) a[r][k] = *reinterpret_cast<const V*>(sums + (r * H + k) * L);
  for (int64_t p = 0; p < panels; ++p) {
    V d0[RI], d1[RI];
    for (int r = 0; r < RI; ++r) {
      d0[r] = *reinterpret_cast<const V*>(dR + r * ldr + p * 2 * L);
      d1[r] = *reinterpret_cast<const V*>(dR + r * ldr + p * 2 * L + L);
    }
    for (int k = 0; k < RK; ++k) {
      const V w0 = *reinterpret_cast<const V*>(Wp + (p * H + k) * 2 * L);
      const V w1 = *reinterpret_cast<const V*>(Wp + (p * H + k) * 2 * L + L);
      for (int r = 0; r < RI; ++r) a[r][k] += d0[r] * w0 + d1[r] * w1;
    }
  }
  for (int r = 0; r < RI; ++r)
    for (int k = 0; k < RK; ++k) *reinterpret_cast<V*>(sums + (r * H + k) * L) = a[r][k];
}

template <typename T>
SE3T_INLINE void hidden_grad_block(const T* dR, const T* Wp, int64_t nb, int64_t H, int64_t Np,
                                   int64_t ldr, T* sums, T* dh) {
  constexpr int64_t P = kPanel<T>, L = 64 / sizeof(T);
  const int64_t rows = (nb + 3) / 4 * 4, panels = Np / P;
  std::fill(sums, sums + rows * H * L, T(0));
  for (int64_t c = 0; c < panels; c += kChunk) {
    const int64_t nc = std::min(kChunk, panels - c);
    for (int64_t i0 = 0; i0 < rows; i0 += 4) {
      const T* dRc = dR + i0 * ldr + c * P;
      const T* Wc = Wp + c * H * P;
      T* S = sums + i0 * H * L;
      int64_t k0 = 0;
      for (; k0 + 4 <= H; k0 += 4) hidden_grad_tile<T, 4>(dRc, ldr, Wc + k0 * P, H, nc, S + k0 * L);
      for (; k0 + 2 <= H; k0 += 2) hidden_grad_tile<T, 2>(dRc, ldr, Wc + k0 * P, H, nc, S + k0 * L);
      for (; k0 < H; ++k0) hidden_grad_tile<T, 1>(dRc, ldr, Wc + k0 * P, H, nc, S + k0 * L);
    }
  }
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t k = 0; k < H; ++k) {
      const T* v = sums + (i * H + k) * L;
      T s = 0;
      for (int64_t j = 0; j < L; ++j) s += v[j];
      dh[i * H + k] = s;
    }
}

}  // namespace se3t::kernels::packed

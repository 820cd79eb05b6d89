#include "packed_linear_bf16.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SE3T_HAS_BF16_KERNELS 1
// Compiled for AVX512-BF16 function by function (the library targets generic x86-64); called
// only when supported() says so.
#define SE3T_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define SE3T_BF16_INLINE \
  inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512bf16")))
#endif

namespace se3t::kernels::bf16 {

bool supported() {
#ifdef SE3T_HAS_BF16_KERNELS
  static const bool has =
      __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
  return has;
#else
  return false;
#endif
}

uint16_t round(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40u);  // NaN: quiet
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

float widen(uint16_t x) {
  const uint32_t u = uint32_t(x) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

namespace {
constexpr int64_t kPanel = 32;  // float columns per panel, as packed::kPanel<float>
constexpr int64_t kRows = 6;    // edges (forward) or hidden units (weight gradient) per tile
constexpr int64_t kChunk = 32;  // panels per pass of the hidden gradient (1,024 columns)

uint32_t pair(uint16_t lo, uint16_t hi) {
  return uint32_t(lo) | uint32_t(hi) << 16;
}
}  // namespace

PackedWeights pack(const float* Wp, int64_t Np, int64_t H) {
  PackedWeights w;
  w.H = H;
  w.H2 = (H + 1) / 2;
  w.Np = Np;
  const int64_t panels = Np / kPanel;
  w.forward.assign(size_t(panels * w.H2 * kPanel * 2), 0);  // the odd unit's partner stays 0
  w.rows.resize(size_t(panels * H * kPanel));
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t k = 0; k < H; ++k)
      for (int64_t j = 0; j < kPanel; ++j) {
        const uint16_t v = round(Wp[(p * H + k) * kPanel + j]);
        w.rows[size_t((p * H + k) * kPanel + j)] = v;
        w.forward[size_t(((p * w.H2 + k / 2) * kPanel + j) * 2 + k % 2)] = v;
      }
  return w;
}

BlockScratch::BlockScratch(int64_t nb, int64_t H, int64_t ldr, bool gradients)
    : h_pairs(size_t(nb * ((H + 1) / 2))),
      h_edges(size_t(gradients ? (nb + 1) / 2 * H : 0)),
      dR_rows(size_t(gradients ? (nb + 3) / 4 * 4 * ldr : 0)),
      dR_edges(size_t(gradients ? (nb + 3) / 4 * 2 * ldr * 2 : 0)) {}

#ifdef SE3T_HAS_BF16_KERNELS

namespace {

SE3T_BF16_INLINE __m512bh load_bh(const uint16_t* p) {
  return (__m512bh)_mm512_loadu_si512(p);
}

SE3T_BF16_INLINE __m512bh broadcast_pair(uint32_t v) {
  return (__m512bh)_mm512_set1_epi32(int(v));
}

// 32 floats -> 32 bfloat16 in order (cvtne2ps puts its second operand in the low half).
SE3T_BF16_INLINE __m512i round32(const float* p) {
  return (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(p + 16), _mm512_loadu_ps(p));
}

// R rows r of one panel: sum over hidden pairs of (W[j][2k], W[j][2k+1]) . (h[r][2k], h[r][2k+1]).
template <int Rows>
SE3T_BF16_INLINE void radial_tile(const uint32_t* hp, int64_t H2, const uint16_t* Wf,
                                  const float* bp, float* R, int64_t ldr) {
  const __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
  __m512 a0[Rows], a1[Rows];
  for (int r = 0; r < Rows; ++r) a0[r] = b0, a1[r] = b1;
  for (int64_t k = 0; k < H2; ++k) {
    const __m512bh w0 = load_bh(Wf + k * 2 * kPanel), w1 = load_bh(Wf + k * 2 * kPanel + kPanel);
    for (int r = 0; r < Rows; ++r) {
      const __m512bh x = broadcast_pair(hp[r * H2 + k]);
      a0[r] = _mm512_dpbf16_ps(a0[r], w0, x);
      a1[r] = _mm512_dpbf16_ps(a1[r], w1, x);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    _mm512_storeu_ps(R + r * ldr, a0[r]);
    _mm512_storeu_ps(R + r * ldr + 16, a1[r]);
  }
}

// dh partial sums of 4 edges x RK hidden units over a chunk of panels: lanes hold pairs of
// columns, summed at the end.
template <int RK>
SE3T_BF16_INLINE void hidden_grad_tile(const uint16_t* dRb, int64_t ldr, const uint16_t* Wr,
                                       int64_t H, int64_t panels, float* sums) {
  constexpr int RI = 4;
  __m512 a[RI][RK];
  for (int r = 0; r < RI; ++r)
    for (int k = 0; k < RK; ++k) a[r][k] = _mm512_loadu_ps(sums + (r * H + k) * 16);
  for (int64_t p = 0; p < panels; ++p) {
    __m512bh d[RI];
    for (int r = 0; r < RI; ++r) d[r] = load_bh(dRb + r * ldr + p * kPanel);
    for (int k = 0; k < RK; ++k) {
      const __m512bh w = load_bh(Wr + (p * H + k) * kPanel);
      for (int r = 0; r < RI; ++r) a[r][k] = _mm512_dpbf16_ps(a[r][k], d[r], w);
    }
  }
  for (int r = 0; r < RI; ++r)
    for (int k = 0; k < RK; ++k) _mm512_storeu_ps(sums + (r * H + k) * 16, a[r][k]);
}

// dW panel rows k0 .. k0 + Rows: sum over pairs of edges of (dR[2i][j], dR[2i+1][j]) .
// (h[2i][k], h[2i+1][k]).
template <int Rows>
SE3T_BF16_INLINE void weight_grad_tile(const uint32_t* he, int64_t H, const uint16_t* dRe,
                                       int64_t ldr, int64_t pairs, float* dWp) {
  __m512 a0[Rows], a1[Rows];
  for (int r = 0; r < Rows; ++r) {
    a0[r] = _mm512_loadu_ps(dWp + r * kPanel);
    a1[r] = _mm512_loadu_ps(dWp + r * kPanel + 16);
  }
  for (int64_t i = 0; i < pairs; ++i) {
    const __m512bh d0 = load_bh(dRe + i * ldr * 2), d1 = load_bh(dRe + i * ldr * 2 + kPanel);
    for (int r = 0; r < Rows; ++r) {
      const __m512bh x = broadcast_pair(he[i * H + r]);
      a0[r] = _mm512_dpbf16_ps(a0[r], d0, x);
      a1[r] = _mm512_dpbf16_ps(a1[r], d1, x);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    _mm512_storeu_ps(dWp + r * kPanel, a0[r]);
    _mm512_storeu_ps(dWp + r * kPanel + 16, a1[r]);
  }
}

}  // namespace

SE3T_BF16_TARGET void radial_block(const float* h, const PackedWeights& w, const float* bp,
                                   int64_t nb, int64_t ldr, float* R, BlockScratch& s) {
  const int64_t H = w.H, H2 = w.H2;
  uint32_t* hp = s.h_pairs.data();
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t k = 0; k < H2; ++k)
      hp[i * H2 + k] =
          pair(round(h[i * H + 2 * k]), 2 * k + 1 < H ? round(h[i * H + 2 * k + 1]) : 0);
  for (int64_t p = 0; p < w.Np / kPanel; ++p) {
    const uint16_t* Wf = w.forward.data() + p * H2 * 2 * kPanel;
    const float* bpp = bp + p * kPanel;
    float* Rp = R + p * kPanel;
    int64_t r0 = 0;
    for (; r0 + kRows <= nb; r0 += kRows)
      radial_tile<kRows>(hp + r0 * H2, H2, Wf, bpp, Rp + r0 * ldr, ldr);
    switch (nb - r0) {
      case 1:
        radial_tile<1>(hp + r0 * H2, H2, Wf, bpp, Rp + r0 * ldr, ldr);
        break;
      case 2:
        radial_tile<2>(hp + r0 * H2, H2, Wf, bpp, Rp + r0 * ldr, ldr);
        break;
      case 3:
        radial_tile<3>(hp + r0 * H2, H2, Wf, bpp, Rp + r0 * ldr, ldr);
        break;
      case 4:
        radial_tile<4>(hp + r0 * H2, H2, Wf, bpp, Rp + r0 * ldr, ldr);
        break;
      case 5:
        radial_tile<5>(hp + r0 * H2, H2, Wf, bpp, Rp + r0 * ldr, ldr);
        break;
      default:
        break;
    }
  }
}

SE3T_BF16_TARGET void round_gradient(const float* dR, int64_t nb, int64_t Np, int64_t ldr,
                                     BlockScratch& s) {
  // Interleaving two rounded rows a, b: lo = a0 b0 a1 b1 ... a15 b15, hi = a16 b16 ... a31 b31.
  alignas(64) int16_t lo_idx[32], hi_idx[32];
  for (int i = 0; i < 16; ++i) {
    lo_idx[2 * i] = int16_t(i), lo_idx[2 * i + 1] = int16_t(32 + i);
    hi_idx[2 * i] = int16_t(16 + i), hi_idx[2 * i + 1] = int16_t(48 + i);
  }
  const __m512i lo = _mm512_load_si512(lo_idx), hi = _mm512_load_si512(hi_idx);
  const int64_t rows = (nb + 3) / 4 * 4;
  for (int64_t i = 0; i < rows; i += 2) {
    uint16_t* rows_out = s.dR_rows.data() + i * ldr;
    uint16_t* edges_out = s.dR_edges.data() + (i / 2) * ldr * 2;
    for (int64_t c = 0; c < Np; c += kPanel) {
      const __m512i a = i < nb ? round32(dR + i * ldr + c) : _mm512_setzero_si512();
      const __m512i b = i + 1 < nb ? round32(dR + (i + 1) * ldr + c) : _mm512_setzero_si512();
      _mm512_storeu_si512(rows_out + c, a);
      _mm512_storeu_si512(rows_out + ldr + c, b);
      _mm512_storeu_si512(edges_out + c * 2, _mm512_permutex2var_epi16(a, lo, b));
      _mm512_storeu_si512(edges_out + c * 2 + kPanel, _mm512_permutex2var_epi16(a, hi, b));
    }
  }
}

SE3T_BF16_TARGET void hidden_grad_block(const BlockScratch& s, const PackedWeights& w, int64_t nb,
                                        int64_t ldr, float* sums, float* dh) {
  const int64_t H = w.H, rows = (nb + 3) / 4 * 4, panels = w.Np / kPanel;
  std::fill(sums, sums + rows * H * 16, 0.0f);
  for (int64_t c = 0; c < panels; c += kChunk) {
    const int64_t nc = std::min(kChunk, panels - c);
    for (int64_t i0 = 0; i0 < rows; i0 += 4) {
      const uint16_t* dRc = s.dR_rows.data() + i0 * ldr + c * kPanel;
      const uint16_t* Wc = w.rows.data() + c * H * kPanel;
      float* S = sums + i0 * H * 16;
      int64_t k0 = 0;
      for (; k0 + 4 <= H; k0 += 4)
        hidden_grad_tile<4>(dRc, ldr, Wc + k0 * kPanel, H, nc, S + k0 * 16);
      for (; k0 + 2 <= H; k0 += 2)
        hidden_grad_tile<2>(dRc, ldr, Wc + k0 * kPanel, H, nc, S + k0 * 16);
      for (; k0 < H; ++k0) hidden_grad_tile<1>(dRc, ldr, Wc + k0 * kPanel, H, nc, S + k0 * 16);
    }
  }
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t k = 0; k < H; ++k) {
      const float* v = sums + (i * H + k) * 16;
      float t = 0;
      for (int j = 0; j < 16; ++j) t += v[j];
      dh[i * H + k] = t;
    }
}

SE3T_BF16_TARGET void weight_grad_block(const float* h, const float* dR, BlockScratch& s,
                                        int64_t nb, int64_t H, int64_t Np, int64_t ldr, float* dWp,
                                        float* db) {
  const int64_t pairs = (nb + 1) / 2;
  uint32_t* he = s.h_edges.data();
  for (int64_t i = 0; i < pairs; ++i)
    for (int64_t k = 0; k < H; ++k)
      he[i * H + k] =
          pair(round(h[2 * i * H + k]), 2 * i + 1 < nb ? round(h[(2 * i + 1) * H + k]) : 0);
  for (int64_t p = 0; p < Np / kPanel; ++p) {
    const uint16_t* dRe = s.dR_edges.data() + p * kPanel * 2;
    float* dWpp = dWp + p * H * kPanel;
    int64_t k0 = 0;
    for (; k0 + kRows <= H; k0 += kRows)
      weight_grad_tile<kRows>(he + k0, H, dRe, ldr, pairs, dWpp + k0 * kPanel);
    switch (H - k0) {
      case 1:
        weight_grad_tile<1>(he + k0, H, dRe, ldr, pairs, dWpp + k0 * kPanel);
        break;
      case 2:
        weight_grad_tile<2>(he + k0, H, dRe, ldr, pairs, dWpp + k0 * kPanel);
        break;
      case 3:
        weight_grad_tile<3>(he + k0, H, dRe, ldr, pairs, dWpp + k0 * kPanel);
        break;
      case 4:
        weight_grad_tile<4>(he + k0, H, dRe, ldr, pairs, dWpp + k0 * kPanel);
        break;
      case 5:
        weight_grad_tile<5>(he + k0, H, dRe, ldr, pairs, dWpp + k0 * kPanel);
        break;
      default:
        break;
    }
  }
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t j = 0; j < Np; ++j) db[j] += dR[i * ldr + j];
}

#else  // no AVX512-BF16 kernels on this architecture: supported() is false, never called

void radial_block(const float*, const PackedWeights&, const float*, int64_t, int64_t, float*,
                  BlockScratch&) {}
void round_gradient(const float*, int64_t, int64_t, int64_t, BlockScratch&) {}
void hidden_grad_block(const BlockScratch&, const PackedWeights&, int64_t, int64_t, float*,
                       float*) {}
void weight_grad_block(const float*, const float*, BlockScratch&, int64_t, int64_t, int64_t,
                       int64_t, float*, float*) {}

#endif

}  // namespace se3t::kernels::bf16

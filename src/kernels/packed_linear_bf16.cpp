#include "packed_linear_bf16.h"

#include <algorithm>
#include <cstring>

#include "packed_linear.h"

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
constexpr int64_t kPanel = packed::kPanel<float>;  // float columns per panel
using packed::kRows;             // edges (forward, hidden gradient) or hidden units per tile
constexpr int64_t kChunk = 512;  // pairs of columns per pass of the hidden gradient

uint32_t pair(uint16_t lo, uint16_t hi) {
  return uint32_t(lo) | uint32_t(hi) << 16;
}
}  // namespace

PackedWeights pack(const float* Wp, int64_t Np, int64_t H) {
  PackedWeights w;
  w.H = H;
  w.H2 = (H + 1) / 2;
  w.Np = Np;
  const int64_t panels = Np / kPanel, pairs = Np / 2;
  w.forward.assign(size_t(panels * w.H2 * kPanel * 2), 0);  // the odd unit's partner stays 0
  w.hidden.assign(size_t(packed::hidden_panels<float>(H) * pairs * kPanel * 2),
                  0);  // units past H stay 0
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t k = 0; k < H; ++k)
      for (int64_t j = 0; j < kPanel; ++j) {
        const uint16_t v = round(Wp[(p * H + k) * kPanel + j]);
        const int64_t n = p * kPanel + j, q = k / kPanel;
        w.forward[size_t(((p * w.H2 + k / 2) * kPanel + j) * 2 + k % 2)] = v;
        w.hidden[size_t(((q * pairs + n / 2) * kPanel + k % kPanel) * 2 + n % 2)] = v;
      }
  return w;
}

BlockScratch::BlockScratch(int64_t nb, int64_t H, int64_t ldr, bool gradients)
    : h_pairs(size_t(nb * ((H + 1) / 2))),
      h_edges(size_t(gradients ? (nb + 1) / 2 * H : 0)),
      dR_rows(size_t(gradients ? (nb + 1) / 2 * 2 * ldr : 0)),
      dR_edges(size_t(gradients ? (nb + 1) / 2 * ldr * 2 : 0)) {}

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

// dh of Rows edges x 32 hidden units over the pairs of columns [i0, i1): each lane sums
// (W[2i][k], W[2i+1][k]) . (dR[r][2i], dR[r][2i+1]), as the forward's tile with the roles of
// the hidden units and the columns exchanged.
template <int Rows>
SE3T_BF16_INLINE void hidden_grad_tile(const uint16_t* dRb, int64_t ldr, const uint16_t* Wh,
                                       int64_t i0, int64_t i1, float* sums, int64_t lds) {
  __m512 a0[Rows], a1[Rows];
  for (int r = 0; r < Rows; ++r) {
    a0[r] = _mm512_loadu_ps(sums + r * lds);
    a1[r] = _mm512_loadu_ps(sums + r * lds + 16);
  }
  for (int64_t i = i0; i < i1; ++i) {
    const __m512bh w0 = load_bh(Wh + i * 2 * kPanel), w1 = load_bh(Wh + i * 2 * kPanel + kPanel);
    for (int r = 0; r < Rows; ++r) {
      uint32_t d;
      std::memcpy(&d, dRb + r * ldr + 2 * i, sizeof d);
      const __m512bh x = broadcast_pair(d);
      a0[r] = _mm512_dpbf16_ps(a0[r], w0, x);
      a1[r] = _mm512_dpbf16_ps(a1[r], w1, x);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    _mm512_storeu_ps(sums + r * lds, a0[r]);
    _mm512_storeu_ps(sums + r * lds + 16, a1[r]);
  }
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

// Runs tile<Rows>(r0, args...) over the row tiles of n rows (packed::row_tiles). Tile is a
// class with a static template `run`: a lambda would be compiled without AVX512-BF16.
template <typename Tile, int Rows, typename... Args>
SE3T_BF16_INLINE void run_rows(int64_t r0, Args... args) {
  Tile::template run<Rows>(r0, args...);
}
template <typename Tile, typename... Args>
SE3T_BF16_INLINE void for_row_tiles(int64_t n, Args... args) {
  const packed::RowTiles t = packed::row_tiles(n);
  int64_t r0 = 0;
  for (int64_t i = 0; i < t.full; ++i, r0 += kRows) run_rows<Tile, kRows>(r0, args...);
  for (const int64_t rows : {t.first, t.second}) {
    switch (rows) {
      case 1:
        run_rows<Tile, 1>(r0, args...);
        break;
      case 2:
        run_rows<Tile, 2>(r0, args...);
        break;
      case 3:
        run_rows<Tile, 3>(r0, args...);
        break;
      case 4:
        run_rows<Tile, 4>(r0, args...);
        break;
      case 5:
        run_rows<Tile, 5>(r0, args...);
        break;
      default:
        break;
    }
    r0 += rows;
  }
}

struct RadialTiles {
  template <int Rows>
  SE3T_BF16_INLINE static void run(int64_t r0, const uint32_t* hp, int64_t H2, const uint16_t* Wf,
                                   const float* bp, float* R, int64_t ldr) {
    radial_tile<Rows>(hp + r0 * H2, H2, Wf, bp, R + r0 * ldr, ldr);
  }
};
struct HiddenTiles {
  template <int Rows>
  SE3T_BF16_INLINE static void run(int64_t r0, const uint16_t* dRb, int64_t ldr, const uint16_t* Wh,
                                   int64_t i0, int64_t i1, float* sums, int64_t lds) {
    hidden_grad_tile<Rows>(dRb + r0 * ldr, ldr, Wh, i0, i1, sums + r0 * lds, lds);
  }
};
struct WeightTiles {
  template <int Rows>
  SE3T_BF16_INLINE static void run(int64_t k0, const uint32_t* he, int64_t H, const uint16_t* dRe,
                                   int64_t ldr, int64_t pairs, float* dWp) {
    weight_grad_tile<Rows>(he + k0, H, dRe, ldr, pairs, dWp + k0 * kPanel);
  }
};

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
    for_row_tiles<RadialTiles>(nb, hp, H2, Wf, bpp, Rp, ldr);
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
  const int64_t rows = (nb + 1) / 2 * 2;  // pairs of edges, the odd edge's partner zero
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
  const int64_t H = w.H, Q = packed::hidden_panels<float>(H), lds = Q * kPanel, pairs = w.Np / 2;
  std::fill(sums, sums + nb * lds, 0.0f);
  for (int64_t c = 0; c < pairs; c += kChunk) {
    const int64_t c1 = std::min(pairs, c + kChunk);
    for (int64_t q = 0; q < Q; ++q)
      for_row_tiles<HiddenTiles>(nb, s.dR_rows.data(), ldr,
                                 w.hidden.data() + q * pairs * 2 * kPanel, c, c1, sums + q * kPanel,
                                 lds);
  }
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t k = 0; k < H; ++k) dh[i * H + k] = sums[i * lds + k];
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
    for_row_tiles<WeightTiles>(H, he, H, dRe, ldr, pairs, dWpp);
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

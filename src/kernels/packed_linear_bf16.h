// The radial MLP's final layer of packed_linear.h in bfloat16 (AVX512-BF16), float32 in and
// out: the three products of a block of edges (R = h W^T + b, dh = dR W, dW += dR^T h) with
// both factors rounded to bfloat16 and every sum accumulated in float32 (vdpbf16ps, two
// multiply-adds per lane and instruction, twice float32's).
//
// Only the radial weights R and their two gradients are rounded: they are functions of the
// invariant edge lengths, so rotating the input rounds the same numbers (up to the float32
// round-off of |x_ij| itself), and the equivariant parts of the layer (basis, contraction with
// the features, attention) stay in float32 (docs/design.md, Kernels).
//
// Private to src/kernels. The panels are those of packed_linear.h (kPanel = 32 float columns);
// every function needs a CPU with AVX512-BF16 (supported()).
#pragma once
#include <cstdint>
#include <vector>

namespace se3t::kernels::bf16 {

// Whether this CPU has AVX512-BF16 (and AVX512-BW); false on other architectures.
bool supported();

// Rounded to nearest even, as the hardware's conversion does; NaN stays NaN.
uint16_t round(float x);
float widen(uint16_t x);

// W in the two bfloat16 layouts the kernels read, made once per call from the float32 panels
// Wp [Np / 32][H][32] of packed::pack_weights:
//   forward [Np / 32][H2][32][2]: pairs of hidden units per column, for R = h W^T (H2 = H / 2
//           rounded up, the odd unit paired with zero);
//   hidden  [ceil(H / 32)][Np / 2][32][2]: panels of 32 hidden units, pairs of columns per
//           unit, for dh = dR W (units past H zero).
struct PackedWeights {
  int64_t H = 0, H2 = 0, Np = 0;
  std::vector<uint16_t> forward, hidden;
};
PackedWeights pack(const float* Wp, int64_t Np, int64_t H);

// Per-thread scratch of one block of up to nb edges (the dR and h_edges parts only with
// gradients).
struct BlockScratch {
  std::vector<uint32_t> h_pairs;   // [nb][H2]: h rounded, pairs of hidden units
  std::vector<uint32_t> h_edges;   // [nb / 2][H]: h rounded, pairs of edges
  std::vector<uint16_t> dR_rows;   // [nb rounded up to 2][ldr]: dR rounded
  std::vector<uint16_t> dR_edges;  // [nb / 2 rounded up][ldr][2]: dR rounded, pairs of edges
  BlockScratch(int64_t nb, int64_t H, int64_t ldr, bool gradients);
};

// R [nb][ldr] (columns Np) = h [nb][H] W^T + bp.
void radial_block(const float* h, const PackedWeights& w, const float* bp, int64_t nb, int64_t ldr,
                  float* R, BlockScratch& s);

// Rounds the block's dR [nb][ldr] (padding columns zero) into s for the two gradients below.
void round_gradient(const float* dR, int64_t nb, int64_t Np, int64_t ldr, BlockScratch& s);

// dh [nb][H] = dR W, from s.dR_rows; sums is [nb][32 ceil(H / 32)] float scratch.
void hidden_grad_block(const BlockScratch& s, const PackedWeights& w, int64_t nb, int64_t ldr,
                       float* sums, float* dh);

// dWp (the float32 panels) += dR^T h, from s.dR_edges and h (rounded into s.h_edges); db [Np]
// += column sums of dR (float32, from dR itself).
void weight_grad_block(const float* h, const float* dR, BlockScratch& s, int64_t nb, int64_t H,
                       int64_t Np, int64_t ldr, float* dWp, float* db);

}  // namespace se3t::kernels::bf16

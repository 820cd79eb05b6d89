// The per-edge products of the radial contraction's backward (kernels/radial_contraction.h)
// with AVX-512 permutes. For one edge with radial weights R [C_out, K] (rows o), its
// basis-contracted features X [K, M] and the output gradient g [C_out, M]:
//   dR[o, c] = sum_m g[o, m] X[c, m]   and   dX[c, m] = sum_o R[o, c] g[o, m].
// Both run over vectors of L consecutive c, so they need X and dX by columns ([M, K]). The
// portable loops transpose each edge's X and dX through scratch with scalar moves, which cost
// about as much as the products when C_out = 16 (docs/design.md, Where the backward's time
// goes). Here the L M contiguous values of L rows of X are split into M column vectors in
// registers with two-source permutes, and dX's M column vectors merged back the same way:
// M (M - 1) permutes each way per L columns, nothing through memory.
//
// Private to src/kernels; call only where avx512::supported() (batched_matmul_avx512.h) and
// handles_radial_edge(M). Float32 and float64; every sum runs in the order of the portable
// loops (over m for dR, over o for dX).
#pragma once
#include <cstdint>

namespace se3t::kernels::avx512 {

// M = 2l + 1 for the degrees 0-3.
bool handles_radial_edge(int64_t M);

// R null: dX is not needed (and not written).
void radial_edge_backward(const float* R, const float* X, const float* g, float* dR, float* dX,
                          int64_t K, int64_t C, int64_t M);
void radial_edge_backward(const double* R, const double* X, const double* g, double* dR, double* dX,
                          int64_t K, int64_t C, int64_t M);

}  // namespace se3t::kernels::avx512

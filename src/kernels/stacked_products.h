// The per-edge loops of batched_matmul_stacked for a block of edges, for a kernel that fuses
// the basis products into its own blocks (the radial contraction taking sources and bases,
// kernels/radial_contraction.h): it computes a block's stacked rows into a buffer it keeps in
// cache, uses them, and sends their gradient back to a and b, so the stacked tensor never exists
// for all edges. Private to src/kernels. batched_matmul_stacked runs the same loops, so the
// fused and the two-step results are equal bit for bit.
#pragma once
#include <ATen/core/Tensor.h>

#include <vector>

namespace se3t::kernels::stacked {

// Product i: a_i [E, n, p], b_i [E, p, q], its n q values at `offset` of each stacked row of
// `width` values.
struct Product {
  int64_t n, p, q, offset;
};
struct Layout {
  std::vector<Product> products;
  int64_t width = 0;  // sum of n q
  int64_t work = 0;   // multiply-adds per edge
};
Layout layout_of(at::TensorList a, at::TensorList b);

// Rows [0, nb) of out (width apart) for the edges e0 .. e0 + nb of every a_i, b_i (contiguous).
void forward_block(const Layout& layout, const float* const* a, const float* const* b, float* out,
                   int64_t e0, int64_t nb);
void forward_block(const Layout& layout, const double* const* a, const double* const* b,
                   double* out, int64_t e0, int64_t nb);

// da_i, db_i of the same edges from the gradient g of those rows (width apart); da or db null:
// none of that kind needed; da[i] or db[i] null: not needed for product i.
void backward_block(const Layout& layout, const float* const* a, const float* const* b,
                    const float* g, float* const* da, float* const* db, int64_t e0, int64_t nb);
void backward_block(const Layout& layout, const double* const* a, const double* const* b,
                    const double* g, double* const* da, double* const* db, int64_t e0, int64_t nb);

}  // namespace se3t::kernels::stacked

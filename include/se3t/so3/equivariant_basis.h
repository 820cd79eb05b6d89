// The equivariant kernel basis (the paper's eq. 8 and 9; docs/design.md, Conventions).
//
// For input degree k, output degree l and J = |k-l|..k+l, the basis matrices
//   B_J^{lk}(x) = sum_{m=-J}^{J} Y^J_m(x/|x|) Q^{lk}_{Jm},   Q^{lk}_{Jm}[a, b] = C^{l k J}[a, b,
//   m],
// span every (2l+1)x(2k+1) kernel with W(R x) = D^l(R) W(x) D^k(R)^T; a layer's kernel is
// W^{lk}(x) = sum_J phi_J^{lk}(|x|) B_J^{lk}(x).
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <utility>

namespace se3t {

// Number of J for the pair (k, l): 2 min(k, l) + 1.
inline int64_t num_basis_J(int64_t k, int64_t l) {
  return 2 * std::min(k, l) + 1;
}

// The basis of every degree pair for a batch of edge vectors, computed from one
// spherical-harmonics call. Layout of pair (k, l), chosen so a kernel is applied as
// "contract the input with the basis, then one batched product with the radial weights":
//   at(k, l): [E, 2k+1, num_J * (2l+1)],  element [e, b, j * (2l+1) + a] = B_{J}^{lk}(x_e)[a, b]
// with J = |k-l| + j. Then for input f [E, C, 2k+1]:
//   (f @ at(k, l)).view(E, C * num_J, 2l+1)  is contracted with radial weights [E, C_out, C*num_J].
class EquivariantBasis {
 public:
  EquivariantBasis() = default;
  // x: [E, 3] relative positions x_j - x_i. Pairs (k, l) for k <= max_degree_in and
  // l <= max_degree_out. Differentiable in x (forces need it).
  EquivariantBasis(const at::Tensor& x, int64_t max_degree_in, int64_t max_degree_out);

  const at::Tensor& at(int64_t k, int64_t l) const;
  int64_t max_degree_in() const { return max_in_; }
  int64_t max_degree_out() const { return max_out_; }
  int64_t num_edges() const { return num_edges_; }
  // The spherical harmonics of degrees 0..max_in+max_out the basis was built from, [E, *].
  const at::Tensor& harmonics() const { return harmonics_; }

 private:
  int64_t max_in_ = -1, max_out_ = -1, num_edges_ = 0;
  at::Tensor harmonics_;
  std::map<std::pair<int64_t, int64_t>, at::Tensor> basis_;
};

// The full kernel W^{lk}(x_e) = sum_J phi[e, J] B_J^{lk}(x_e), [E, 2l+1, 2k+1], from one pair's
// basis and per-edge weights phi [E, num_J]. For tests and inspection: layers never build it.
at::Tensor kernel_from_basis(const at::Tensor& basis_kl, int64_t k, int64_t l,
                             const at::Tensor& phi);

}  // namespace se3t

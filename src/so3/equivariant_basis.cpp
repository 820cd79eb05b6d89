#include "se3t/so3/equivariant_basis.h"

#include <ATen/ATen.h>

#include <mutex>
#include <tuple>

#include "se3t/so3/clebsch_gordan.h"
#include "se3t/so3/spherical_harmonics.h"
#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {

namespace {

// The constant matrix that maps the harmonics of degrees |k-l|..k+l, [sum_J (2J+1)], to the
// basis of pair (k, l) in the layout of EquivariantBasis::at, [(2k+1) * num_J * (2l+1)]:
// row (J, m), column (b, j, a) holds C^{l k J}[a, b, m] when j is J's index, else 0.
at::Tensor pair_matrix(int64_t k, int64_t l, const at::TensorOptions& options) {
  static std::mutex mutex;
  static std::map<std::tuple<int64_t, int64_t, int, std::string>, at::Tensor> cache;
  const auto dtype = options.dtype().toScalarType();
  const auto key = std::make_tuple(k, l, static_cast<int>(dtype), options.device().str());
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;

  const int64_t jmin = std::abs(k - l), nj = num_basis_J(k, l);
  const int64_t rows = (k + l + 1) * (k + l + 1) - jmin * jmin;
  at::Tensor q = at::zeros({rows, 2 * k + 1, nj, 2 * l + 1}, at::kDouble);
  int64_t row = 0;
  for (int64_t j = 0; j < nj; ++j) {
    const int64_t J = jmin + j;
    const at::Tensor C = clebsch_gordan(l, k, J);  // [2l+1, 2k+1, 2J+1]
    // q[row + m, b, j, a] = C[a, b, m]
    q.narrow(0, row, 2 * J + 1).select(2, j).copy_(C.permute({2, 1, 0}));
    row += 2 * J + 1;
  }
  q = q.reshape({rows, (2 * k + 1) * nj * (2 * l + 1)}).to(options.device(), dtype);
  return cache.emplace(key, q).first->second;
}

}  // namespace

EquivariantBasis::EquivariantBasis(const at::Tensor& x, int64_t max_degree_in,
                                   int64_t max_degree_out)
    : max_in_(max_degree_in), max_out_(max_degree_out) {
  check_floating(x, "EquivariantBasis: x");
  check_shape(x, {-1, 3}, "EquivariantBasis: x");
  SE3T_CHECK(max_degree_in >= 0 && max_degree_out >= 0,
             "EquivariantBasis: degrees must be >= 0, got in ", max_degree_in, ", out ",
             max_degree_out);
  num_edges_ = x.size(0);
  harmonics_ = spherical_harmonics(x, max_in_ + max_out_);
  for (int64_t k = 0; k <= max_in_; ++k) {
    for (int64_t l = 0; l <= max_out_; ++l) {
      const int64_t jmin = std::abs(k - l);
      const int64_t begin = jmin * jmin, end = (k + l + 1) * (k + l + 1);
      const at::Tensor y = harmonics_.narrow(1, begin, end - begin);
      const at::Tensor q = pair_matrix(k, l, x.options());
      basis_[{k, l}] =
          at::matmul(y, q).view({num_edges_, 2 * k + 1, num_basis_J(k, l) * (2 * l + 1)});
    }
  }
}

const at::Tensor& EquivariantBasis::at(int64_t k, int64_t l) const {
  auto it = basis_.find({k, l});
  SE3T_CHECK(it != basis_.end(), "EquivariantBasis::at: no basis for input degree ", k,
             " and output degree ", l, " (built for degrees in <= ", max_in_, ", out <= ", max_out_,
             ")");
  return it->second;
}

at::Tensor kernel_from_basis(const at::Tensor& basis_kl, int64_t k, int64_t l,
                             const at::Tensor& phi) {
  const int64_t nj = num_basis_J(k, l);
  check_shape(basis_kl, {-1, 2 * k + 1, nj * (2 * l + 1)}, "kernel_from_basis: basis");
  check_shape(phi, {basis_kl.size(0), nj}, "kernel_from_basis: phi");
  const at::Tensor b = basis_kl.view({basis_kl.size(0), 2 * k + 1, nj, 2 * l + 1});
  // W[e, a, b] = sum_j phi[e, j] B[e, b, j, a]
  return at::einsum("ebja,ej->eab", {b, phi});
}

}  // namespace se3t

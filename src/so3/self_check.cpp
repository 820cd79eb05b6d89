#include "se3t/so3/self_check.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "se3t/so3/clebsch_gordan.h"
#include "se3t/so3/equivariant_basis.h"
#include "se3t/so3/rotation.h"
#include "se3t/so3/spherical_harmonics.h"
#include "se3t/so3/wigner_d.h"

namespace se3t {

namespace {

double rel(const at::Tensor& a, const at::Tensor& b) {
  const double scale = std::max(b.abs().max().item<double>(), 1e-30);
  return (a - b).abs().max().item<double>() / scale;
}

}  // namespace

std::vector<CheckResult> so3_self_check(int64_t max_degree, int64_t basis_degree, int64_t rotations,
                                        uint64_t seed) {
  std::vector<CheckResult> results;
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const std::string name = dtype == at::kDouble ? "float64" : "float32";
    const double tol = dtype == at::kDouble ? 1e-12 : 1e-5;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto opts = at::TensorOptions().dtype(dtype);
    const at::Tensor R = random_rotation(rotations, opts, gen);  // [B, 3, 3]
    const at::Tensor R2 = random_rotation(rotations, opts, gen);
    const at::Tensor v = at::randn({rotations, 64, 3}, gen, at::kDouble).to(dtype);
    const at::Tensor Rv = at::matmul(v, R.transpose(-1, -2));

    CheckResult sh{"Y^l(Rv) = D^l(R) Y^l(v), l <= " + std::to_string(max_degree), name, 0, tol};
    CheckResult hom{"D^l(R1 R2) = D^l(R1) D^l(R2) and D^l orthogonal", name, 0, tol};
    const auto y = spherical_harmonics_list(v, max_degree);
    const auto y_rot = spherical_harmonics_list(Rv, max_degree);
    for (int64_t l = 0; l <= max_degree; ++l) {
      const at::Tensor D = wigner_D(l, R);
      sh.error = std::max(sh.error, rel(y_rot[l], at::matmul(y[l], D.transpose(-1, -2))));
      const at::Tensor D12 = wigner_D(l, at::matmul(R, R2));
      hom.error = std::max(hom.error, rel(D12, at::matmul(D, wigner_D(l, R2))));
      const at::Tensor eye = at::eye(2 * l + 1, opts);
      hom.error = std::max(hom.error, rel(at::matmul(D, D.transpose(-1, -2)), eye.expand_as(D)));
    }
    results.push_back(sh);
    results.push_back(hom);

    CheckResult cg{
        "C^{l1 l2 l3} invariant under D^l1 x D^l2 x D^l3, l <= " + std::to_string(basis_degree * 2),
        name, 0, tol};
    for (int64_t l1 = 0; l1 <= basis_degree; ++l1) {
      for (int64_t l2 = 0; l2 <= basis_degree; ++l2) {
        for (int64_t l3 = std::abs(l1 - l2); l3 <= l1 + l2; ++l3) {
          const at::Tensor C = clebsch_gordan(l1, l2, l3, opts);
          const at::Tensor rotated = at::einsum(
              "rai,rbj,rck,abc->rijk", {wigner_D(l1, R), wigner_D(l2, R), wigner_D(l3, R), C});
          cg.error = std::max(cg.error, rel(rotated, C.expand_as(rotated)));
        }
      }
    }
    results.push_back(cg);

    CheckResult basis{"W^lk(Rx) = D^l W^lk(x) D^k^T, k, l <= " + std::to_string(basis_degree), name,
                      0, tol};
    const at::Tensor x = v.reshape({-1, 3});
    const at::Tensor Rx = Rv.reshape({-1, 3});
    const EquivariantBasis b(x, basis_degree, basis_degree);
    const EquivariantBasis b_rot(Rx, basis_degree, basis_degree);
    const int64_t per = v.size(1);
    for (int64_t k = 0; k <= basis_degree; ++k) {
      const at::Tensor Dk = wigner_D(k, R).repeat_interleave(per, 0);
      for (int64_t l = 0; l <= basis_degree; ++l) {
        const at::Tensor Dl = wigner_D(l, R).repeat_interleave(per, 0);
        const at::Tensor phi =
            at::randn({x.size(0), num_basis_J(k, l)}, gen, at::kDouble).to(dtype);
        const at::Tensor W = kernel_from_basis(b.at(k, l), k, l, phi);
        const at::Tensor W_rot = kernel_from_basis(b_rot.at(k, l), k, l, phi);
        basis.error =
            std::max(basis.error, rel(W_rot, at::matmul(at::matmul(Dl, W), Dk.transpose(-1, -2))));
      }
    }
    results.push_back(basis);
  }
  return results;
}

}  // namespace se3t

#include "se3t/so3/wigner_d.h"

#include <ATen/ATen.h>

#include <cmath>
#include <map>
#include <mutex>

#include "se3t/so3/rotation.h"
#include "se3t/so3/spherical_harmonics.h"
#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {

namespace {

// A Fibonacci lattice of n points on the unit sphere: near-uniform, so the harmonics matrix
// below is well conditioned for every degree.
at::Tensor fibonacci_sphere(int64_t n) {
  const double golden = M_PI * (3.0 - std::sqrt(5.0));
  at::Tensor pts = at::empty({n, 3}, at::kDouble);
  auto a = pts.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const double z = 1.0 - (2.0 * i + 1.0) / static_cast<double>(n);
    const double r = std::sqrt(1.0 - z * z);
    a[i][0] = r * std::cos(golden * i);
    a[i][1] = r * std::sin(golden * i);
    a[i][2] = z;
  }
  return pts;
}

struct Fit {
  at::Tensor points;  // [n, 3]
  at::Tensor pinv;    // [2l+1, n]: pseudo-inverse of Y^l(points)
};

// The point set and pseudo-inverse for degree l, computed once in float64.
const Fit& fit_for(int64_t l) {
  static std::mutex mutex;
  static std::map<int64_t, Fit> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(l);
  if (it != cache.end()) return it->second;
  Fit fit;
  fit.points = fibonacci_sphere(4 * (2 * l + 1));
  fit.pinv = at::linalg_pinv(spherical_harmonic(l, fit.points));
  return cache.emplace(l, std::move(fit)).first->second;
}

}  // namespace

at::Tensor wigner_D(int64_t l, const at::Tensor& R) {
  SE3T_CHECK(l >= 0, "wigner_D: l: expected a degree >= 0, got ", l);
  check_floating(R, "wigner_D: R");
  SE3T_CHECK(R.dim() >= 2 && R.size(-1) == 3 && R.size(-2) == 3,
             "wigner_D: R: expected rotation matrices [..., 3, 3], got ", describe(R));
  const Fit& fit = fit_for(l);
  const auto f64 = R.options().dtype(at::kDouble);
  // B[..., k, :] = Y^l(R v_k) = (D Y^l(v_k))^T, so D^T = pinv(Y(V)) B.
  const at::Tensor rotated = at::matmul(fit.points.to(f64), R.to(at::kDouble).transpose(-1, -2));
  const at::Tensor B = spherical_harmonic(l, rotated);
  return at::matmul(fit.pinv.to(f64), B).transpose(-1, -2).to(R.scalar_type()).contiguous();
}

at::Tensor wigner_D_from_quaternion(int64_t l, const at::Tensor& q) {
  return wigner_D(l, quaternion_to_matrix(q));
}

at::Tensor wigner_D_from_angles(int64_t l, const at::Tensor& alpha, const at::Tensor& beta,
                                const at::Tensor& gamma) {
  return wigner_D(l, euler_angles_to_matrix(alpha, beta, gamma));
}

at::Tensor wigner_D_block(int64_t lmax, const at::Tensor& R) {
  SE3T_CHECK(lmax >= 0, "wigner_D_block: lmax: expected >= 0, got ", lmax);
  check_floating(R, "wigner_D_block: R");
  SE3T_CHECK(R.dim() >= 2 && R.size(-1) == 3 && R.size(-2) == 3,
             "wigner_D_block: R: expected rotation matrices [..., 3, 3], got ", describe(R));
  auto sizes = R.sizes().vec();
  sizes.resize(sizes.size() - 2);
  sizes.push_back(sh_dim(lmax));
  sizes.push_back(sh_dim(lmax));
  at::Tensor out = at::zeros(sizes, R.options());
  for (int64_t l = 0; l <= lmax; ++l) {
    out.narrow(-2, l * l, 2 * l + 1).narrow(-1, l * l, 2 * l + 1).copy_(wigner_D(l, R));
  }
  return out;
}

}  // namespace se3t

#include "se3t/nn/radial_basis.h"

#include <ATen/ATen.h>

#include <cmath>

#include "se3t/util/check.h"

namespace se3t {

at::Tensor gaussian_radial_basis(const at::Tensor& distance, int64_t num_basis, double r_max) {
  SE3T_CHECK(num_basis >= 2, "gaussian_radial_basis: need at least 2 basis functions, got ",
             num_basis);
  SE3T_CHECK(std::isfinite(r_max) && r_max > 0.0,
             "gaussian_radial_basis: r_max must be finite and > 0, got ", r_max);
  SE3T_CHECK(distance.dim() == 1 || (distance.dim() == 2 && distance.size(1) == 1),
             "gaussian_radial_basis: distance must be [E] or [E, 1], got ", distance.sizes());
  const double delta = r_max / static_cast<double>(num_basis - 1);
  const at::Tensor mu = at::arange(num_basis, distance.options()) * delta;  // [K]
  const at::Tensor z = (distance.reshape({-1, 1}) - mu) / delta;            // [E, K]
  return at::exp(-z * z);
}

at::Tensor bessel_radial_basis(const at::Tensor& distance, int64_t num_basis, double r_cut) {
  SE3T_CHECK(num_basis >= 1, "bessel_radial_basis: need at least 1 basis function, got ",
             num_basis);
  SE3T_CHECK(std::isfinite(r_cut) && r_cut > 0.0,
             "bessel_radial_basis: r_cut must be finite and > 0, got ", r_cut);
  SE3T_CHECK(distance.dim() == 1 || (distance.dim() == 2 && distance.size(1) == 1),
             "bessel_radial_basis: distance must be [E] or [E, 1], got ", distance.sizes());
  const at::Tensor r = distance.reshape({-1, 1});
  const at::Tensor k = at::arange(1, num_basis + 1, distance.options()) * (M_PI / r_cut);  // [K]
  // sin(k r) / r = k sinc(k r / pi); at::sinc is exact (and smooth) at 0.
  return std::sqrt(2.0 / r_cut) * k * at::sinc(r * k / M_PI);
}

}  // namespace se3t

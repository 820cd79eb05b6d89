#include "se3t/nn/cutoff_envelope.h"

#include <ATen/ATen.h>

#include <cmath>

#include "se3t/util/check.h"

namespace se3t {

at::Tensor polynomial_envelope(const at::Tensor& distance, double r_cut, int64_t p) {
  SE3T_CHECK(std::isfinite(r_cut) && r_cut > 0.0,
             "polynomial_envelope: r_cut must be finite and > 0, got ", r_cut);
  SE3T_CHECK(p >= 1, "polynomial_envelope: the exponent p must be >= 1, got ", p);
  const double a = -(p + 1.0) * (p + 2.0) / 2.0, b = p * (p + 2.0), c = -p * (p + 1.0) / 2.0;
  // d clamped to [0, 1] so that u and its gradient are exactly 0 beyond the cutoff.
  const at::Tensor d = (distance / r_cut).clamp(0.0, 1.0);
  const at::Tensor dp = d.pow(static_cast<double>(p));
  return 1.0 + dp * (a + d * (b + c * d));
}

}  // namespace se3t

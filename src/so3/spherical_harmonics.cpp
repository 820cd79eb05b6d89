#include "se3t/so3/spherical_harmonics.h"

#include <ATen/ATen.h>

#include <cmath>

#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {

namespace {

// sqrt((2l+1) (l-m)! / (l+m)!) * (m > 0 ? sqrt(2) : 1): component normalisation.
double normalisation(int64_t l, int64_t m) {
  double ratio = 1.0;
  for (int64_t k = l - m + 1; k <= l + m; ++k) ratio /= static_cast<double>(k);
  return std::sqrt((2.0 * l + 1.0) * ratio) * (m > 0 ? std::sqrt(2.0) : 1.0);
}

}  // namespace

at::Tensor spherical_harmonics(const at::Tensor& x, int64_t lmax) {
  check_floating(x, "spherical_harmonics: x");
  SE3T_CHECK(x.dim() >= 1 && x.size(-1) == 3,
             "spherical_harmonics: x: expected shape [..., 3], got ", describe(x));
  SE3T_CHECK(lmax >= 0, "spherical_harmonics: lmax: expected a degree >= 0, got ", lmax);

  // Unit vector u = x/|x|, and u = 0 for the zero vector. The masked square root keeps the
  // gradient finite (zero) at x = 0, where |x| is not differentiable.
  const at::Tensor n2 = (x * x).sum(-1, /*keepdim=*/true);
  const at::Tensor nonzero = n2 > 0;
  const at::Tensor inv_norm = at::where(nonzero, n2, at::ones_like(n2)).rsqrt();
  const at::Tensor u = at::where(nonzero, x * inv_norm, at::zeros_like(x));
  // r^2 of u: 1 on the sphere, 0 for the zero vector (then every degree >= 1 vanishes, since
  // the recurrences below build homogeneous polynomials of degree l).
  const at::Tensor r2 = nonzero.to(x.scalar_type()).squeeze(-1);

  // Textbook coordinates (x', y', z') = (z, x, y): the polar axis z' is e3nn's y.
  const at::Tensor xp = u.select(-1, 2);
  const at::Tensor yp = u.select(-1, 0);
  const at::Tensor zp = u.select(-1, 1);

  // C_m + i S_m = (x' + i y')^m carries the azimuthal part, sin^m(theta) e^{i m phi}.
  std::vector<at::Tensor> cos_m(lmax + 1), sin_m(lmax + 1);
  cos_m[0] = at::ones_like(xp);
  sin_m[0] = at::zeros_like(xp);
  for (int64_t m = 1; m <= lmax; ++m) {
    cos_m[m] = xp * cos_m[m - 1] - yp * sin_m[m - 1];
    sin_m[m] = xp * sin_m[m - 1] + yp * cos_m[m - 1];
  }

  // Q_l^m(z', r^2) = P_l^m(cos theta) / sin^m(theta) without the Condon-Shortley phase:
  // Q_m^m = (2m-1)!!, Q_{m+1}^m = (2m+1) z' Q_m^m,
  // Q_l^m = ((2l-1) z' Q_{l-1}^m - (l+m-1) r^2 Q_{l-2}^m) / (l-m).
  std::vector<at::Tensor> columns(static_cast<size_t>(sh_dim(lmax)));
  double double_factorial = 1.0;  // (2m-1)!!
  for (int64_t m = 0; m <= lmax; ++m) {
    if (m > 0) double_factorial *= static_cast<double>(2 * m - 1);
    at::Tensor q_prev2;                                       // Q_{l-2}^m
    at::Tensor q_prev = at::full_like(xp, double_factorial);  // Q_m^m
    for (int64_t l = m; l <= lmax; ++l) {
      at::Tensor q;
      if (l == m) {
        q = q_prev;
      } else if (l == m + 1) {
        q = zp * q_prev * static_cast<double>(2 * m + 1);
        q_prev2 = q_prev;
        q_prev = q;
      } else {
        q = (zp * q_prev * static_cast<double>(2 * l - 1) -
             r2 * q_prev2 * static_cast<double>(l + m - 1)) /
            static_cast<double>(l - m);
        q_prev2 = q_prev;
        q_prev = q;
      }
      const double norm = normalisation(l, m);
      const int64_t centre = l * l + l;  // column of (l, m = 0)
      if (m == 0) {
        columns[centre] = q * norm;
      } else {
        const at::Tensor qn = q * norm;
        columns[centre + m] = qn * cos_m[m];
        columns[centre - m] = qn * sin_m[m];
      }
    }
  }
  return at::stack(columns, -1);
}

std::vector<at::Tensor> spherical_harmonics_list(const at::Tensor& x, int64_t lmax) {
  const at::Tensor all = spherical_harmonics(x, lmax);
  std::vector<at::Tensor> out;
  for (int64_t l = 0; l <= lmax; ++l) out.push_back(all.narrow(-1, l * l, 2 * l + 1));
  return out;
}

at::Tensor spherical_harmonic(int64_t l, const at::Tensor& x) {
  SE3T_CHECK(l >= 0, "spherical_harmonic: l: expected a degree >= 0, got ", l);
  return spherical_harmonics(x, l).narrow(-1, l * l, 2 * l + 1);
}

}  // namespace se3t

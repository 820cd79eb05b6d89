// Tests of se3t::spherical_harmonics against values derived independently from the definition
// in docs/design.md, Conventions: textbook real harmonics (z polar, m = -l..l, no
// Condon-Shortley phase), component normalisation |Y^l|^2 = 2l+1, evaluated at the permuted
// unit vector (x', y', z') = (z, x, y).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/testing.h"
#include "se3t/so3/rotation.h"
#include "se3t/so3/spherical_harmonics.h"
#include "se3t/so3/wigner_d.h"

namespace se3t {
namespace {

using testing::make_generator;
using testing::max_abs_diff;
using testing::relative_error;

constexpr double kTol64 = 1e-12;
constexpr double kTol32 = 1e-5;

// Random vectors of norm in [0.5, 2] (away from the origin, where derivatives blow up).
at::Tensor random_vectors(at::IntArrayRef sizes, at::Generator& gen) {
  at::Tensor v = at::randn(sizes, gen, at::kDouble);
  v = v / v.norm(2, -1, /*keepdim=*/true);
  auto radius_sizes = sizes.vec();
  radius_sizes.back() = 1;
  return v * (0.5 + 1.5 * at::rand(radius_sizes, gen, at::kDouble));
}

// Real harmonics of degrees 0..3 written out from the textbook tables (orthonormal real
// harmonics times sqrt(4 pi)), in the textbook coordinates of the unit vector.
std::vector<double> closed_form_upto3(double vx, double vy, double vz) {
  const double r = std::sqrt(vx * vx + vy * vy + vz * vz);
  const double x = vz / r, y = vx / r, z = vy / r;  // (x', y', z') = (z, x, y)
  const double s3 = std::sqrt(3.0), s5 = std::sqrt(5.0), s7 = std::sqrt(7.0);
  const double s15 = std::sqrt(15.0), s105 = std::sqrt(105.0);
  const double s35_2 = std::sqrt(35.0 / 2.0), s21_2 = std::sqrt(21.0 / 2.0);
  return {
      1.0,
      // l = 1: m = -1, 0, 1
      s3 * y,
      s3 * z,
      s3 * x,
      // l = 2
      s15 * x * y,
      s15 * y * z,
      s5 / 2 * (3 * z * z - 1),
      s15 * x * z,
      s15 / 2 * (x * x - y * y),
      // l = 3
      s35_2 / 2 * y * (3 * x * x - y * y),
      s105 * x * y * z,
      s21_2 / 2 * y * (5 * z * z - 1),
      s7 / 2 * (5 * z * z * z - 3 * z),
      s21_2 / 2 * x * (5 * z * z - 1),
      s105 / 2 * (x * x - y * y) * z,
      s35_2 / 2 * x * (x * x - 3 * y * y),
  };
}

long double factorial(int n) {
  long double f = 1;
  for (int k = 2; k <= n; ++k) f *= k;
  return f;
}

// Associated Legendre function without the Condon-Shortley phase, from the explicit sum
//   P_l(t) = 2^-l sum_k (-1)^k C(l,k) C(2l-2k, l) t^(l-2k),  P_l^m = (1-t^2)^(m/2) d^m/dt^m P_l.
long double legendre(int l, int m, long double t) {
  long double sum = 0;
  for (int k = 0; 2 * k <= l; ++k) {
    const int n = l - 2 * k;  // power of t
    if (n < m) continue;
    const long double binom_lk = factorial(l) / (factorial(k) * factorial(l - k));
    const long double binom = factorial(2 * l - 2 * k) / (factorial(l) * factorial(l - 2 * k));
    const long double deriv = factorial(n) / factorial(n - m);  // d^m/dt^m t^n = n!/(n-m)! t^(n-m)
    sum += ((k % 2) ? -1 : 1) * binom_lk * binom * deriv * std::pow(t, n - m);
  }
  return sum / std::pow(2.0L, l) * std::pow(std::sqrt(1 - t * t), m);
}

// Y^l_m of the definition, through the polar angles of the textbook coordinates.
double definition(int l, int m, double vx, double vy, double vz) {
  const long double r =
      std::sqrt((long double)vx * vx + (long double)vy * vy + (long double)vz * vz);
  const long double x = vz / r, y = vx / r, z = vy / r;
  const long double phi = std::atan2(y, x);
  const int am = std::abs(m);
  const long double norm = std::sqrt((2 * l + 1) * factorial(l - am) / factorial(l + am)) *
                           (m != 0 ? std::sqrt(2.0L) : 1.0L);
  const long double azimuth = m > 0 ? std::cos(am * phi) : (m < 0 ? std::sin(am * phi) : 1.0L);
  return static_cast<double>(norm * legendre(l, am, z) * azimuth);
}

// Gauss-Legendre nodes and weights on [-1, 1] (Newton iteration on P_n).
void gauss_legendre(int n, std::vector<double>& nodes, std::vector<double>& weights) {
  nodes.assign(n, 0);
  weights.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    double t = std::cos(M_PI * (i + 0.75) / (n + 0.5));
    double dp = 0;
    for (int iter = 0; iter < 100; ++iter) {
      double p0 = 1, p1 = t;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (t * p1 - p0) / (t * t - 1);
      const double step = p1 / dp;
      t -= step;
      if (std::abs(step) < 1e-16) break;
    }
    double p0 = 1, p1 = t;
    for (int k = 2; k <= n; ++k) {
      const double p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    dp = n * (t * p1 - p0) / (t * t - 1);
    nodes[i] = t;
    weights[i] = 2 / ((1 - t * t) * dp * dp);
  }
}

TEST(SphericalHarmonics, CheckValuesFromSpec) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor z = at::tensor({0.0, 0.0, 1.0}, opts);
  const at::Tensor y = at::tensor({0.0, 1.0, 0.0}, opts);
  const at::Tensor y2z = spherical_harmonic(2, z);
  const at::Tensor expect_z =
      at::tensor({0.0, 0.0, -std::sqrt(5.0) / 2, 0.0, std::sqrt(15.0) / 2}, opts);
  EXPECT_LT(max_abs_diff(y2z, expect_z), kTol64) << y2z;
  const at::Tensor y2y = spherical_harmonic(2, y);
  const at::Tensor expect_y = at::tensor({0.0, 0.0, std::sqrt(5.0), 0.0, 0.0}, opts);
  EXPECT_LT(max_abs_diff(y2y, expect_y), kTol64) << y2y;
  // Scaling does not matter: the same at 3 z.
  EXPECT_LT(max_abs_diff(spherical_harmonic(2, 3 * z), expect_z), kTol64);
}

TEST(SphericalHarmonics, DegreeOneIsTheScaledUnitVector) {
  auto gen = make_generator(1);
  const at::Tensor v = random_vectors({50, 3}, gen);
  const at::Tensor expect = std::sqrt(3.0) * v / v.norm(2, -1, true);
  EXPECT_LT(max_abs_diff(spherical_harmonic(1, v), expect), kTol64);
  const at::Tensor y0 = spherical_harmonic(0, v);
  EXPECT_LT(max_abs_diff(y0, at::ones({50, 1}, at::kDouble)), kTol64);
}

TEST(SphericalHarmonics, MatchesClosedFormsUpToDegreeThree) {
  auto gen = make_generator(2);
  const at::Tensor v = random_vectors({100, 3}, gen);
  const at::Tensor y = spherical_harmonics(v, 3);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{100, 16}));
  auto va = v.accessor<double, 2>();
  auto ya = y.accessor<double, 2>();
  double err = 0;
  for (int64_t e = 0; e < 100; ++e) {
    const auto expect = closed_form_upto3(va[e][0], va[e][1], va[e][2]);
    for (int64_t i = 0; i < 16; ++i) err = std::max(err, std::abs(ya[e][i] - expect[i]));
  }
  EXPECT_LT(err, kTol64);
}

TEST(SphericalHarmonics, MatchesExplicitLegendreDefinitionUpToDegreeTen) {
  auto gen = make_generator(3);
  const int64_t lmax = 10;
  const at::Tensor v = random_vectors({40, 3}, gen);
  const at::Tensor y = spherical_harmonics(v, lmax);
  auto va = v.accessor<double, 2>();
  auto ya = y.accessor<double, 2>();
  for (int l = 0; l <= lmax; ++l) {
    double err = 0;
    for (int64_t e = 0; e < v.size(0); ++e) {
      for (int m = -l; m <= l; ++m) {
        const double expect = definition(l, m, va[e][0], va[e][1], va[e][2]);
        err = std::max(err, std::abs(ya[e][l * l + l + m] - expect));
      }
    }
    EXPECT_LT(err, kTol64 * std::sqrt(2.0 * l + 1)) << "l = " << l;
  }
}

TEST(SphericalHarmonics, ComponentNormalisation) {
  auto gen = make_generator(4);
  const at::Tensor v = random_vectors({200, 3}, gen);
  const auto ys = spherical_harmonics_list(v, 10);
  ASSERT_EQ(ys.size(), 11u);
  for (int64_t l = 0; l <= 10; ++l) {
    ASSERT_EQ(ys[l].size(-1), 2 * l + 1);
    const at::Tensor n2 = (ys[l] * ys[l]).sum(-1);
    EXPECT_LT(max_abs_diff(n2, at::full_like(n2, 2.0 * l + 1)), kTol64 * (2 * l + 1))
        << "l = " << l;
  }
}

TEST(SphericalHarmonics, ScaleInvarianceAndParity) {
  auto gen = make_generator(5);
  const at::Tensor v = random_vectors({100, 3}, gen);
  const at::Tensor c = 0.01 + 100 * at::rand({100, 1}, gen, at::kDouble);
  const at::Tensor y = spherical_harmonics(v, 10);
  EXPECT_LT(max_abs_diff(spherical_harmonics(c * v, 10), y), kTol64);
  const at::Tensor y_neg = spherical_harmonics(-v, 10);
  for (int64_t l = 0; l <= 10; ++l) {
    const double sign = (l % 2) ? -1.0 : 1.0;
    EXPECT_LT(
        max_abs_diff(y_neg.narrow(-1, l * l, 2 * l + 1), sign * y.narrow(-1, l * l, 2 * l + 1)),
        kTol64)
        << "l = " << l;
  }
}

TEST(SphericalHarmonics, OrthonormalOnTheSphere) {
  // (1/4pi) int Y^l_m Y^l'_m' dOmega = delta delta, by a product rule exact for polynomials of
  // degree <= 2n-1 in cos(theta) and trigonometric order < M in phi: here l + l' <= 12.
  const int n = 8, M = 16, lmax = 6;
  std::vector<double> t, w;
  gauss_legendre(n, t, w);
  double wsum = 0;
  for (double wi : w) wsum += wi;
  ASSERT_NEAR(wsum, 2.0, 1e-14);
  at::Tensor pts = at::empty({n * M, 3}, at::kDouble);
  at::Tensor wts = at::empty({n * M}, at::kDouble);
  auto p = pts.accessor<double, 2>();
  auto q = wts.accessor<double, 1>();
  for (int i = 0; i < n; ++i) {
    const double s = std::sqrt(1 - t[i] * t[i]);
    for (int j = 0; j < M; ++j) {
      const double phi = 2 * M_PI * (j + 0.3) / M;
      p[i * M + j][0] = s * std::cos(phi);
      p[i * M + j][1] = s * std::sin(phi);
      p[i * M + j][2] = t[i];
      q[i * M + j] = w[i] / (2.0 * M);  // (1/4pi) * w_i * (2pi / M)
    }
  }
  const at::Tensor y = spherical_harmonics(pts, lmax);  // [nM, 49]
  const at::Tensor gram = at::matmul(y.t() * wts, y);
  EXPECT_LT(max_abs_diff(gram, at::eye(sh_dim(lmax), at::kDouble)), kTol64);
}

TEST(SphericalHarmonics, EquivariantUpToDegreeTen) {
  auto gen = make_generator(6);
  const int64_t lmax = 10, B = 30, N = 20;
  const at::Tensor R = random_rotation(B, at::kDouble, gen);
  const at::Tensor v = random_vectors({B, N, 3}, gen);
  const at::Tensor Rv = at::matmul(v, R.transpose(-1, -2));
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const double tol = dtype == at::kDouble ? kTol64 : kTol32;
    const auto y = spherical_harmonics_list(v.to(dtype), lmax);
    const auto y_rot = spherical_harmonics_list(Rv.to(dtype), lmax);
    for (int64_t l = 0; l <= lmax; ++l) {
      const at::Tensor D = wigner_D(l, R.to(dtype));  // [B, 2l+1, 2l+1]
      const at::Tensor expect = at::matmul(y[l], D.transpose(-1, -2));
      EXPECT_LT(relative_error(y_rot[l], expect), tol) << "l = " << l << " " << dtype;
    }
  }
}

TEST(SphericalHarmonics, GradientMatchesFiniteDifferences) {
  auto gen = make_generator(7);
  const int64_t lmax = 6, E = 20;
  const at::Tensor v = random_vectors({E, 3}, gen);
  const at::Tensor proj = at::randn({E, sh_dim(lmax)}, gen, at::kDouble);
  const at::Tensor x = v.clone().requires_grad_();
  (spherical_harmonics(x, lmax) * proj).sum().backward();
  const at::Tensor grad = x.grad();
  ASSERT_TRUE(grad.defined());
  // Rows are independent: perturbing coordinate c of every row at once gives d/dx[e, c].
  const double h = 1e-5;
  at::Tensor fd = at::empty({E, 3}, at::kDouble);
  for (int64_t c = 0; c < 3; ++c) {
    at::Tensor dx = at::zeros({E, 3}, at::kDouble);
    dx.select(1, c).fill_(h);
    const at::Tensor plus = (spherical_harmonics(v + dx, lmax) * proj).sum(-1);
    const at::Tensor minus = (spherical_harmonics(v - dx, lmax) * proj).sum(-1);
    fd.select(1, c).copy_((plus - minus) / (2 * h));
  }
  EXPECT_LT(relative_error(grad, fd), 1e-7);
  // The gradient of a direction-only function is orthogonal to x.
  EXPECT_LT((grad * v).sum(-1).abs().max().item<double>(), 1e-10 * grad.abs().max().item<double>());
}

TEST(SphericalHarmonics, ZeroVectorIsFiniteWithZeroGradient) {
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const int64_t lmax = 6;
    at::Tensor x = at::zeros({3, 3}, dtype);
    x[1] = at::tensor({0.3, -0.4, 1.2}, dtype);  // one ordinary row among zero rows
    x.requires_grad_();
    const at::Tensor y = spherical_harmonics(x, lmax);
    ASSERT_TRUE(at::isfinite(y).all().item<bool>());
    for (int64_t row : {0, 2}) {
      EXPECT_EQ(y[row][0].item<double>(), 1.0);
      EXPECT_EQ(y[row].narrow(0, 1, sh_dim(lmax) - 1).abs().max().item<double>(), 0.0);
    }
    const at::Tensor proj = at::arange(sh_dim(lmax), dtype).sin();
    (y * proj).sum().backward();
    const at::Tensor g = x.grad();
    ASSERT_TRUE(at::isfinite(g).all().item<bool>()) << g;
    EXPECT_EQ(g[0].abs().max().item<double>(), 0.0);
    EXPECT_EQ(g[2].abs().max().item<double>(), 0.0);
    EXPECT_GT(g[1].abs().max().item<double>(), 0.0);
  }
}

TEST(SphericalHarmonics, Float32AgreesWithFloat64) {
  auto gen = make_generator(8);
  const at::Tensor x32 = random_vectors({500, 3}, gen).to(at::kFloat);
  const at::Tensor y32 = spherical_harmonics(x32, 10);
  EXPECT_EQ(y32.scalar_type(), at::kFloat);
  const at::Tensor y64 = spherical_harmonics(x32.to(at::kDouble), 10);
  EXPECT_EQ(y64.scalar_type(), at::kDouble);
  for (int64_t l = 0; l <= 10; ++l) {
    EXPECT_LT(relative_error(y32.narrow(-1, l * l, 2 * l + 1).to(at::kDouble),
                             y64.narrow(-1, l * l, 2 * l + 1)),
              kTol32)
        << "l = " << l;
  }
}

TEST(SphericalHarmonics, BatchShapesAndViews) {
  auto gen = make_generator(9);
  const at::Tensor x = random_vectors({2, 5, 3}, gen);
  const at::Tensor y = spherical_harmonics(x, 4);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 5, 25}));
  EXPECT_EQ(max_abs_diff(y.reshape({10, 25}), spherical_harmonics(x.reshape({10, 3}), 4)), 0.0);
  // A single vector [3] gives [(lmax+1)^2].
  EXPECT_EQ(spherical_harmonics(x[1][2], 4).sizes(), (std::vector<int64_t>{25}));
  // Empty batches work.
  EXPECT_EQ(spherical_harmonics(at::zeros({0, 3}, at::kDouble), 2).sizes(),
            (std::vector<int64_t>{0, 9}));
  // The list and single-degree forms are slices of the concatenated result.
  const auto list = spherical_harmonics_list(x, 4);
  ASSERT_EQ(list.size(), 5u);
  for (int64_t l = 0; l <= 4; ++l) {
    ASSERT_EQ(list[l].sizes(), (std::vector<int64_t>{2, 5, 2 * l + 1}));
    EXPECT_EQ(max_abs_diff(list[l], y.narrow(-1, l * l, 2 * l + 1)), 0.0);
    EXPECT_LT(max_abs_diff(spherical_harmonic(l, x), list[l]), kTol64);
  }
  EXPECT_EQ(sh_dim(0), 1);
  EXPECT_EQ(sh_dim(6), 49);
}

}  // namespace
}  // namespace se3t

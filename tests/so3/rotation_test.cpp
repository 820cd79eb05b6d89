// Tests of the rotation helpers: Haar-random rotations, quaternions, Euler angles.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/testing.h"
#include "se3t/so3/rotation.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::make_generator;
using testing::max_abs_diff;

constexpr double kTol64 = 1e-12;

at::Tensor mat3(double a, double b, double c, double d, double e, double f, double g, double h,
                double i) {
  return at::tensor({a, b, c, d, e, f, g, h, i}, at::kDouble).view({3, 3});
}

// Determinant by cofactor expansion, per matrix of [n, 3, 3].
at::Tensor det3(const at::Tensor& R) {
  auto m = [&](int i, int j) { return R.select(-2, i).select(-1, j); };
  return m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) -
         m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0)) +
         m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
}

// Rodrigues' formula R = I + sin(t) K + (1 - cos(t)) K^2 for a unit axis n and angle t.
at::Tensor rodrigues(double nx, double ny, double nz, double t) {
  const at::Tensor K = mat3(0, -nz, ny, nz, 0, -nx, -ny, nx, 0);
  return at::eye(3, at::kDouble) + std::sin(t) * K + (1 - std::cos(t)) * at::matmul(K, K);
}

at::Tensor rot_x(double t) {
  const double c = std::cos(t), s = std::sin(t);
  return mat3(1, 0, 0, 0, c, -s, 0, s, c);
}
at::Tensor rot_y(double t) {
  const double c = std::cos(t), s = std::sin(t);
  return mat3(c, 0, s, 0, 1, 0, -s, 0, c);
}
at::Tensor rot_z(double t) {
  const double c = std::cos(t), s = std::sin(t);
  return mat3(c, -s, 0, s, c, 0, 0, 0, 1);
}

TEST(Rotation, RandomRotationsAreProperOrthogonal) {
  auto gen = make_generator(11);
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const double tol = dtype == at::kDouble ? kTol64 : 1e-6;
    const at::Tensor R = random_rotation(50, dtype, gen);
    ASSERT_EQ(R.sizes(), (std::vector<int64_t>{50, 3, 3}));
    EXPECT_EQ(R.scalar_type(), dtype);
    const at::Tensor RRt = at::matmul(R, R.transpose(-1, -2));
    EXPECT_LT(max_abs_diff(RRt, at::eye(3, dtype).expand_as(RRt)), tol);
    EXPECT_LT(max_abs_diff(det3(R), at::ones({50}, dtype)), tol);
  }
  EXPECT_EQ(random_rotation(0).sizes(), (std::vector<int64_t>{0, 3, 3}));
}

TEST(Rotation, SeededRandomRotationsReproduce) {
  auto g1 = make_generator(123), g2 = make_generator(123), g3 = make_generator(124);
  const at::Tensor a = random_rotation(20, at::kDouble, g1);
  const at::Tensor b = random_rotation(20, at::kDouble, g2);
  const at::Tensor c = random_rotation(20, at::kDouble, g3);
  EXPECT_EQ(max_abs_diff(a, b), 0.0);
  EXPECT_GT(max_abs_diff(a, c), 0.1);
  // float32 from the same seed is the float64 draw rounded.
  auto g4 = make_generator(123);
  const at::Tensor f = random_rotation(20, at::kFloat, g4);
  EXPECT_LT(max_abs_diff(f.to(at::kDouble), a), 1e-6);
  // Successive draws from one generator differ.
  EXPECT_GT(max_abs_diff(random_rotation(20, at::kDouble, g1), a), 0.1);
}

TEST(Rotation, RandomRotationsAreHaarDistributed) {
  // Under the Haar measure E[R_ij] = 0 and E[R_ij R_kl] = delta_ik delta_jl / 3 (each row and
  // each column is a uniform unit vector, distinct rows are orthogonal). Sample errors: the
  // entries have variance 1/3; the products variance at most E[R_11^2 R_22^2] = 2/15.
  const int64_t n = 20000;
  auto gen = make_generator(12);
  const at::Tensor R = random_rotation(n, at::kDouble, gen).reshape({n, 9});
  const at::Tensor mean = R.mean(0);
  const double bound1 = 5 * std::sqrt(1.0 / 3.0 / n);
  EXPECT_LT(mean.abs().max().item<double>(), bound1) << mean;
  const at::Tensor second = at::matmul(R.t(), R) / n;  // [9, 9] E[R_ij R_kl]
  at::Tensor expect = at::zeros({9, 9}, at::kDouble);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 3; ++l)
          if (i == k && j == l) expect[3 * i + j][3 * k + l] = 1.0 / 3.0;
  const double bound2 = 5 * std::sqrt(2.0 / 15.0 / n);
  EXPECT_LT(max_abs_diff(second, expect), bound2) << second;
  // The rotation angle t has density (1 - cos t) / pi on [0, pi]: E[cos t] = -1/2, i.e.
  // E[tr R] = 1 + 2 E[cos t] = 0, and P(t < pi/2) = (pi/2 - 1) / pi.
  const at::Tensor trace = R.select(1, 0) + R.select(1, 4) + R.select(1, 8);
  const at::Tensor cos_t = ((trace - 1) / 2).clamp(-1, 1);
  const double p = (cos_t > 0).to(at::kDouble).mean().item<double>();
  const double p_expect = (M_PI / 2 - 1) / M_PI;
  EXPECT_NEAR(p, p_expect, 5 * std::sqrt(p_expect * (1 - p_expect) / n));
}

TEST(Rotation, QuaternionMatchesRodrigues) {
  auto gen = make_generator(13);
  const at::Tensor axes = at::randn({30, 3}, gen, at::kDouble);
  const at::Tensor angles = (2 * at::rand({30}, gen, at::kDouble) - 1) * M_PI;
  for (int64_t i = 0; i < 30; ++i) {
    const at::Tensor n = axes[i] / axes[i].norm();
    const double nx = n[0].item<double>(), ny = n[1].item<double>(), nz = n[2].item<double>();
    const double t = angles[i].item<double>();
    const at::Tensor expect = rodrigues(nx, ny, nz, t);
    const double c = std::cos(t / 2), s = std::sin(t / 2);
    const at::Tensor q = at::tensor({c, s * nx, s * ny, s * nz}, at::kDouble);
    EXPECT_LT(max_abs_diff(quaternion_to_matrix(q), expect), kTol64);
    // Not normalised, and the other sign: the same rotation.
    EXPECT_LT(max_abs_diff(quaternion_to_matrix(-3.5 * q), expect), kTol64);
    // float32.
    EXPECT_LT(max_abs_diff(quaternion_to_matrix(q.to(at::kFloat)).to(at::kDouble), expect), 1e-6);
  }
  // Identity quaternion and a quarter turn about z (x -> y).
  EXPECT_LT(max_abs_diff(quaternion_to_matrix(at::tensor({1.0, 0.0, 0.0, 0.0}, at::kDouble)),
                         at::eye(3, at::kDouble)),
            kTol64);
  const double h = std::sqrt(0.5);
  EXPECT_LT(max_abs_diff(quaternion_to_matrix(at::tensor({h, 0.0, 0.0, h}, at::kDouble)),
                         mat3(0, -1, 0, 1, 0, 0, 0, 0, 1)),
            kTol64);
}

TEST(Rotation, QuaternionBatchShape) {
  auto gen = make_generator(14);
  const at::Tensor q = at::randn({2, 5, 4}, gen, at::kDouble);
  const at::Tensor R = quaternion_to_matrix(q);
  ASSERT_EQ(R.sizes(), (std::vector<int64_t>{2, 5, 3, 3}));
  EXPECT_EQ(max_abs_diff(R.reshape({10, 3, 3}), quaternion_to_matrix(q.reshape({10, 4}))), 0.0);
}

TEST(Rotation, AxisRotationsAreRightHanded) {
  const double q = M_PI / 2;
  const at::Tensor a = at::tensor(q, at::kDouble);
  const at::Tensor ex = at::tensor({1.0, 0.0, 0.0}, at::kDouble);
  const at::Tensor ey = at::tensor({0.0, 1.0, 0.0}, at::kDouble);
  const at::Tensor ez = at::tensor({0.0, 0.0, 1.0}, at::kDouble);
  EXPECT_LT(max_abs_diff(at::matmul(rotation_z(a), ex), ey), kTol64);  // x -> y
  EXPECT_LT(max_abs_diff(at::matmul(rotation_x(a), ey), ez), kTol64);  // y -> z
  EXPECT_LT(max_abs_diff(at::matmul(rotation_y(a), ez), ex), kTol64);  // z -> x
  auto gen = make_generator(15);
  const at::Tensor t = at::randn({10}, gen, at::kDouble);
  const at::Tensor Rx = rotation_x(t), Ry = rotation_y(t), Rz = rotation_z(t);
  ASSERT_EQ(Rx.sizes(), (std::vector<int64_t>{10, 3, 3}));
  for (int64_t i = 0; i < 10; ++i) {
    const double ti = t[i].item<double>();
    EXPECT_LT(max_abs_diff(Rx[i], rot_x(ti)), kTol64);
    EXPECT_LT(max_abs_diff(Ry[i], rot_y(ti)), kTol64);
    EXPECT_LT(max_abs_diff(Rz[i], rot_z(ti)), kTol64);
    // Each agrees with Rodrigues about its axis.
    EXPECT_LT(max_abs_diff(Ry[i], rodrigues(0, 1, 0, ti)), kTol64);
  }
}

TEST(Rotation, EulerAnglesAreYXY) {
  auto gen = make_generator(16);
  const at::Tensor al = at::randn({20}, gen, at::kDouble) * 3;
  const at::Tensor be = at::randn({20}, gen, at::kDouble) * 3;
  const at::Tensor ga = at::randn({20}, gen, at::kDouble) * 3;
  const at::Tensor R = euler_angles_to_matrix(al, be, ga);
  ASSERT_EQ(R.sizes(), (std::vector<int64_t>{20, 3, 3}));
  for (int64_t i = 0; i < 20; ++i) {
    const at::Tensor expect =
        at::matmul(at::matmul(rot_y(al[i].item<double>()), rot_x(be[i].item<double>())),
                   rot_y(ga[i].item<double>()));
    EXPECT_LT(max_abs_diff(R[i], expect), kTol64);
  }
}

TEST(Rotation, CheckRotationAcceptsRotationsOnly) {
  auto gen = make_generator(17);
  EXPECT_NO_THROW(check_rotation(random_rotation(10, at::kDouble, gen), "R"));
  EXPECT_NO_THROW(check_rotation(random_rotation(10, at::kFloat, gen), "R"));
  auto message = [](const at::Tensor& R) -> std::string {
    try {
      check_rotation(R, "my_rotation");
    } catch (const Error& e) {
      return e.what();
    }
    return "<no se3t::Error>";
  };
  const at::Tensor reflection = mat3(1, 0, 0, 0, 1, 0, 0, 0, -1);
  const at::Tensor sheared = mat3(1, 0.1, 0, 0, 1, 0, 0, 0, 1);
  for (const at::Tensor& bad : {reflection, sheared, at::eye(3, at::kDouble) * 2,
                                at::zeros({3, 4}, at::kDouble), at::eye(3, at::kLong)}) {
    const std::string msg = message(bad);
    EXPECT_NE(msg.find("my_rotation"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace se3t

// Tests of the real Wigner matrices D^l(R): a real orthogonal representation of SO(3) in the
// basis of se3t's spherical harmonics, Y^l(R v) = D^l(R) Y^l(v).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

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
constexpr int64_t kLmax = 10;

double tol_for(at::ScalarType dtype) {
  return dtype == at::kDouble ? kTol64 : kTol32;
}

at::Tensor eye_like(int64_t l, const at::Tensor& D) {
  return at::eye(2 * l + 1, D.options()).expand_as(D);
}

TEST(WignerD, OrthogonalForAllDegrees) {
  auto gen = make_generator(21);
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor R = random_rotation(30, dtype, gen);
    for (int64_t l = 0; l <= kLmax; ++l) {
      const at::Tensor D = wigner_D(l, R);
      ASSERT_EQ(D.sizes(), (std::vector<int64_t>{30, 2 * l + 1, 2 * l + 1}));
      EXPECT_EQ(D.scalar_type(), dtype);
      EXPECT_LT(max_abs_diff(at::matmul(D, D.transpose(-1, -2)), eye_like(l, D)), tol_for(dtype))
          << "l = " << l << " " << dtype;
      EXPECT_LT(max_abs_diff(at::matmul(D.transpose(-1, -2), D), eye_like(l, D)), tol_for(dtype))
          << "l = " << l << " " << dtype;
      // A rotation (det +1) representation: det D^l = 1.
      EXPECT_LT(max_abs_diff(at::linalg_det(D.to(at::kDouble)), at::ones({30}, at::kDouble)),
                dtype == at::kDouble ? 1e-10 : 1e-4)
          << "l = " << l;
    }
  }
}

TEST(WignerD, IdentityMapsToIdentity) {
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor I = at::eye(3, dtype);
    for (int64_t l = 0; l <= kLmax; ++l) {
      const at::Tensor D = wigner_D(l, I);
      EXPECT_LT(max_abs_diff(D, at::eye(2 * l + 1, dtype)), tol_for(dtype)) << "l = " << l;
    }
  }
}

TEST(WignerD, Homomorphism) {
  auto gen = make_generator(22);
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor R1 = random_rotation(30, dtype, gen);
    const at::Tensor R2 = random_rotation(30, dtype, gen);
    const at::Tensor R12 = at::matmul(R1, R2);
    for (int64_t l = 0; l <= kLmax; ++l) {
      const at::Tensor lhs = wigner_D(l, R12);
      const at::Tensor rhs = at::matmul(wigner_D(l, R1), wigner_D(l, R2));
      EXPECT_LT(max_abs_diff(lhs, rhs), tol_for(dtype)) << "l = " << l << " " << dtype;
      // D(R^T) = D(R)^T = D(R)^-1.
      EXPECT_LT(max_abs_diff(wigner_D(l, R1.transpose(-1, -2)), wigner_D(l, R1).transpose(-1, -2)),
                tol_for(dtype))
          << "l = " << l << " " << dtype;
    }
  }
}

TEST(WignerD, DegreeOneIsTheRotationItself) {
  // Y^1(v) = sqrt(3) v, so Y^1(R v) = R Y^1(v): D^1(R) = R in the (x, y, z)-ordered basis.
  auto gen = make_generator(23);
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor R = random_rotation(40, dtype, gen);
    EXPECT_LT(max_abs_diff(wigner_D(1, R), R), tol_for(dtype)) << dtype;
  }
  // Degree 0 is the trivial representation.
  const at::Tensor R = random_rotation(5, at::kDouble, gen);
  EXPECT_LT(max_abs_diff(wigner_D(0, R), at::ones({5, 1, 1}, at::kDouble)), kTol64);
}

TEST(WignerD, RotationAboutThePolarAxis) {
  // se3t's y is the textbook polar axis z' (docs/design.md, Conventions), and R_y(a) maps the
  // textbook azimuth phi to phi + a. Since Y^l_{+m} ~ cos(m phi) and Y^l_{-m} ~ sin(m phi) with
  // the same theta-dependence, D^l(R_y(a)) only mixes m with -m:
  //   D[+m, +m] = D[-m, -m] = cos(m a),  D[+m, -m] = -sin(m a),  D[-m, +m] = sin(m a).
  auto gen = make_generator(24);
  const at::Tensor angles = (2 * at::rand({10}, gen, at::kDouble) - 1) * M_PI;
  const at::Tensor R = rotation_y(angles);
  for (int64_t l = 0; l <= kLmax; ++l) {
    const at::Tensor D = wigner_D(l, R);
    at::Tensor expect = at::zeros_like(D);
    for (int64_t i = 0; i < 10; ++i) {
      const double a = angles[i].item<double>();
      expect[i][l][l] = 1.0;
      for (int64_t m = 1; m <= l; ++m) {
        expect[i][l + m][l + m] = std::cos(m * a);
        expect[i][l - m][l - m] = std::cos(m * a);
        expect[i][l + m][l - m] = -std::sin(m * a);
        expect[i][l - m][l + m] = std::sin(m * a);
      }
    }
    EXPECT_LT(max_abs_diff(D, expect), kTol64) << "l = " << l;
  }
}

TEST(WignerD, CharacterOfTheIrreducibleRepresentation) {
  // tr D^l(R) = sum_{m=-l}^{l} e^{i m t} = 1 + 2 sum_{m=1}^{l} cos(m t), with t the rotation
  // angle: cos t = (tr R - 1) / 2, and cos(m t) = T_m(cos t) (Chebyshev recurrence).
  auto gen = make_generator(25);
  const at::Tensor R = random_rotation(30, at::kDouble, gen);
  const at::Tensor c = ((R.diagonal(0, -2, -1).sum(-1) - 1) / 2);
  for (int64_t l = 0; l <= kLmax; ++l) {
    at::Tensor t_prev = at::ones_like(c), t_cur = c.clone();
    at::Tensor chi = at::ones_like(c);
    for (int64_t m = 1; m <= l; ++m) {
      chi = chi + 2 * t_cur;
      const at::Tensor t_next = 2 * c * t_cur - t_prev;
      t_prev = t_cur;
      t_cur = t_next;
    }
    const at::Tensor trace = wigner_D(l, R).diagonal(0, -2, -1).sum(-1);
    EXPECT_LT(max_abs_diff(trace, chi), kTol64 * (2 * l + 1)) << "l = " << l;
  }
}

TEST(WignerD, RotatesSphericalHarmonics) {
  auto gen = make_generator(26);
  const at::Tensor R = random_rotation(20, at::kDouble, gen);
  const at::Tensor v = at::randn({20, 30, 3}, gen, at::kDouble);
  const at::Tensor Rv = at::matmul(v, R.transpose(-1, -2));
  for (int64_t l = 0; l <= kLmax; ++l) {
    const at::Tensor expect = spherical_harmonic(l, Rv);
    const at::Tensor got = at::matmul(spherical_harmonic(l, v), wigner_D(l, R).transpose(-1, -2));
    EXPECT_LT(relative_error(got, expect), kTol64) << "l = " << l;
  }
}

TEST(WignerD, FromQuaternionAndAngles) {
  auto gen = make_generator(27);
  // Quaternions (cos t/2, sin t/2 n) against Rodrigues' matrix built here.
  const at::Tensor axes = at::randn({20, 3}, gen, at::kDouble);
  const at::Tensor n = axes / axes.norm(2, -1, true);
  const at::Tensor t = (2 * at::rand({20}, gen, at::kDouble) - 1) * M_PI;
  const at::Tensor q = at::cat({(t / 2).cos().unsqueeze(-1), (t / 2).sin().unsqueeze(-1) * n}, -1);
  at::Tensor K = at::zeros({20, 3, 3}, at::kDouble);
  K.select(-2, 0).select(-1, 1).copy_(-n.select(-1, 2));
  K.select(-2, 0).select(-1, 2).copy_(n.select(-1, 1));
  K.select(-2, 1).select(-1, 0).copy_(n.select(-1, 2));
  K.select(-2, 1).select(-1, 2).copy_(-n.select(-1, 0));
  K.select(-2, 2).select(-1, 0).copy_(-n.select(-1, 1));
  K.select(-2, 2).select(-1, 1).copy_(n.select(-1, 0));
  const at::Tensor st = t.sin().view({20, 1, 1}), ct = t.cos().view({20, 1, 1});
  const at::Tensor R = at::eye(3, at::kDouble) + st * K + (1 - ct) * at::matmul(K, K);
  // Euler angles against R_y(a) R_x(b) R_y(c) written out.
  const at::Tensor a = at::randn({20}, gen, at::kDouble), b = at::randn({20}, gen, at::kDouble),
                   c = at::randn({20}, gen, at::kDouble);
  auto ry = [](const at::Tensor& x) {
    const at::Tensor cs = x.cos(), sn = x.sin(), o = at::ones_like(x), z = at::zeros_like(x);
    return at::stack({cs, z, sn, z, o, z, -sn, z, cs}, -1).view({-1, 3, 3});
  };
  auto rx = [](const at::Tensor& x) {
    const at::Tensor cs = x.cos(), sn = x.sin(), o = at::ones_like(x), z = at::zeros_like(x);
    return at::stack({o, z, z, z, cs, -sn, z, sn, cs}, -1).view({-1, 3, 3});
  };
  const at::Tensor E = at::matmul(at::matmul(ry(a), rx(b)), ry(c));
  for (int64_t l = 0; l <= kLmax; ++l) {
    const at::Tensor DR = wigner_D(l, R);
    EXPECT_LT(max_abs_diff(wigner_D_from_quaternion(l, q), DR), kTol64) << "l = " << l;
    // -q and a scaled q are the same rotation.
    EXPECT_LT(max_abs_diff(wigner_D_from_quaternion(l, -2.0 * q), DR), kTol64) << "l = " << l;
    EXPECT_LT(max_abs_diff(wigner_D_from_angles(l, a, b, c), wigner_D(l, E)), kTol64)
        << "l = " << l;
  }
}

TEST(WignerD, BatchShapesAndDtypes) {
  auto gen = make_generator(28);
  const at::Tensor R = random_rotation(10, at::kDouble, gen).view({2, 5, 3, 3});
  for (int64_t l : {0, 2, 5}) {
    const at::Tensor D = wigner_D(l, R);
    ASSERT_EQ(D.sizes(), (std::vector<int64_t>{2, 5, 2 * l + 1, 2 * l + 1}));
    EXPECT_LT(max_abs_diff(D.reshape({10, 2 * l + 1, 2 * l + 1}), wigner_D(l, R.view({10, 3, 3}))),
              kTol64);
    // An empty batch gives an empty result.
    EXPECT_EQ(wigner_D(l, at::zeros({0, 3, 3}, at::kDouble)).sizes(),
              (std::vector<int64_t>{0, 2 * l + 1, 2 * l + 1}));
    // A single matrix [3, 3] gives [2l+1, 2l+1].
    EXPECT_LT(max_abs_diff(wigner_D(l, R[1][3]), D[1][3]), kTol64);
    // float32 agrees with float64 and stays float32.
    const at::Tensor D32 = wigner_D(l, R.to(at::kFloat));
    EXPECT_EQ(D32.scalar_type(), at::kFloat);
    EXPECT_LT(max_abs_diff(D32.to(at::kDouble), D), kTol32);
  }
}

TEST(WignerD, BlockDiagonalActsOnConcatenatedHarmonics) {
  auto gen = make_generator(29);
  const int64_t lmax = 4;
  const at::Tensor R = random_rotation(6, at::kDouble, gen);
  const at::Tensor D = wigner_D_block(lmax, R);
  ASSERT_EQ(D.sizes(), (std::vector<int64_t>{6, sh_dim(lmax), sh_dim(lmax)}));
  at::Tensor mask = at::ones({sh_dim(lmax), sh_dim(lmax)}, at::kDouble);
  for (int64_t l = 0; l <= lmax; ++l) {
    EXPECT_LT(
        max_abs_diff(D.narrow(-2, l * l, 2 * l + 1).narrow(-1, l * l, 2 * l + 1), wigner_D(l, R)),
        kTol64);
    mask.narrow(0, l * l, 2 * l + 1).narrow(1, l * l, 2 * l + 1).zero_();
  }
  EXPECT_EQ((D * mask).abs().max().item<double>(), 0.0);
  const at::Tensor v = at::randn({6, 7, 3}, gen, at::kDouble);
  const at::Tensor y_rot = spherical_harmonics(at::matmul(v, R.transpose(-1, -2)), lmax);
  EXPECT_LT(relative_error(at::matmul(spherical_harmonics(v, lmax), D.transpose(-1, -2)), y_rot),
            kTol64);
}

}  // namespace
}  // namespace se3t

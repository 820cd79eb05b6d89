// Tests of the equivariant kernel basis B_J^{lk}(x) = sum_m Y^J_m(x/|x|) C^{lkJ}[:, :, m].
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "common/testing.h"
#include "se3t/so3/clebsch_gordan.h"
#include "se3t/so3/equivariant_basis.h"
#include "se3t/so3/rotation.h"
#include "se3t/so3/spherical_harmonics.h"
#include "se3t/so3/wigner_d.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::make_generator;
using testing::max_abs_diff;
using testing::relative_error;

constexpr double kTol64 = 1e-12;
constexpr double kTol32 = 1e-5;
constexpr int64_t kDeg = 3;

at::Tensor random_vectors(int64_t n, at::Generator& gen) {
  at::Tensor v = at::randn({n, 3}, gen, at::kDouble);
  return v / v.norm(2, -1, true) * (0.5 + 1.5 * at::rand({n, 1}, gen, at::kDouble));
}

// The basis of pair (k, l) viewed as [E, 2k+1, num_J, 2l+1].
at::Tensor view4(const EquivariantBasis& basis, int64_t k, int64_t l) {
  return basis.at(k, l).view({basis.num_edges(), 2 * k + 1, num_basis_J(k, l), 2 * l + 1});
}

TEST(EquivariantBasis, ShapesAndAccessors) {
  auto gen = make_generator(41);
  const at::Tensor x = random_vectors(7, gen);
  const EquivariantBasis basis(x, 1, 2);
  EXPECT_EQ(basis.max_degree_in(), 1);
  EXPECT_EQ(basis.max_degree_out(), 2);
  EXPECT_EQ(basis.num_edges(), 7);
  EXPECT_LT(max_abs_diff(basis.harmonics(), spherical_harmonics(x, 3)), kTol64);
  for (int64_t k = 0; k <= 1; ++k) {
    for (int64_t l = 0; l <= 2; ++l) {
      EXPECT_EQ(basis.at(k, l).sizes(),
                (std::vector<int64_t>{7, 2 * k + 1, num_basis_J(k, l) * (2 * l + 1)}));
      EXPECT_EQ(basis.at(k, l).scalar_type(), at::kDouble);
    }
  }
  EXPECT_THROW(basis.at(2, 1), Error);
  EXPECT_THROW(basis.at(0, 3), Error);
  EXPECT_THROW(basis.at(-1, 0), Error);
  EXPECT_EQ(num_basis_J(0, 3), 1);
  EXPECT_EQ(num_basis_J(2, 3), 5);
  EXPECT_EQ(num_basis_J(3, 3), 7);
  // No edges: empty bases of the right shape.
  const EquivariantBasis empty(at::zeros({0, 3}, at::kDouble), 2, 2);
  EXPECT_EQ(empty.num_edges(), 0);
  EXPECT_EQ(empty.at(2, 1).sizes(), (std::vector<int64_t>{0, 5, 9}));
  // Float32 input gives a float32 basis.
  const EquivariantBasis b32(x.to(at::kFloat), 1, 1);
  EXPECT_EQ(b32.at(1, 1).scalar_type(), at::kFloat);
}

TEST(EquivariantBasis, LayoutMatchesTheDefinition) {
  // element [e, b, j, a] = sum_m Y^J_m(x_e) C^{l k J}[a, b, m], J = |k - l| + j: by loops.
  auto gen = make_generator(42);
  const int64_t E = 6;
  const at::Tensor x = random_vectors(E, gen);
  const EquivariantBasis basis(x, kDeg, kDeg);
  const at::Tensor Y = spherical_harmonics(x, 2 * kDeg);
  auto y = Y.accessor<double, 2>();
  for (int64_t k = 0; k <= kDeg; ++k) {
    for (int64_t l = 0; l <= kDeg; ++l) {
      const at::Tensor got = view4(basis, k, l).contiguous();
      auto g = got.accessor<double, 4>();
      double err = 0;
      for (int64_t j = 0; j < num_basis_J(k, l); ++j) {
        const int64_t J = std::abs(k - l) + j;
        const at::Tensor C = clebsch_gordan(l, k, J);
        auto c = C.accessor<double, 3>();
        for (int64_t e = 0; e < E; ++e)
          for (int64_t b = 0; b < 2 * k + 1; ++b)
            for (int64_t a = 0; a < 2 * l + 1; ++a) {
              double s = 0;
              for (int64_t m = 0; m < 2 * J + 1; ++m) s += y[e][J * J + m] * c[a][b][m];
              err = std::max(err, std::abs(g[e][b][j][a] - s));
            }
      }
      EXPECT_LT(err, kTol64) << "k = " << k << ", l = " << l;
    }
  }
}

TEST(EquivariantBasis, KernelFromBasisSumsTheWeightedBasis) {
  auto gen = make_generator(43);
  const int64_t E = 9;
  const EquivariantBasis basis(random_vectors(E, gen), kDeg, kDeg);
  for (int64_t k = 0; k <= kDeg; ++k) {
    for (int64_t l = 0; l <= kDeg; ++l) {
      const at::Tensor phi = at::randn({E, num_basis_J(k, l)}, gen, at::kDouble);
      const at::Tensor W = kernel_from_basis(basis.at(k, l), k, l, phi);
      ASSERT_EQ(W.sizes(), (std::vector<int64_t>{E, 2 * l + 1, 2 * k + 1}));
      const at::Tensor B = view4(basis, k, l);  // [E, b, j, a]
      at::Tensor expect = at::zeros({E, 2 * l + 1, 2 * k + 1}, at::kDouble);
      for (int64_t j = 0; j < num_basis_J(k, l); ++j) {
        expect += phi.select(1, j).view({E, 1, 1}) * B.select(2, j).transpose(1, 2);
      }
      EXPECT_LT(max_abs_diff(W, expect), kTol64) << "k = " << k << ", l = " << l;
    }
  }
}

TEST(EquivariantBasis, KernelIsEquivariant) {
  // W(R x) = D^l(R) W(x) D^k(R)^T for random radial weights, every (k, l) with k, l <= 3.
  auto gen = make_generator(44);
  const int64_t B = 20, N = 8, E = B * N;
  const at::Tensor R = random_rotation(B, at::kDouble, gen);
  const at::Tensor x = random_vectors(E, gen).view({B, N, 3});
  const at::Tensor Rx = at::matmul(x, R.transpose(-1, -2));
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const double tol = dtype == at::kDouble ? kTol64 : kTol32;
    const EquivariantBasis basis(x.reshape({E, 3}).to(dtype), kDeg, kDeg);
    const EquivariantBasis basis_rot(Rx.reshape({E, 3}).to(dtype), kDeg, kDeg);
    for (int64_t k = 0; k <= kDeg; ++k) {
      const at::Tensor Dk = wigner_D(k, R.to(dtype)).unsqueeze(1);  // [B, 1, 2k+1, 2k+1]
      for (int64_t l = 0; l <= kDeg; ++l) {
        const at::Tensor Dl = wigner_D(l, R.to(dtype)).unsqueeze(1);
        const at::Tensor phi = at::randn({E, num_basis_J(k, l)}, gen, at::kDouble).to(dtype);
        const at::Tensor W =
            kernel_from_basis(basis.at(k, l), k, l, phi).view({B, N, 2 * l + 1, 2 * k + 1});
        const at::Tensor W_rot =
            kernel_from_basis(basis_rot.at(k, l), k, l, phi).view({B, N, 2 * l + 1, 2 * k + 1});
        const at::Tensor expect = at::matmul(at::matmul(Dl, W), Dk.transpose(-1, -2));
        EXPECT_LT(relative_error(W_rot, expect), tol)
            << "k = " << k << ", l = " << l << " " << dtype;
      }
    }
  }
}

TEST(EquivariantBasis, BasisMatricesAreOrthonormalAndIndependent) {
  // <B_J, B_J'>_F = sum_{m,m'} Y^J_m Y^J'_m' sum_ab C^{lkJ}[a,b,m] C^{lkJ'}[a,b,m']
  //              = delta_JJ' |Y^J|^2 / (2J+1) = delta_JJ' on the unit sphere
  // (by the Clebsch-Gordan orthogonality relation), so the num_J matrices are independent.
  auto gen = make_generator(45);
  const int64_t E = 5;
  const EquivariantBasis basis(random_vectors(E, gen), kDeg, kDeg);
  for (int64_t k = 0; k <= kDeg; ++k) {
    for (int64_t l = 0; l <= kDeg; ++l) {
      const int64_t nj = num_basis_J(k, l);
      const at::Tensor flat = view4(basis, k, l).permute({0, 2, 1, 3}).reshape({E, nj, -1});
      const at::Tensor gram = at::matmul(flat, flat.transpose(1, 2));
      EXPECT_LT(max_abs_diff(gram, at::eye(nj, at::kDouble).expand_as(gram)), kTol64)
          << "k = " << k << ", l = " << l;
      for (int64_t e = 0; e < E; ++e) {
        const at::Tensor sv = at::linalg_svdvals(flat[e]);
        const int64_t rank = (sv > 1e-8 * sv.max()).sum().item<int64_t>();
        EXPECT_EQ(rank, nj) << "k = " << k << ", l = " << l;
      }
    }
  }
}

TEST(EquivariantBasis, GradientMatchesFiniteDifferences) {
  auto gen = make_generator(46);
  const int64_t E = 10;
  const at::Tensor v = random_vectors(E, gen);
  std::vector<at::Tensor> proj;
  for (int64_t k = 0; k <= kDeg; ++k)
    for (int64_t l = 0; l <= kDeg; ++l)
      proj.push_back(at::randn({E, 2 * k + 1, num_basis_J(k, l) * (2 * l + 1)}, gen, at::kDouble));
  auto value = [&](const at::Tensor& x) {  // per-edge projection of every pair, [E]
    const EquivariantBasis basis(x, kDeg, kDeg);
    at::Tensor total = at::zeros({E}, at::kDouble);
    size_t i = 0;
    for (int64_t k = 0; k <= kDeg; ++k)
      for (int64_t l = 0; l <= kDeg; ++l) total = total + (basis.at(k, l) * proj[i++]).sum({1, 2});
    return total;
  };
  const at::Tensor x = v.clone().requires_grad_();
  value(x).sum().backward();
  const at::Tensor grad = x.grad();
  ASSERT_TRUE(grad.defined());
  const double h = 1e-5;
  at::Tensor fd = at::empty({E, 3}, at::kDouble);
  for (int64_t c = 0; c < 3; ++c) {
    at::Tensor dx = at::zeros({E, 3}, at::kDouble);
    dx.select(1, c).fill_(h);
    fd.select(1, c).copy_((value(v + dx) - value(v - dx)) / (2 * h));
  }
  EXPECT_LT(relative_error(grad, fd), 1e-7);
}

TEST(EquivariantBasis, ZeroVectorGivesTheIdentityCoupling) {
  // At x = 0, Y^0 = 1 and Y^J = 0 for J >= 1: only J = 0 (k = l) survives, with
  // B_0^{ll} = C^{l l 0}[:, :, 0] = +-I / sqrt(2l+1).
  at::Tensor x = at::zeros({2, 3}, at::kDouble);
  x[1][0] = 1.0;
  x.requires_grad_();
  const EquivariantBasis basis(x, kDeg, kDeg);
  at::Tensor total = at::scalar_tensor(0.0, at::kDouble);
  for (int64_t k = 0; k <= kDeg; ++k) {
    for (int64_t l = 0; l <= kDeg; ++l) {
      const at::Tensor B = view4(basis, k, l)[0];  // [2k+1, num_J, 2l+1]
      ASSERT_TRUE(at::isfinite(basis.at(k, l)).all().item<bool>());
      if (k != l) {
        EXPECT_EQ(B.abs().max().item<double>(), 0.0) << "k = " << k << ", l = " << l;
      } else {
        EXPECT_NEAR(B.select(1, 0).abs().diagonal().min().item<double>(),
                    1 / std::sqrt(2.0 * l + 1), kTol64);
        EXPECT_LT(max_abs_diff(B.select(1, 0).abs(),
                               at::eye(2 * l + 1, at::kDouble) / std::sqrt(2.0 * l + 1)),
                  kTol64);
        if (num_basis_J(k, l) > 1) {
          EXPECT_EQ(B.narrow(1, 1, num_basis_J(k, l) - 1).abs().max().item<double>(), 0.0);
        }
      }
      total = total + basis.at(k, l).sin().sum();
    }
  }
  total.backward();
  ASSERT_TRUE(at::isfinite(x.grad()).all().item<bool>());
  EXPECT_EQ(x.grad()[0].abs().max().item<double>(), 0.0);
}

}  // namespace
}  // namespace se3t

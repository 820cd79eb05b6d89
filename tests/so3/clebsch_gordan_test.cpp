// Tests of the real Clebsch-Gordan tensors: invariance, normalisation, the orthogonality that
// Schur's lemma implies, and small cases derived by hand in the (x, y, z)-ordered basis of Y^1.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>

#include "common/testing.h"
#include "se3t/so3/clebsch_gordan.h"
#include "se3t/so3/rotation.h"
#include "se3t/so3/wigner_d.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::make_generator;
using testing::max_abs_diff;
using testing::relative_error;

constexpr double kTol64 = 1e-12;
constexpr double kTol32 = 1e-5;

// max |sum D1[a,a'] D2[b,b'] D3[c,c'] C[a,b,c] - C[a',b',c']| / max |C| over the rotations.
double invariance_error(const at::Tensor& C, int64_t l1, int64_t l2, int64_t l3,
                        const at::Tensor& R) {
  // Contract one index at a time (a single four-operand einsum materialises huge products).
  at::Tensor t = at::einsum("rai,abc->ribc", {wigner_D(l1, R), C});
  t = at::einsum("rbj,ribc->rijc", {wigner_D(l2, R), t});
  const at::Tensor rotated = at::einsum("rck,rijc->rijk", {wigner_D(l3, R), t});
  return relative_error(rotated, C.expand_as(rotated));
}

// |<A, B>| / (|A| |B|): 1 when A = +-c B.
double abs_cosine(const at::Tensor& A, const at::Tensor& B) {
  return std::abs((A * B).sum().item<double>()) /
         (A.norm().item<double>() * B.norm().item<double>());
}

TEST(ClebschGordan, TriangleRule) {
  EXPECT_TRUE(triangle(0, 0, 0));
  EXPECT_TRUE(triangle(1, 1, 2));
  EXPECT_TRUE(triangle(3, 5, 2));
  EXPECT_TRUE(triangle(3, 5, 8));
  EXPECT_FALSE(triangle(3, 5, 1));
  EXPECT_FALSE(triangle(3, 5, 9));
  EXPECT_FALSE(triangle(-1, 1, 0));
  EXPECT_FALSE(triangle(1, 1, -1));
}

TEST(ClebschGordan, ShapeAndUnitNorm) {
  for (int64_t l1 = 0; l1 <= 6; ++l1) {
    for (int64_t l2 = 0; l2 <= 6; ++l2) {
      for (int64_t l3 = std::abs(l1 - l2); l3 <= l1 + l2; ++l3) {
        const at::Tensor C = clebsch_gordan(l1, l2, l3);
        ASSERT_EQ(C.sizes(), (std::vector<int64_t>{2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1}));
        EXPECT_EQ(C.scalar_type(), at::kDouble);
        EXPECT_NEAR(C.norm().item<double>(), 1.0, kTol64) << l1 << l2 << l3;
      }
    }
  }
}

TEST(ClebschGordan, InvariantForAllTriplesUpToFour) {
  auto gen = make_generator(31);
  const at::Tensor R = random_rotation(20, at::kDouble, gen);
  for (int64_t l1 = 0; l1 <= 4; ++l1) {
    for (int64_t l2 = 0; l2 <= 4; ++l2) {
      for (int64_t l3 = std::abs(l1 - l2); l3 <= std::min<int64_t>(l1 + l2, 4); ++l3) {
        EXPECT_LT(invariance_error(clebsch_gordan(l1, l2, l3), l1, l2, l3, R), kTol64)
            << "(" << l1 << ", " << l2 << ", " << l3 << ")";
      }
    }
  }
}

TEST(ClebschGordan, InvariantForLargerDegrees) {
  auto gen = make_generator(32);
  const at::Tensor R = random_rotation(20, at::kDouble, gen);
  const std::array<std::array<int64_t, 3>, 6> triples = {
      {{5, 6, 7}, {3, 4, 7}, {0, 8, 8}, {2, 8, 10}, {7, 3, 5}, {10, 10, 10}}};
  for (const auto& t : triples) {
    EXPECT_LT(invariance_error(clebsch_gordan(t[0], t[1], t[2]), t[0], t[1], t[2], R), kTol64)
        << "(" << t[0] << ", " << t[1] << ", " << t[2] << ")";
  }
}

TEST(ClebschGordan, Float32Overload) {
  auto gen = make_generator(33);
  const at::Tensor R = random_rotation(10, at::kFloat, gen);
  for (int64_t l1 = 0; l1 <= 3; ++l1) {
    for (int64_t l2 = 0; l2 <= 3; ++l2) {
      for (int64_t l3 = std::abs(l1 - l2); l3 <= l1 + l2; ++l3) {
        const at::Tensor C32 = clebsch_gordan(l1, l2, l3, at::TensorOptions().dtype(at::kFloat));
        EXPECT_EQ(C32.scalar_type(), at::kFloat);
        EXPECT_TRUE(C32.device().is_cpu());
        // The same values, rounded to float32.
        EXPECT_LT(max_abs_diff(C32.to(at::kDouble), clebsch_gordan(l1, l2, l3)), 1e-7);
        EXPECT_LT(invariance_error(C32, l1, l2, l3, R), kTol32);
      }
    }
  }
  const at::Tensor C64 = clebsch_gordan(2, 3, 4, at::TensorOptions().dtype(at::kDouble));
  EXPECT_EQ(max_abs_diff(C64, clebsch_gordan(2, 3, 4)), 0.0);
}

TEST(ClebschGordan, ResultsAreFreshCopies) {
  at::Tensor C = clebsch_gordan(1, 1, 1);
  C.zero_();
  EXPECT_NEAR(clebsch_gordan(1, 1, 1).norm().item<double>(), 1.0, kTol64);
  at::Tensor C32 = clebsch_gordan(1, 2, 3, at::TensorOptions().dtype(at::kFloat));
  C32.fill_(7);
  EXPECT_NEAR(clebsch_gordan(1, 2, 3, at::TensorOptions().dtype(at::kFloat)).norm().item<double>(),
              1.0, 1e-6);
}

TEST(ClebschGordan, OrthogonalityAndCompleteness) {
  // For fixed (l1, l2), the map (a, b) -> C^{l1 l2 l3}[a, b, c] intertwines V_l1 x V_l2 with
  // V_l3, so G[c, c'] = sum_ab C^{l1 l2 l3}[a,b,c] C^{l1 l2 l3'}[a,b,c'] intertwines V_l3 and
  // V_l3': zero unless l3 = l3' (Schur), and then lambda I with trace = |C|^2 = 1, i.e.
  // lambda = 1/(2 l3 + 1). Since sum_l3 (2 l3 + 1) = (2l1+1)(2l2+1), the (2l3+1)-scaled tensors
  // form an orthogonal matrix: sum_{l3,c} (2l3+1) C[a,b,c] C[a',b',c] = delta_aa' delta_bb'.
  for (int64_t l1 = 0; l1 <= 4; ++l1) {
    for (int64_t l2 = 0; l2 <= 4; ++l2) {
      const int64_t d12 = (2 * l1 + 1) * (2 * l2 + 1);
      at::Tensor completeness = at::zeros({d12, d12}, at::kDouble);
      for (int64_t l3 = std::abs(l1 - l2); l3 <= l1 + l2; ++l3) {
        const at::Tensor A = clebsch_gordan(l1, l2, l3).reshape({d12, 2 * l3 + 1});
        for (int64_t l3b = std::abs(l1 - l2); l3b <= l1 + l2; ++l3b) {
          const at::Tensor B = clebsch_gordan(l1, l2, l3b).reshape({d12, 2 * l3b + 1});
          const at::Tensor G = at::matmul(A.t(), B);
          const at::Tensor expect =
              l3 == l3b ? at::eye(2 * l3 + 1, at::kDouble) / (2 * l3 + 1) : at::zeros_like(G);
          EXPECT_LT(max_abs_diff(G, expect), kTol64) << l1 << l2 << l3 << l3b;
        }
        completeness += (2 * l3 + 1) * at::matmul(A, A.t());
      }
      EXPECT_LT(max_abs_diff(completeness, at::eye(d12, at::kDouble)), kTol64) << l1 << l2;
    }
  }
}

TEST(ClebschGordan, ExchangeSymmetry) {
  // V_l x V_l = Sym^2 (degrees 0, 2, ..., 2l) + Alt^2 (degrees 1, 3, ..., 2l-1), so
  // C^{l l L}[b, a, c] = (-1)^L C^{l l L}[a, b, c]. For l1 != l2 the swapped tensor is the
  // (unique up to scale) invariant of the swapped degrees.
  for (int64_t l = 0; l <= 4; ++l) {
    for (int64_t L = 0; L <= 2 * l; ++L) {
      const at::Tensor C = clebsch_gordan(l, l, L);
      const double sign = (L % 2) ? -1.0 : 1.0;
      EXPECT_LT(max_abs_diff(C.permute({1, 0, 2}), sign * C), kTol64) << l << L;
    }
  }
  for (int64_t l1 = 0; l1 <= 3; ++l1)
    for (int64_t l2 = 0; l2 <= 3; ++l2)
      for (int64_t l3 = std::abs(l1 - l2); l3 <= l1 + l2; ++l3)
        EXPECT_NEAR(
            abs_cosine(clebsch_gordan(l1, l2, l3).permute({1, 0, 2}), clebsch_gordan(l2, l1, l3)),
            1.0, kTol64)
            << l1 << l2 << l3;
}

TEST(ClebschGordan, CouplingToDegreeZeroIsTheIdentity) {
  // The only invariant bilinear form on V_l is the (orthogonal-basis) dot product, so
  // C^{0 l l}[0, b, c] = C^{l 0 l}[b, 0, c] = +-delta_bc / sqrt(2l+1) and C^{l l 0} likewise.
  for (int64_t l = 0; l <= 6; ++l) {
    const at::Tensor I = at::eye(2 * l + 1, at::kDouble) / std::sqrt(2.0 * l + 1);
    const at::Tensor A = clebsch_gordan(0, l, l)[0];
    const at::Tensor B = clebsch_gordan(l, 0, l).select(1, 0);
    const at::Tensor C = clebsch_gordan(l, l, 0).select(2, 0);
    for (const at::Tensor& T : {A, B, C}) {
      const double s = T[0][0].item<double>() > 0 ? 1.0 : -1.0;
      EXPECT_LT(max_abs_diff(T, s * I), kTol64) << "l = " << l;
    }
  }
}

TEST(ClebschGordan, DegreeOneCouplingsByHand) {
  // In the (x, y, z)-ordered basis of Y^1 (the vector itself, D^1(R) = R):
  //   the invariant of three vectors is the triple product: C^{111} = +-eps_abc / sqrt(6);
  //   the invariant of two vectors is the dot product:      C^{110} = +-delta_ab / sqrt(3).
  at::Tensor eps = at::zeros({3, 3, 3}, at::kDouble);
  eps[0][1][2] = 1.0;
  eps[1][2][0] = 1.0;
  eps[2][0][1] = 1.0;
  eps[0][2][1] = -1.0;
  eps[2][1][0] = -1.0;
  eps[1][0][2] = -1.0;
  eps /= std::sqrt(6.0);
  const at::Tensor C111 = clebsch_gordan(1, 1, 1);
  const double s = C111[0][1][2].item<double>() > 0 ? 1.0 : -1.0;
  EXPECT_LT(max_abs_diff(C111, s * eps), kTol64) << C111;
  const at::Tensor C110 = clebsch_gordan(1, 1, 0).select(2, 0);
  const double t = C110[0][0].item<double>() > 0 ? 1.0 : -1.0;
  EXPECT_LT(max_abs_diff(C110, t * at::eye(3, at::kDouble) / std::sqrt(3.0)), kTol64) << C110;
  // C^{112} maps two vectors to a symmetric traceless matrix: sum_a C[a, a, c] = 0 and the
  // matrices C[:, :, c] are symmetric.
  const at::Tensor C112 = clebsch_gordan(1, 1, 2);
  EXPECT_LT(C112.diagonal(0, 0, 1).sum(-1).abs().max().item<double>(), kTol64);
  EXPECT_LT(max_abs_diff(C112, C112.permute({1, 0, 2})), kTol64);
}

TEST(ClebschGordan, TriangleViolationsThrow) {
  auto message = [](int64_t l1, int64_t l2, int64_t l3) -> std::string {
    try {
      clebsch_gordan(l1, l2, l3);
    } catch (const Error& e) {
      return e.what();
    }
    return "<no se3t::Error>";
  };
  for (const auto& t :
       std::vector<std::array<int64_t, 3>>{{1, 1, 3}, {0, 2, 1}, {5, 1, 3}, {2, 2, 5}, {0, 0, 1}}) {
    const std::string msg = message(t[0], t[1], t[2]);
    EXPECT_NE(msg.find("triangle"), std::string::npos) << msg;
  }
  for (const auto& t :
       std::vector<std::array<int64_t, 3>>{{-1, 1, 0}, {1, -1, 0}, {1, 1, -1}, {-2, -2, 0}}) {
    const std::string msg = message(t[0], t[1], t[2]);
    EXPECT_NE(msg.find("clebsch_gordan"), std::string::npos) << msg;
  }
  EXPECT_THROW(clebsch_gordan(1, 1, 3, at::TensorOptions().dtype(at::kFloat)), Error);
}

}  // namespace
}  // namespace se3t

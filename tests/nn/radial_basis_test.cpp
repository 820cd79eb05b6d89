// The Gaussian distance expansion: values from its definition, gradient against float64
// finite differences, bad arguments.
#include "se3t/nn/radial_basis.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>

#include <cmath>

#include "common/expect_error.h"

namespace se3t {
namespace {

TEST(RadialBasis, ValuesFollowTheDefinition) {
  // K = 5 on [0, 4]: centres 0, 1, 2, 3, 4 and width 1.
  const at::Tensor d = at::tensor({0.0, 1.0, 2.5, 7.0}, at::kDouble);
  const at::Tensor e = gaussian_radial_basis(d, 5, 4.0);
  ASSERT_EQ(e.sizes(), (at::IntArrayRef{4, 5}));
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t k = 0; k < 5; ++k) {
      const double r = d[i].item<double>();
      const double want = std::exp(-(r - k) * (r - k));
      EXPECT_NEAR(e[i][k].item<double>(), want, 1e-15) << i << " " << k;
    }
  }
  // A distance on a centre gives 1 there and e^-1 at the neighbouring centres.
  EXPECT_DOUBLE_EQ(e[1][1].item<double>(), 1.0);
  EXPECT_NEAR(e[1][2].item<double>(), std::exp(-1.0), 1e-15);
  // [E, 1] input gives the same as [E].
  EXPECT_TRUE(at::equal(gaussian_radial_basis(d.unsqueeze(1), 5, 4.0), e));
}

TEST(RadialBasis, GradientEqualsFiniteDifferences) {
  const at::Tensor d = at::tensor({0.3, 1.7, 3.2}, at::kDouble).requires_grad_(true);
  const at::Tensor w = at::linspace(-1.0, 1.0, 3 * 8, at::kDouble).reshape({3, 8});
  const at::Tensor loss = (gaussian_radial_basis(d, 8, 3.5) * w).sum();
  const at::Tensor grad = torch::autograd::grad({loss}, {d})[0];
  const double h = 1e-6;
  for (int64_t i = 0; i < 3; ++i) {
    at::Tensor dp = d.detach().clone(), dm = d.detach().clone();
    dp[i] += h;
    dm[i] -= h;
    const double fd = ((gaussian_radial_basis(dp, 8, 3.5) * w).sum().item<double>() -
                       (gaussian_radial_basis(dm, 8, 3.5) * w).sum().item<double>()) /
                      (2 * h);
    EXPECT_NEAR(grad[i].item<double>(), fd, 1e-8) << i;
  }
}

TEST(RadialBasis, BadArgumentsAreErrors) {
  const at::Tensor d = at::ones({3}, at::kDouble);
  testing::expect_error([&] { gaussian_radial_basis(d, 1, 4.0); }, {"at least 2", "1"});
  testing::expect_error([&] { gaussian_radial_basis(d, 4, 0.0); }, {"r_max"});
  testing::expect_error([&] { gaussian_radial_basis(d, 4, std::nan("")); }, {"r_max"});
  testing::expect_error([&] { gaussian_radial_basis(at::ones({3, 2}), 4, 4.0); }, {"[E, 1]"});
}

}  // namespace
}  // namespace se3t

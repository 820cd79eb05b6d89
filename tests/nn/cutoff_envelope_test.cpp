// The smooth cutoff envelope and the Bessel radial basis: values against their formulas written
// out by hand, the envelope's vanishing value and derivatives at the cutoff, and the layers'
// use of it (an edge with u = 0 is as if absent; equivariance kept).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>

#include <cmath>

#include "common/expect_error.h"
#include "common/testing.h"
#include "nn/nn_testing.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/cutoff_envelope.h"
#include "se3t/nn/radial_basis.h"
#include "se3t/so3/rotation.h"

namespace se3t {
namespace {

TEST(CutoffEnvelope, ValuesOfTheFormula) {
  const at::Tensor r = at::tensor({0.0, 1.0, 2.5, 4.0, 5.0, 7.0}, at::kDouble);
  const at::Tensor u = polynomial_envelope(r, 5.0, 6);
  for (int64_t i = 0; i < r.numel(); ++i) {
    const double d = std::min(r[i].item<double>() / 5.0, 1.0);
    // 1 - 28 d^6 + 48 d^7 - 21 d^8 for p = 6.
    const double expect = 1 - 28 * std::pow(d, 6) + 48 * std::pow(d, 7) - 21 * std::pow(d, 8);
    EXPECT_NEAR(u[i].item<double>(), expect, 1e-14) << "r = " << r[i].item<double>();
  }
  EXPECT_EQ(u[0].item<double>(), 1.0);
  EXPECT_EQ(u[4].item<double>(), 0.0);  // at r_c
  EXPECT_EQ(u[5].item<double>(), 0.0);  // beyond
  EXPECT_NEAR(polynomial_envelope(at::tensor({0.5}, at::kDouble), 1.0, 6).item<double>(),
              0.85546875, 1e-15);  // 1 - 28/64 + 48/128 - 21/256
}

TEST(CutoffEnvelope, ValueAndTwoDerivativesVanishAtTheCutoff) {
  for (int64_t p : {3, 5, 6, 9}) {
    const at::Tensor r = at::tensor({2.0 * (1 - 1e-6)}, at::kDouble).requires_grad_();
    const at::Tensor u = polynomial_envelope(r, 2.0, p);
    const at::Tensor du = torch::autograd::grad({u.sum()}, {r}, {}, true, true)[0];
    const at::Tensor d2u = torch::autograd::grad({du.sum()}, {r})[0];
    // Near d = 1: u ~ (1 - d)^3, u' ~ (1 - d)^2, u'' ~ (1 - d), with (1 - d) = 1e-6.
    EXPECT_LT(std::abs(u.item<double>()), 1e-15 * p * p * p) << p;
    EXPECT_LT(std::abs(du.item<double>()), 1e-10 * p * p * p) << p;
    EXPECT_LT(std::abs(d2u.item<double>()), 1e-4 * p * p * p) << p;
    // Well inside, the derivative is not zero (the bounds above are not trivially met).
    const at::Tensor r_in = at::tensor({1.2}, at::kDouble).requires_grad_();
    const double slope =
        torch::autograd::grad({polynomial_envelope(r_in, 2.0, p).sum()}, {r_in})[0].item<double>();
    EXPECT_LT(slope, -0.1) << p;
  }
}

TEST(CutoffEnvelope, RejectsBadArguments) {
  const at::Tensor r = at::ones({3}, at::kDouble);
  testing::expect_error([&] { polynomial_envelope(r, 0.0); }, {"r_cut"});
  testing::expect_error([&] { polynomial_envelope(r, NAN); }, {"r_cut"});
  testing::expect_error([&] { polynomial_envelope(r, 1.0, 0); }, {"exponent"});
}

TEST(BesselRadialBasis, ValuesOfTheFormulaAndTheLimitAtZero) {
  const double rc = 4.0;
  const at::Tensor r = at::tensor({0.0, 0.3, 1.0, 2.9, 4.0}, at::kDouble);
  const at::Tensor e = bessel_radial_basis(r, 5, rc);
  ASSERT_EQ(e.sizes(), (std::vector<int64_t>{5, 5}));
  for (int64_t i = 0; i < 5; ++i) {
    for (int64_t n = 1; n <= 5; ++n) {
      const double x = r[i].item<double>(), k = n * M_PI / rc;
      const double expect =
          x == 0 ? std::sqrt(2 / rc) * k : std::sqrt(2 / rc) * std::sin(k * x) / x;
      EXPECT_NEAR(e[i][n - 1].item<double>(), expect, 1e-14) << x << " " << n;
    }
  }
  // Zero at r_c, finite gradients at 0 and inside.
  EXPECT_LT(e[4].abs().max().item<double>(), 1e-15);
  const at::Tensor rg = at::tensor({0.0, 1.5}, at::kDouble).requires_grad_();
  const at::Tensor g = torch::autograd::grad({bessel_radial_basis(rg, 4, rc).sum()}, {rg})[0];
  EXPECT_TRUE(at::isfinite(g).all().item<bool>());
  testing::expect_error([&] { bessel_radial_basis(r, 0, rc); }, {"at least 1"});
  testing::expect_error([&] { bessel_radial_basis(r, 3, -1.0); }, {"r_cut"});
}

SE3TransformerOptions enveloped(bool attention, double cutoff) {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, 2}, {1, 1}};
  o.fiber_hidden = Fiber::uniform(2, 4);
  o.fiber_out = Fiber{{0, 2}, {1, 1}};
  o.num_layers = 2;
  o.num_heads = 2;
  o.channels_div = 1;
  o.attention = attention;
  o.smooth_cutoff = cutoff;
  return o;
}

// An edge at or beyond the envelope's cutoff contributes exactly nothing: the network's output
// equals that of the same graph without the edge (attention and convolution).
TEST(SmoothCutoff, AnEdgeAtTheCutoffIsAsIfAbsent) {
  for (bool attention : {true, false}) {
    torch::manual_seed(11);
    SE3Transformer net(enveloped(attention, 1.5));
    net->to(at::kDouble);
    GraphBatch g;
    g.pos = at::tensor({0.0, 0.0, 0.0, 1.0, 0.2, 0.0, 0.1, 0.9, 0.3, 1.6, 0.0, 0.0}, at::kDouble)
                .view({4, 3});
    g.graph_id = at::zeros({4}, at::kLong);
    g.num_graphs = 1;
    // Node 3 is 1.6 from node 0 (beyond 1.5) and within it of node 1.
    g.src = at::tensor({1, 2, 0, 2, 0, 1, 3, 1, 3, 0}, at::kLong);
    g.dst = at::tensor({0, 0, 1, 1, 2, 2, 1, 3, 0, 3}, at::kLong);
    auto gen = testing::make_generator(12);
    Features f;
    f[0] = at::randn({4, 2, 1}, gen, at::kDouble);
    f[1] = at::randn({4, 1, 3}, gen, at::kDouble);
    const Features with = net->forward(g, f);
    GraphBatch without = g;
    without.src = g.src.narrow(0, 0, 8);
    without.dst = g.dst.narrow(0, 0, 8);
    const Features out = net->forward(without, f);
    EXPECT_LT(testing::features_error(with, out), 1e-12) << "attention " << attention;
  }
}

TEST(SmoothCutoff, NetworkStaysEquivariant) {
  torch::manual_seed(13);
  SE3Transformer net(enveloped(true, 2.0));
  net->to(at::kDouble);
  auto gen = testing::make_generator(14);
  const GraphBatch g = testing::random_graphs({7, 5}, at::kDouble, gen, 1.0, 0);
  Features f;
  f[0] = at::randn({12, 2, 1}, gen, at::kDouble);
  f[1] = at::randn({12, 1, 3}, gen, at::kDouble);
  const Features out = net->forward(g, f);
  const at::Tensor R = random_rotation(1, at::kDouble, gen)[0];
  const Features rotated =
      net->forward(testing::transform_graph(g, R, at::randn({3}, gen, at::kDouble)),
                   testing::rotate_features(f, R));
  EXPECT_LT(testing::features_error(rotated, testing::rotate_features(out, R)), 1e-12);
  testing::expect_error(
      [] {
        SE3TransformerOptions o = enveloped(true, -1.0);
        o.validate();
      },
      {"smooth_cutoff"});
}

}  // namespace
}  // namespace se3t

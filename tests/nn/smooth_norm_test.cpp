// NormSE3's paper form f -> ReLU(LN(|f|) + b) f / |f| is discontinuous where a degree-0 channel
// crosses 0 (f / |f| = sign f); the smooth variant of activation SiLU is continuous there and
// vanishes with a degree-l >= 1 feature, stays equivariant, and has exact gradients.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/expect_error.h"
#include "common/testing.h"
#include "nn/nn_testing.h"
#include "se3t/nn/activation.h"
#include "se3t/nn/norm_se3.h"
#include "se3t/so3/rotation.h"

namespace se3t {
namespace {

const Fiber kFiber = Fiber::uniform(2, 4);  // degrees 0..2, 4 channels

NormSE3 make_norm(Activation a) {
  NormSE3 norm{NormSE3Options(kFiber).activation(a)};
  norm->to(at::kDouble);
  // Biases above LayerNorm's range (|LN| < sqrt(3) for 4 channels), so that the paper's ReLU
  // passes the smallest norm too and its sign flip shows.
  at::NoGradGuard no_grad;
  for (auto& p : norm->named_parameters()) {
    if (p.key().find("bias") != std::string::npos) p.value().fill_(2.0);
  }
  return norm;
}

// Features with degree-0 channel 0 of node 0 set to s.
Features with_scalar(Features f, double s) {
  f[0] = f[0].clone();
  f[0].index_put_({0, 0, 0}, s);
  return f;
}

double max_difference(const Features& a, const Features& b) {
  double d = 0.0;
  for (const auto& [l, t] : a) d = std::max(d, (t - b.at(l)).abs().max().item<double>());
  return d;
}

TEST(SmoothNormSE3, ContinuousWhereAScalarChannelCrossesZero) {
  auto gen = testing::make_generator(41);
  const Features f = testing::random_features(kFiber, 5, at::kDouble, gen);
  // 1e-4 is far above the 1e-6 where |f| is clamped (below it the paper's form is linear, with
  // slope ~1e6: a jump for any dynamics).
  const double eps = 1e-4;
  NormSE3 paper = make_norm(Activation::kReLU);
  NormSE3 smooth = make_norm(Activation::kSiLU);
  // The paper's form flips the sign of its O(1) output across 0 (the negative control)...
  const double jump =
      max_difference(paper->forward(with_scalar(f, -eps)), paper->forward(with_scalar(f, eps)));
  EXPECT_GT(jump, 0.5);
  // ...the smooth one moves by ~2 eps times its slope.
  const double smooth_jump =
      max_difference(smooth->forward(with_scalar(f, -eps)), smooth->forward(with_scalar(f, eps)));
  EXPECT_LT(smooth_jump, 1e-3);
}

TEST(SmoothNormSE3, VanishesWithAVectorFeature) {
  auto gen = testing::make_generator(42);
  Features f = testing::random_features(kFiber, 5, at::kDouble, gen);
  NormSE3 smooth = make_norm(Activation::kSiLU);
  for (double scale : {1e-3, 1e-6, 1e-9}) {
    Features g = f;
    g[1] = f[1] * scale;
    const at::Tensor out = smooth->forward(g).at(1);
    // |out| = |f| sigmoid(.) <= |f|, and parallel to f.
    EXPECT_LE(out.abs().max().item<double>(), g[1].abs().max().item<double>() * (1 + 1e-12));
    const at::Tensor cross = at::linalg_cross(out, g[1], -1);
    EXPECT_LT(cross.abs().max().item<double>(), 1e-12 * scale * scale + 1e-300);
  }
}

TEST(SmoothNormSE3, EquivariantToRoundOff) {
  auto gen = testing::make_generator(43);
  const Features f = testing::random_features(kFiber, 50, at::kDouble, gen);
  NormSE3 smooth = make_norm(Activation::kSiLU);
  const Features out = smooth->forward(f);
  for (int t = 0; t < 3; ++t) {
    const at::Tensor R = random_rotation(1, at::TensorOptions().dtype(at::kDouble), gen)[0];
    const double err = testing::features_error(smooth->forward(testing::rotate_features(f, R)),
                                               testing::rotate_features(out, R));
    EXPECT_LT(err, 1e-12);
  }
}

TEST(SmoothNormSE3, GradientsMatchFiniteDifferences) {
  auto gen = testing::make_generator(44);
  Features f = testing::random_features(kFiber, 4, at::kDouble, gen);
  for (auto& [l, t] : f) t.requires_grad_(true);
  NormSE3 smooth = make_norm(Activation::kSiLU);
  std::vector<at::Tensor> inputs;
  for (auto& [l, t] : f) inputs.push_back(t);
  for (auto& p : smooth->parameters()) inputs.push_back(p);
  // A fixed random projection of the output to a scalar.
  std::map<int64_t, at::Tensor> w;
  for (const auto& [l, t] : f) w[l] = at::randn(t.sizes(), gen, at::kDouble);
  const auto fn = [&](const std::vector<at::Tensor>& x) {
    Features g;
    int64_t k = 0;
    for (const auto& [l, t] : f) g[l] = x[static_cast<size_t>(k++)];
    at::Tensor s = at::zeros({}, at::kDouble);
    for (const auto& [l, t] : smooth->forward(g)) s = s + (t * w.at(l)).sum();
    return s;
  };
  // d(sum)/dx by autograd against central differences.
  const at::Tensor y = fn(inputs);
  const auto grads = torch::autograd::grad({y}, inputs);
  const double h = 1e-6;
  for (size_t i = 0; i < 3; ++i) {  // the features (the parameters enter like LayerNorm's own)
    const at::Tensor x = inputs[i].detach();
    for (int64_t k = 0; k < x.numel(); k += 7) {
      auto shifted = [&](double d) {
        std::vector<at::Tensor> in = inputs;
        at::Tensor xi = x.clone();
        xi.view(-1)[k] += d;
        in[i] = xi;
        return fn(in).item<double>();
      };
      const double fd = (shifted(h) - shifted(-h)) / (2 * h);
      EXPECT_NEAR(grads[i].reshape(-1)[k].item<double>(), fd, 1e-7 * (1 + std::abs(fd)));
    }
  }
}

TEST(Activation, NamesAndErrors) {
  EXPECT_EQ(parse_activation("relu", "x"), Activation::kReLU);
  EXPECT_EQ(parse_activation("silu", "x"), Activation::kSiLU);
  EXPECT_EQ(to_string(Activation::kSiLU), "silu");
  testing::expect_error([] { parse_activation("gelu", "model"); },
                        {"model", "activation must be \"relu\" or \"silu\"", "gelu"});
  const at::Tensor x = at::linspace(-3, 3, 13, at::kDouble);
  EXPECT_TRUE(at::allclose(activate(x, Activation::kSiLU), x / (1 + at::exp(-x))));
  EXPECT_TRUE(at::equal(activate(x, Activation::kReLU), x.clamp_min(0)));
}

}  // namespace
}  // namespace se3t

// Autograd gradients of every layer against float64 central finite differences, with respect
// to parameters, input features and positions.
#include <gtest/gtest.h>

#include <functional>

#include <torch/utils.h>

#include "common/testing.h"
#include "nn/nn_testing.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/attention_se3.h"
#include "se3t/nn/attentive_self_interaction.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/linear_se3.h"
#include "se3t/nn/norm_se3.h"

namespace se3t {
namespace {

// A scalar loss: a fixed random projection of every output degree.
at::Tensor project(const Features& out, uint64_t seed) {
  auto gen = testing::make_generator(seed);
  at::Tensor loss = at::zeros({}, at::kDouble);
  for (const auto& [l, t] : out) loss = loss + (t * at::randn(t.sizes(), gen, at::kDouble)).sum();
  return loss;
}

// Compares d loss / d x by autograd with central differences on `samples` random entries of
// each tensor in `inputs` (all float64, requires_grad set).
void check_gradients(const std::function<at::Tensor()>& loss_fn,
                     const std::vector<std::pair<std::string, at::Tensor>>& inputs,
                     int samples = 6) {
  for (const auto& [name, x] : inputs) {
    if (x.grad().defined()) x.mutable_grad().zero_();
  }
  loss_fn().backward();
  auto gen = testing::make_generator(99);
  const double h = 1e-6;
  for (const auto& [name, x] : inputs) {
    ASSERT_TRUE(x.grad().defined()) << name << " received no gradient";
    const at::Tensor grad = x.grad().clone();
    at::Tensor flat = x.detach().view({-1});
    for (int s = 0; s < samples; ++s) {
      const int64_t i = at::randint(flat.numel(), {1}, gen, at::kLong).item<int64_t>();
      const double orig = flat[i].item<double>();
      double plus, minus;
      {
        at::NoGradGuard no_grad;
        flat[i] = orig + h;
        plus = loss_fn().item<double>();
        flat[i] = orig - h;
        minus = loss_fn().item<double>();
        flat[i] = orig;
      }
      const double numeric = (plus - minus) / (2 * h);
      const double analytic = grad.view({-1})[i].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
          << name << " entry " << i;
    }
  }
}

struct Fixture {
  GraphBatch graph;
  Features features;
  std::vector<std::pair<std::string, at::Tensor>> inputs;
};

// Also seeds the global generator the modules built next initialise from: LibTorch seeds it
// nondeterministically, and a random model now and then puts a max-pooling or norm kink within
// the finite-difference step.
Fixture make_setup(const Fiber& fiber, int64_t edge_dim = 1) {
  torch::manual_seed(5);
  auto gen = testing::make_generator(11);
  Fixture s;
  s.graph = testing::random_graphs({5, 4}, at::kDouble, gen, 1.0, edge_dim);
  s.graph.pos.requires_grad_();
  s.features = testing::random_features(fiber, s.graph.num_nodes(), at::kDouble, gen);
  s.inputs.push_back({"positions", s.graph.pos});
  for (auto& [l, t] : s.features) {
    t.requires_grad_();
    s.inputs.push_back({"features[" + std::to_string(l) + "]", t});
  }
  return s;
}

void add_parameters(Fixture& s, torch::nn::Module& m) {
  m.to(at::kDouble);
  for (const auto& p : m.named_parameters()) s.inputs.push_back({p.key(), p.value()});
}

const Fiber kFiber = Fiber::uniform(2, 3);

TEST(Gradients, ConvSE3) {
  Fixture s = make_setup(kFiber);
  ConvSE3 conv(ConvSE3Options(kFiber, kFiber).edge_dim(1).self_interaction(true));
  add_parameters(s, *conv);
  check_gradients([&] { return project(conv->forward(s.features, edge_geometry(s.graph, 2)), 1); },
                  s.inputs, 3);
}

TEST(Gradients, AttentionSE3) {
  Fixture s = make_setup(kFiber);
  AttentionSE3 att(AttentionSE3Options(kFiber, kFiber).num_heads(3).channels_div(1).edge_dim(1));
  add_parameters(s, *att);
  check_gradients([&] { return project(att->forward(s.features, edge_geometry(s.graph, 2)), 2); },
                  s.inputs, 3);
}

TEST(Gradients, LinearAndAttentiveSelfInteractionAndNorm) {
  Fixture s = make_setup(kFiber);
  LinearSE3 lin(LinearSE3Options(kFiber, kFiber));
  AttentiveSelfInteraction asi(AttentiveSelfInteractionOptions(kFiber, kFiber));
  NormSE3 norm{NormSE3Options(kFiber)};
  s.inputs.erase(s.inputs.begin());  // node-wise layers: positions play no part
  add_parameters(s, *lin);
  add_parameters(s, *asi);
  add_parameters(s, *norm);
  check_gradients([&] { return project(norm->forward(asi->forward(lin->forward(s.features))), 3); },
                  s.inputs, 3);
}

TEST(Gradients, WholeModelsIncludingPooling) {
  for (const auto& [attention, activation] : std::vector<std::pair<bool, Activation>>{
           {true, Activation::kReLU}, {false, Activation::kReLU}, {true, Activation::kSiLU}}) {
    SE3TransformerOptions o;
    o.activation = activation;
    o.fiber_in = Fiber{{0, 2}, {1, 1}};
    o.fiber_hidden = Fiber::uniform(2, 2);
    o.fiber_out = Fiber{{0, 1}};
    o.num_layers = 2;
    o.num_heads = 1;
    o.channels_div = 1;
    o.edge_dim = 1;
    o.attention = attention;
    o.pooling = Pooling::kMax;
    Fixture s = make_setup(o.fiber_in);
    SE3Transformer model(o);
    add_parameters(s, *model);
    check_gradients([&] { return project(model->forward(s.graph, s.features), 4); }, s.inputs, 2);
  }
}

}  // namespace
}  // namespace se3t

// Structural properties of the layers and models: permutation equivariance, batching,
// attention normalisation, the attention/convolution relation, edge cases and bad input.
#include <gtest/gtest.h>

#include <limits>

#include "common/testing.h"
#include "kernels/segment_ops.h"
#include "nn/nn_testing.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/so3/rotation.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::features_error;
using testing::random_features;
using testing::random_graphs;

SE3TransformerOptions small_model(bool attention) {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, 2}, {1, 1}};
  o.fiber_hidden = Fiber::uniform(2, 4);
  o.fiber_out = Fiber{{0, 1}, {1, 1}};
  o.num_layers = 2;
  o.num_heads = 2;
  o.attention = attention;
  return o;
}

TEST(Properties, NodePermutationEquivariance) {
  auto gen = testing::make_generator(1);
  for (const bool attention : {true, false}) {
    SE3Transformer model(small_model(attention));
    model->to(at::kDouble);
    const GraphBatch g = random_graphs({9, 7}, at::kDouble, gen);
    const Features f = random_features(model->options().fiber_in, g.num_nodes(), at::kDouble, gen);
    // Permute within graphs (graph ids must stay non-decreasing): reverse each graph's nodes.
    const at::Tensor perm =
        at::cat({at::arange(8, -1, -1, at::kLong), at::arange(15, 8, -1, at::kLong)});
    const Features out = model->forward(g, f);
    const Features out_perm =
        model->forward(testing::permute_graph(g, perm), testing::permute_rows(f, perm));
    EXPECT_LT(features_error(out_perm, testing::permute_rows(out, perm)), 1e-12);
  }
}

TEST(Properties, BatchEqualsGraphsOneAtATime) {
  auto gen = testing::make_generator(2);
  SE3Transformer model(small_model(true));
  model->to(at::kDouble);
  const GraphBatch a = random_graphs({6}, at::kDouble, gen);
  const GraphBatch b = random_graphs({11}, at::kDouble, gen);
  const Fiber fin = model->options().fiber_in;
  const Features fa = random_features(fin, 6, at::kDouble, gen);
  const Features fb = random_features(fin, 11, at::kDouble, gen);
  const GraphBatch ab = concat_graphs({a, b});
  const Features out = model->forward(ab, concat_rows(fa, fb));
  const Features oa = model->forward(a, fa), ob = model->forward(b, fb);
  for (const auto& [l, t] : out) {
    EXPECT_LT(testing::max_abs_diff(t.narrow(0, 0, 6), oa.at(l)), 1e-12);
    EXPECT_LT(testing::max_abs_diff(t.narrow(0, 6, 11), ob.at(l)), 1e-12);
  }
}

TEST(Properties, AttentionWeightsSumToOnePerNode) {
  auto gen = testing::make_generator(3);
  const GraphBatch g = random_graphs({10, 4, 1}, at::kDouble, gen);
  const Fiber fiber = Fiber::uniform(2, 4);
  AttentionSE3 att(AttentionSE3Options(fiber, fiber).num_heads(2));
  att->to(at::kDouble);
  at::Tensor alpha;
  att->forward(random_features(fiber, g.num_nodes(), at::kDouble, gen), edge_geometry(g, 2),
               &alpha);
  ASSERT_EQ(alpha.sizes(), (std::vector<int64_t>{g.num_edges(), 2}));
  EXPECT_TRUE((alpha >= 0).all().item<bool>());
  const at::Tensor sums = kernels::segment_sum(alpha, g.dst, g.num_nodes());
  // Every node with neighbours sums to one; the one-node graph (node 14) has none.
  EXPECT_LT(testing::max_abs_diff(sums.narrow(0, 0, 14), at::ones({14, 2}, at::kDouble)), 1e-12);
  EXPECT_EQ(sums[14].abs().sum().item<double>(), 0.0);
  // Not uniform: the learned logits actually weight neighbours differently.
  EXPECT_GT((alpha - alpha.mean()).abs().max().item<double>(), 1e-6);
}

TEST(Properties, UniformAttentionEqualsMeanConvolution) {
  auto gen = testing::make_generator(4);
  const GraphBatch g = random_graphs({8, 5}, at::kDouble, gen);
  const Fiber fin = Fiber::uniform(2, 4), fv = Fiber::uniform(2, 4);
  AttentionSE3 att(AttentionSE3Options(fin, fv).num_heads(2).uniform_attention(true));
  att->to(at::kDouble);
  // A mean-aggregating ConvSE3 with the key/value convolution's weights, keys dropped.
  const Fiber fkv = fv + att->fiber_key();
  ConvSE3 conv(ConvSE3Options(fin, fkv).aggregation(Aggregation::kMean));
  conv->to(at::kDouble);
  {
    at::NoGradGuard no_grad;
    const auto from = att->named_children()["key_value"]->named_parameters();
    for (auto& p : conv->named_parameters()) p.value().copy_(from[p.key()]);
  }
  const Features f = random_features(fin, g.num_nodes(), at::kDouble, gen);
  const EdgeGeometry geo = edge_geometry(g, 2);
  const Features a = att->forward(f, geo);
  const Features c = conv->forward(f, geo);
  for (const auto& [l, t] : a) {
    EXPECT_LT(testing::max_abs_diff(t, c.at(l).narrow(1, 0, fv.channels(l))), 1e-12);
  }
}

TEST(Properties, CoincidentPointsIsolatedNodesAndOneNodeGraphsStayFinite) {
  auto gen = testing::make_generator(5);
  // Graph 0: three nodes, two at the same position; graph 1: a single node.
  const at::Tensor pos =
      at::tensor({0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 5.0, 5.0, 5.0}, at::kDouble)
          .view({4, 3})
          .requires_grad_();
  const at::Tensor gid = at::tensor({0, 0, 0, 1}, at::kLong);
  GraphBatch g = fully_connected_graph(pos, gid, 2);
  for (const bool attention : {true, false}) {
    SE3Transformer model(small_model(attention));
    model->to(at::kDouble);
    const Features f = random_features(model->options().fiber_in, 4, at::kDouble, gen);
    const Features out = model->forward(g, f);
    at::Tensor loss = at::zeros({}, at::kDouble);
    for (const auto& [l, t] : out) {
      EXPECT_TRUE(at::isfinite(t).all().item<bool>()) << "degree " << l;
      loss = loss + t.pow(2).sum();
    }
    loss.backward();
    EXPECT_TRUE(at::isfinite(pos.grad()).all().item<bool>());
    pos.mutable_grad().zero_();
    // The lone node receives no messages: its vector output comes from the self-interaction
    // of features that are themselves vectors, so rotating it still rotates the output.
  }
}

TEST(Properties, LargeCoordinatesStayEquivariantInFloat32) {
  auto gen = testing::make_generator(6);
  SE3Transformer model(small_model(true));
  GraphBatch g = random_graphs({12}, at::kFloat, gen);
  g.pos = g.pos + 1e4;  // far from the origin
  const Features f = random_features(model->options().fiber_in, 12, at::kFloat, gen);
  const Features out = model->forward(g, f);
  const at::Tensor R = random_rotation(1, at::kDouble, gen)[0];
  // Rotate about the cloud's own centre so positions stay near 1e4.
  GraphBatch gr = g;
  const at::Tensor centre = g.pos.mean(0, true);
  gr.pos = at::matmul(g.pos - centre, R.to(at::kFloat).t()) + centre;
  const Features out_rot = model->forward(gr, testing::rotate_features(f, R));
  // Positions at 1e4 carry float32 rounding of ~1e-3 in each coordinate, i.e. a relative
  // perturbation of ~1e-3 of unit-scale relative positions: the outputs follow it.
  EXPECT_LT(features_error(out_rot, testing::rotate_features(out, R)), 5e-3);
  for (const auto& [l, t] : out) EXPECT_TRUE(at::isfinite(t).all().item<bool>());
}

void expect_error(const std::function<void()>& fn, const std::string& fragment) {
  try {
    fn();
    ADD_FAILURE() << "expected se3t::Error containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Properties, BadInputRaisesClearErrors) {
  auto gen = testing::make_generator(8);
  SE3Transformer model(small_model(true));
  model->to(at::kDouble);
  const GraphBatch g = random_graphs({5}, at::kDouble, gen);
  const Features f = random_features(model->options().fiber_in, 5, at::kDouble, gen);

  GraphBatch bad_index = g;
  bad_index.src = g.src.clone();
  bad_index.src[0] = 99;
  expect_error([&] { model->forward(bad_index, f); }, "src");

  GraphBatch nan_pos = g;
  nan_pos.pos = g.pos.clone();
  nan_pos.pos[2][1] = std::numeric_limits<double>::quiet_NaN();
  expect_error([&] { model->forward(nan_pos, f); }, "pos");

  Features wrong_fiber = random_features(Fiber{{0, 3}}, 5, at::kDouble, gen);
  expect_error([&] { model->forward(g, wrong_fiber); }, "degree");

  Features wrong_rows = random_features(model->options().fiber_in, 4, at::kDouble, gen);
  expect_error([&] { model->forward(g, wrong_rows); }, "expected shape");

  expect_error(
      [] {
        AttentionSE3(AttentionSE3Options(Fiber{{0, 4}}, Fiber{{0, 6}}).num_heads(4));
      },
      "heads");
  expect_error([] { Fiber::parse("{0:4,x}"); }, "Fiber::parse");
  expect_error([] { SE3TransformerOptions::from_text("num_layers = two"); }, "num_layers");
}

}  // namespace
}  // namespace se3t

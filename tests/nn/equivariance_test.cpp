// Rotation + translation equivariance of every layer and of both models, all output degrees
// 0..3, on batches of a few hundred nodes: < 1e-12 relative error in float64, < 1e-5 in float32.
#include <gtest/gtest.h>

#include <functional>

#include "common/testing.h"
#include "nn/nn_testing.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/attention_block_se3.h"
#include "se3t/nn/attention_se3.h"
#include "se3t/nn/attentive_self_interaction.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/linear_se3.h"
#include "se3t/nn/norm_se3.h"
#include "se3t/nn/pooling.h"
#include "se3t/so3/rotation.h"

namespace se3t {
namespace {

using testing::features_error;
using testing::random_features;
using testing::random_graphs;
using testing::rotate_features;
using testing::transform_graph;

const Fiber kAll = Fiber::uniform(3, 4);  // degrees 0..3, 4 channels each

// Runs `layer` on a random batch and on its rotated + translated copy; returns the largest
// relative error between rotate(layer(x)) and layer(rotate(x)) over `trials` rotations.
using LayerFn = std::function<Features(const GraphBatch&, const Features&)>;
double equivariance_error(const LayerFn& layer, const Fiber& fiber_in, at::ScalarType dtype,
                          int trials = 2, int64_t edge_dim = 0) {
  auto gen = testing::make_generator(7);
  const GraphBatch g = random_graphs({100, 60, 40}, dtype, gen, 1.5, edge_dim);
  const Features f = random_features(fiber_in, g.num_nodes(), dtype, gen);
  const Features out = layer(g, f);
  double err = 0;
  for (int t = 0; t < trials; ++t) {
    const at::Tensor R = random_rotation(1, at::kDouble, gen)[0];
    const at::Tensor shift = at::randn({3}, gen, at::kDouble) * 10;
    const Features out_rot = layer(transform_graph(g, R, shift), rotate_features(f, R));
    err = std::max(err, features_error(out_rot, rotate_features(out, R)));
  }
  return err;
}

double tolerance(at::ScalarType dtype) {
  return dtype == at::kDouble ? 1e-12 : 1e-5;
}

class Equivariance : public ::testing::TestWithParam<at::ScalarType> {};

TEST_P(Equivariance, ConvSE3WithSelfInteraction) {
  const auto dtype = GetParam();
  ConvSE3 conv(ConvSE3Options(kAll, Fiber::uniform(3, 5)).edge_dim(2).self_interaction(true));
  conv->to(dtype);
  const double err = equivariance_error(
      [&](const GraphBatch& g, const Features& f) { return conv->forward(f, edge_geometry(g, 3)); },
      kAll, dtype, 2, /*edge_dim=*/2);
  EXPECT_LT(err, tolerance(dtype));
}

TEST_P(Equivariance, ConvSE3ChangesDegrees) {
  const auto dtype = GetParam();
  // Scalars and vectors in, degrees 0..4 out (the basis up to J = 1 + 4).
  const Fiber in{{0, 3}, {1, 2}};
  ConvSE3 conv(ConvSE3Options(in, Fiber::uniform(4, 2)));
  conv->to(dtype);
  const double err = equivariance_error(
      [&](const GraphBatch& g, const Features& f) { return conv->forward(f, edge_geometry(g, 4)); },
      in, dtype);
  EXPECT_LT(err, tolerance(dtype));
}

TEST_P(Equivariance, LinearSE3) {
  const auto dtype = GetParam();
  LinearSE3 lin(LinearSE3Options(kAll, Fiber::uniform(3, 6)));
  lin->to(dtype);
  const double err = equivariance_error(
      [&](const GraphBatch&, const Features& f) { return lin->forward(f); }, kAll, dtype);
  EXPECT_LT(err, tolerance(dtype));
}

TEST_P(Equivariance, AttentiveSelfInteraction) {
  const auto dtype = GetParam();
  AttentiveSelfInteraction si(AttentiveSelfInteractionOptions(kAll, Fiber::uniform(3, 3)));
  si->to(dtype);
  const double err = equivariance_error(
      [&](const GraphBatch&, const Features& f) { return si->forward(f); }, kAll, dtype);
  EXPECT_LT(err, tolerance(dtype));
}

TEST_P(Equivariance, MultiHeadAttentionSE3) {
  const auto dtype = GetParam();
  AttentionSE3 att(AttentionSE3Options(kAll, Fiber::uniform(3, 8)).num_heads(2).edge_dim(1));
  att->to(dtype);
  const double err = equivariance_error(
      [&](const GraphBatch& g, const Features& f) { return att->forward(f, edge_geometry(g, 3)); },
      kAll, dtype, 2, /*edge_dim=*/1);
  EXPECT_LT(err, tolerance(dtype));
}

TEST_P(Equivariance, AttentionBlockSE3AllVariants) {
  const auto dtype = GetParam();
  for (const bool attention : {true, false}) {
    for (const Skip skip : {Skip::kCat, Skip::kAdd}) {
      for (const auto si : {SelfInteraction::kLinear, SelfInteraction::kAttentive}) {
        // The paper's C / channels_div values cannot be added to the C-channel input.
        const ValueLayout layout =
            skip == Skip::kAdd
                ? ValueLayout::kWide
                : (si == SelfInteraction::kLinear ? ValueLayout::kPaper : ValueLayout::kWide);
        AttentionBlockSE3 block(AttentionBlockSE3Options(kAll, kAll)
                                    .attention(attention)
                                    .num_heads(2)
                                    .skip(skip)
                                    .self_interaction(si)
                                    .value_layout(layout));
        block->to(dtype);
        const double err = equivariance_error(
            [&](const GraphBatch& g, const Features& f) {
              return block->forward(f, edge_geometry(g, 3));
            },
            kAll, dtype, 1);
        EXPECT_LT(err, tolerance(dtype))
            << "attention " << attention << " skip " << to_string(skip) << " si " << to_string(si)
            << " values " << to_string(layout);
      }
    }
  }
}

TEST_P(Equivariance, NormSE3) {
  const auto dtype = GetParam();
  for (const Activation a : {Activation::kReLU, Activation::kSiLU}) {  // paper's and smooth
    NormSE3 norm{NormSE3Options(kAll).activation(a)};
    norm->to(dtype);
    const double err = equivariance_error(
        [&](const GraphBatch&, const Features& f) { return norm->forward(f); }, kAll, dtype);
    EXPECT_LT(err, tolerance(dtype)) << to_string(a);
  }
}

TEST_P(Equivariance, AveragePoolingOfAllDegrees) {
  const auto dtype = GetParam();
  const double err = equivariance_error(
      [&](const GraphBatch& g, const Features& f) {
        return pool_graphs(f, g.graph_id, g.num_graphs, Pooling::kAvg);
      },
      kAll, dtype);
  EXPECT_LT(err, tolerance(dtype));
}

SE3TransformerOptions model_options(bool attention) {
  return testing::small_model_options(attention);
}

TEST_P(Equivariance, SE3TransformerModel) {
  const auto dtype = GetParam();
  for (const Activation a : {Activation::kReLU, Activation::kSiLU}) {
    SE3TransformerOptions o = model_options(true);
    o.activation = a;
    SE3Transformer model(o);
    model->to(dtype);
    const double err = equivariance_error(
        [&](const GraphBatch& g, const Features& f) { return model->forward(g, f); }, o.fiber_in,
        dtype, 2, /*edge_dim=*/1);
    EXPECT_LT(err, tolerance(dtype)) << to_string(a);
  }
}

TEST_P(Equivariance, TensorFieldNetworkModelPooled) {
  const auto dtype = GetParam();
  auto o = model_options(false);
  o.pooling = Pooling::kAvg;
  o.fiber_out = Fiber{{0, 2}, {1, 2}};
  TensorFieldNetwork model(o);
  model->to(dtype);
  const double err = equivariance_error(
      [&](const GraphBatch& g, const Features& f) { return model->forward(g, f); }, o.fiber_in,
      dtype, 2, /*edge_dim=*/1);
  EXPECT_LT(err, tolerance(dtype));
}

// A check that the measure can fail: a layer that treats vectors as scalars (adds a constant
// to degree 1) is caught.
TEST_P(Equivariance, DetectsABrokenLayer) {
  const auto dtype = GetParam();
  LinearSE3 lin(LinearSE3Options(kAll, kAll));
  lin->to(dtype);
  const double err = equivariance_error(
      [&](const GraphBatch&, const Features& f) {
        Features out = lin->forward(f);
        out[1] = out[1] + 0.1;
        return out;
      },
      kAll, dtype, 1);
  EXPECT_GT(err, 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, Equivariance, ::testing::Values(at::kDouble, at::kFloat),
                         [](const auto& info) {
                           return std::string(info.param == at::kDouble ? "float64" : "float32");
                         });

}  // namespace
}  // namespace se3t

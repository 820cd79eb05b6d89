// Graphs without edges and isolated nodes: every layer and model runs (forward and backward,
// fused and reference kernels), an isolated node gets only its self-interaction term, and a
// one-atom molecule has an energy.
#include <gtest/gtest.h>

#include <tuple>

#include "common/molecule_testing.h"
#include "common/testing.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/attention_se3.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/edge_geometry.h"
#include "se3t/nn/kernel_path.h"

namespace se3t {
namespace {

Features random_features(const Fiber& fiber, int64_t rows, at::Generator& gen) {
  Features f;
  for (const auto& [l, c] : fiber.entries())
    f[l] = at::randn({rows, c, 2 * l + 1}, gen, at::kDouble);
  return f;
}

// (attention, kernel path)
class EmptyGraph : public ::testing::TestWithParam<std::tuple<bool, KernelPath>> {
 protected:
  void SetUp() override {
    saved_ = default_kernel_path();
    set_default_kernel_path(std::get<1>(GetParam()));
  }
  void TearDown() override { set_default_kernel_path(saved_); }
  SE3TransformerOptions options() const {
    SE3TransformerOptions o;
    o.fiber_in = Fiber{{0, 2}, {1, 1}};
    o.fiber_hidden = Fiber::uniform(2, 4);
    o.fiber_out = Fiber{{0, 1}, {1, 1}};
    o.num_layers = 2;
    o.num_heads = 2;
    o.attention = std::get<0>(GetParam());
    return o;
  }
  KernelPath saved_ = KernelPath::kReference;
};

// N nodes in N one-node graphs: no edges at all.
GraphBatch isolated_nodes(const at::Tensor& pos) {
  const int64_t n = pos.size(0);
  return fully_connected_graph(pos, at::arange(n, at::kLong), n);
}

TEST_P(EmptyGraph, AttentionAndConvolutionOfNoEdgesAreZero) {
  auto gen = testing::make_generator(21);
  const Fiber fin{{0, 2}, {1, 2}}, fout{{0, 4}, {1, 4}};
  const GraphBatch g = isolated_nodes(at::randn({3, 3}, gen, at::kDouble));
  ASSERT_EQ(g.num_edges(), 0);
  const EdgeGeometry geo = edge_geometry(g, 1);
  const Features f = random_features(fin, 3, gen);
  AttentionSE3 attention(AttentionSE3Options(fin, fout).num_heads(2));
  ConvSE3 conv(ConvSE3Options(fin, fout));
  attention->to(at::kDouble);
  conv->to(at::kDouble);
  for (const Features& out : {attention->forward(f, geo), conv->forward(f, geo)}) {
    for (const auto& [l, t] : out) {
      ASSERT_EQ(t.sizes(), (at::IntArrayRef{3, fout.channels(l), 2 * l + 1})) << "degree " << l;
      EXPECT_EQ(t.abs().max().item<double>(), 0.0) << "a sum over no edges is zero";
    }
  }
}

TEST_P(EmptyGraph, IsolatedNodeGetsOnlyItsSelfInteraction) {
  auto gen = testing::make_generator(22);
  SE3Transformer model(options());
  model->to(at::kDouble);
  // Graph 0: four connected nodes; graph 1: one node alone.
  const at::Tensor pos = at::randn({5, 3}, gen, at::kDouble).requires_grad_();
  const GraphBatch g = fully_connected_graph(pos, at::tensor({0, 0, 0, 0, 1}, at::kLong), 2);
  const Features f = random_features(model->options().fiber_in, 5, gen);
  const Features out = model->forward(g, f);
  // The lone node by itself (a batch with no edges) gives the same output: nothing reached it.
  Features f_alone;
  for (const auto& [l, t] : f) f_alone[l] = t.narrow(0, 4, 1);
  const Features alone = model->forward(isolated_nodes(pos.narrow(0, 4, 1)), f_alone);
  for (const auto& [l, t] : out) {
    EXPECT_LT(testing::max_abs_diff(t.narrow(0, 4, 1), alone.at(l)), 1e-14) << "degree " << l;
    EXPECT_TRUE(at::isfinite(t).all().item<bool>());
  }
  // Backward through a batch with isolated nodes and through one without edges.
  at::Tensor loss = at::zeros({}, at::kDouble);
  for (const auto& [l, t] : out) loss = loss + t.pow(2).sum();
  for (const auto& [l, t] : alone) loss = loss + t.pow(2).sum();
  loss.backward();
  EXPECT_TRUE(at::isfinite(pos.grad()).all().item<bool>());
  EXPECT_EQ(pos.grad()[4].abs().max().item<double>(), 0.0) << "no edge: no force on the node";
  for (const auto& p : model->parameters()) {
    if (p.grad().defined()) {
      EXPECT_TRUE(at::isfinite(p.grad()).all().item<bool>());
    }
  }
}

TEST_P(EmptyGraph, OneAtomMoleculeHasAnEnergyAndZeroForce) {
  const std::vector<Molecule> mols = testing::random_molecules(4, 23);
  MoleculeModel model =
      testing::make_model(mols, testing::small_options(std::get<0>(GetParam()), "sum"));
  Molecule atom;
  atom.numbers = {mols[0].numbers[0]};
  atom.positions = {{{1.0, 2.0, 3.0}}};
  atom.energy = -10.0;
  // Alone, and in a batch beside a whole molecule.
  const std::vector<Molecule> batch_mols = {atom, mols[1]};
  for (const std::vector<int64_t>& idx : {std::vector<int64_t>{0}, std::vector<int64_t>{0, 1}}) {
    const MoleculeBatch b = model->batch(batch_mols, idx);
    const EnergyForces ef = model->energy_and_forces(b, false);
    EXPECT_TRUE(at::isfinite(ef.energy).all().item<bool>());
    EXPECT_EQ(ef.forces[0].abs().max().item<double>(), 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, EmptyGraph,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(KernelPath::kReference,
                                                              KernelPath::kFused)));

}  // namespace
}  // namespace se3t

// GraphBatch: validation errors name the field; relative positions, sizes, to(), concat.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/expect_error.h"
#include "se3t/graph/graph_batch.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

at::Tensor longs(std::vector<int64_t> v) {
  return at::tensor(v, at::TensorOptions().dtype(at::kLong));
}

// Two graphs: nodes 0-2 in graph 0, nodes 3-4 in graph 1; edges within each graph.
GraphBatch small_batch() {
  GraphBatch g;
  g.pos = at::arange(15, at::kDouble).reshape({5, 3});
  g.graph_id = longs({0, 0, 0, 1, 1});
  g.num_graphs = 2;
  g.src = longs({1, 2, 0, 4, 3});
  g.dst = longs({0, 0, 1, 3, 4});
  g.edge_attr = at::ones({5, 2}, at::kDouble);
  return g;
}

// Expects fn to throw se3t::Error whose message contains every one of `parts`.
using testing::expect_error;

TEST(GraphBatch, ValidBatchPasses) {
  GraphBatch g = small_batch();
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.num_nodes(), 5);
  EXPECT_EQ(g.num_edges(), 5);
  EXPECT_EQ(g.edge_attr_dim(), 2);
  g.edge_attr = at::Tensor();
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.edge_attr_dim(), 0);
}

TEST(GraphBatch, EmptyBatchPasses) {
  GraphBatch g;
  g.pos = at::zeros({0, 3});
  g.graph_id = longs({});
  g.src = longs({});
  g.dst = longs({});
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.graph_sizes().numel(), 0);
}

TEST(GraphBatch, IndexOutOfRange) {
  GraphBatch g = small_batch();
  g.src[2] = 5;
  expect_error([&] { g.validate(); }, {"GraphBatch.src", "edge 2", "[0, 5)"});
  g = small_batch();
  g.dst[4] = -1;
  expect_error([&] { g.validate(); }, {"GraphBatch.dst", "edge 4"});
}

TEST(GraphBatch, SelfEdge) {
  GraphBatch g = small_batch();
  g.src[3] = 3;
  expect_error([&] { g.validate(); }, {"GraphBatch.src/dst", "self-edge", "edge 3"});
}

TEST(GraphBatch, CrossGraphEdge) {
  GraphBatch g = small_batch();
  g.src[0] = 4;  // node 4 (graph 1) -> node 0 (graph 0)
  expect_error([&] { g.validate(); }, {"GraphBatch.src/dst", "graph_id", "edge 0"});
}

TEST(GraphBatch, NonFinitePosition) {
  GraphBatch g = small_batch();
  g.pos[2][1] = std::nan("");
  expect_error([&] { g.validate(); }, {"GraphBatch.pos", "NaN"});
  g = small_batch();
  g.pos[0][0] = INFINITY;
  expect_error([&] { g.validate(); }, {"GraphBatch.pos"});
}

TEST(GraphBatch, WrongDtypeAndShape) {
  GraphBatch g = small_batch();
  g.pos = g.pos.to(at::kLong);
  expect_error([&] { g.validate(); }, {"GraphBatch.pos", "float32 or float64"});
  g = small_batch();
  g.pos = at::zeros({5, 2}, at::kDouble);
  expect_error([&] { g.validate(); }, {"GraphBatch.pos", "[*, 3]"});
  g = small_batch();
  g.src = g.src.to(at::kInt);
  expect_error([&] { g.validate(); }, {"GraphBatch.src", "int64"});
  g = small_batch();
  g.dst = g.dst.slice(0, 0, 4);
  expect_error([&] { g.validate(); }, {"GraphBatch.dst", "as many"});
  g = small_batch();
  g.graph_id = longs({0, 0, 0, 1});
  expect_error([&] { g.validate(); }, {"GraphBatch.graph_id", "one entry per node"});
  g = small_batch();
  g.edge_attr = at::ones({4, 2}, at::kDouble);
  expect_error([&] { g.validate(); }, {"GraphBatch.edge_attr"});
  g = small_batch();
  g.edge_attr = at::ones({5, 2}, at::kLong);
  expect_error([&] { g.validate(); }, {"GraphBatch.edge_attr", "float32 or float64"});
  g = small_batch();
  g.src = at::Tensor();
  expect_error([&] { g.validate(); }, {"GraphBatch.src", "undefined"});
}

TEST(GraphBatch, GraphIdOrderAndRange) {
  GraphBatch g = small_batch();
  g.graph_id = longs({0, 1, 0, 1, 1});
  expect_error([&] { g.validate(); }, {"GraphBatch.graph_id", "non-decreasing", "node 2"});
  g = small_batch();
  g.num_graphs = 1;
  expect_error([&] { g.validate(); }, {"GraphBatch.graph_id", "num_graphs = 1"});
  g = small_batch();
  g.graph_id = longs({-1, 0, 0, 1, 1});
  expect_error([&] { g.validate(); }, {"GraphBatch.graph_id"});
}

TEST(GraphBatch, RelativePositionsAreSourceMinusDestination) {
  GraphBatch g = small_batch();
  g.pos = at::tensor({0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 1e4, 1e4, 1e4, 5.0, 5.0, 5.0, 6.0, 5.0, 5.0},
                     at::kDouble)
              .reshape({5, 3});
  const at::Tensor x = g.relative_positions();
  ASSERT_EQ(x.sizes(), (at::IntArrayRef{5, 3}));
  EXPECT_TRUE(at::equal(x[0], at::tensor({1.0, 2.0, 3.0}, at::kDouble)));   // 1 -> 0
  EXPECT_TRUE(at::equal(x[1], at::tensor({1e4, 1e4, 1e4}, at::kDouble)));   // 2 -> 0
  EXPECT_TRUE(at::equal(x[3], at::tensor({1.0, 0.0, 0.0}, at::kDouble)));   // 4 -> 3
  EXPECT_TRUE(at::equal(x[4], at::tensor({-1.0, 0.0, 0.0}, at::kDouble)));  // 3 -> 4
}

TEST(GraphBatch, GraphSizesCountEmptyGraphs) {
  GraphBatch g = small_batch();
  g.graph_id = longs({0, 0, 0, 3, 3});
  g.num_graphs = 5;
  EXPECT_TRUE(at::equal(g.graph_sizes(), longs({3, 0, 0, 2, 0})));
}

TEST(GraphBatch, ToConvertsFloatsAndKeepsIndices) {
  const GraphBatch g = small_batch();
  const GraphBatch f = g.to(at::TensorOptions().dtype(at::kFloat));
  EXPECT_EQ(f.pos.scalar_type(), at::kFloat);
  EXPECT_EQ(f.edge_attr.scalar_type(), at::kFloat);
  EXPECT_EQ(f.src.scalar_type(), at::kLong);
  EXPECT_EQ(f.graph_id.scalar_type(), at::kLong);
  EXPECT_EQ(f.num_graphs, 2);
  EXPECT_TRUE(at::equal(f.src, g.src));
  EXPECT_TRUE(at::allclose(f.pos.to(at::kDouble), g.pos));
  // Device only: dtype unchanged.
  const GraphBatch c = g.to(at::TensorOptions().device(at::kCPU));
  EXPECT_EQ(c.pos.scalar_type(), at::kDouble);
  EXPECT_NO_THROW(f.validate());
}

TEST(ConcatGraphs, OffsetsNodesAndGraphIds) {
  const GraphBatch a = small_batch();
  GraphBatch b;
  b.pos = at::ones({3, 3}, at::kDouble);
  b.graph_id = longs({0, 2, 2});  // graph 1 of b is empty
  b.num_graphs = 3;
  b.src = longs({2});
  b.dst = longs({1});
  b.edge_attr = at::full({1, 2}, 7.0, at::kDouble);
  const GraphBatch c = concat_graphs({a, b, a});
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.num_nodes(), 13);
  EXPECT_EQ(c.num_graphs, 7);
  EXPECT_TRUE(at::equal(c.graph_id, longs({0, 0, 0, 1, 1, 2, 4, 4, 5, 5, 5, 6, 6})));
  EXPECT_TRUE(at::equal(c.src, longs({1, 2, 0, 4, 3, 7, 9, 10, 8, 12, 11})));
  EXPECT_TRUE(at::equal(c.dst, longs({0, 0, 1, 3, 4, 6, 8, 8, 9, 11, 12})));
  ASSERT_EQ(c.edge_attr.sizes(), (at::IntArrayRef{11, 2}));
  EXPECT_EQ(c.edge_attr[5][0].item<double>(), 7.0);
  EXPECT_TRUE(at::equal(c.pos.slice(0, 5, 8), b.pos));
  EXPECT_TRUE(at::equal(c.graph_sizes(), longs({3, 2, 1, 0, 2, 3, 2})));
}

TEST(ConcatGraphs, RejectsMismatchedInputs) {
  GraphBatch a = small_batch();
  GraphBatch b = small_batch();
  b.edge_attr = at::Tensor();
  expect_error([&] { concat_graphs({a, b}); }, {"concat_graphs", "edge_attr", "batch 1"});
  b = small_batch();
  b.edge_attr = at::ones({5, 3}, at::kDouble);
  expect_error([&] { concat_graphs({a, b}); }, {"concat_graphs", "edge_attr"});
  b = small_batch();
  b.pos = b.pos.to(at::kFloat);
  expect_error([&] { concat_graphs({a, b}); }, {"concat_graphs", "pos"});
  b = small_batch();
  b.src[0] = 0;  // self-edge: inputs are validated
  expect_error([&] { concat_graphs({a, b}); }, {"GraphBatch.src/dst"});
  expect_error([&] { concat_graphs({}); }, {"concat_graphs"});
}

// small_batch() made periodic: graph 0 a triclinic cell, graph 1 a cubic one; edge 2 (0 -> 1)
// from the image (1, 0, -1), edge 3 a node's own image (0, 1, 0), the rest image 0.
GraphBatch periodic_batch() {
  GraphBatch g = small_batch();
  g.cell = at::tensor({3.0, 0.0, 0.0, 1.0, 4.0, 0.0, -0.5, 0.5, 5.0, 2.0, 0.0, 0.0, 0.0, 2.0, 0.0,
                       0.0, 0.0, 2.0},
                      at::kDouble)
               .reshape({2, 3, 3});
  g.dst[3] = 4;
  g.src[3] = 4;
  g.edge_image = at::zeros({5, 3}, at::kLong);
  g.edge_image[2][0] = 1;
  g.edge_image[2][2] = -1;
  g.edge_image[3][1] = 1;
  return g;
}

TEST(GraphBatch, PeriodicRelativePositionsAddTheImageShift) {
  const GraphBatch g = periodic_batch();
  EXPECT_NO_THROW(g.validate());
  EXPECT_TRUE(g.periodic());
  const at::Tensor x = g.relative_positions();
  // Edge 2: x_0 + a - c - x_1 with a = (3, 0, 0), c = (-0.5, 0.5, 5); x_0 - x_1 = (-3, -3, -3).
  EXPECT_TRUE(at::allclose(x[2], at::tensor({0.5, -3.5, -8.0}, at::kDouble), 0, 1e-15));
  // Edge 3: node 4 and its own image one b = (0, 2, 0) away.
  EXPECT_TRUE(at::allclose(x[3], at::tensor({0.0, 2.0, 0.0}, at::kDouble), 0, 1e-15));
  EXPECT_TRUE(at::equal(x[0], small_batch().relative_positions()[0]));
}

TEST(GraphBatch, PeriodicRelativePositionsDifferentiateInCellAndPos) {
  // d x_e / d cell[g][k][c] = n_e[k] for the edges of graph g, so for a weight w [E, 3] the
  // gradient of sum(w * x) with respect to cell[g] is sum_e n_e w_e^T over g's edges.
  GraphBatch g = periodic_batch();
  g.cell = g.cell.clone().requires_grad_(true);
  g.pos = g.pos.clone().requires_grad_(true);
  const at::Tensor w = at::arange(15, at::kDouble).reshape({5, 3}) - 7;
  (g.relative_positions() * w).sum().backward();
  at::Tensor expected = at::zeros({2, 3, 3}, at::kDouble);
  const at::Tensor n = g.edge_image.to(at::kDouble);
  for (int64_t e = 0; e < 5; ++e) {
    const int64_t graph = g.graph_id[g.dst[e].item<int64_t>()].item<int64_t>();
    expected[graph] += at::outer(n[e], w[e]);
  }
  EXPECT_TRUE(at::allclose(g.cell.grad(), expected, 0, 1e-12));
  // Positions: +w at the source, -w at the destination.
  const at::Tensor expected_pos =
      at::zeros({5, 3}, at::kDouble).index_add(0, g.src, w).index_add(0, g.dst, -w);
  EXPECT_TRUE(at::allclose(g.pos.grad(), expected_pos, 0, 1e-12));
}

TEST(GraphBatch, PeriodicValidation) {
  GraphBatch g = periodic_batch();
  g.edge_image[3][1] = 0;  // node 4 to itself with a zero image
  expect_error([&] { g.validate(); }, {"GraphBatch.src/dst", "self-edges", "edge 3"});
  g = periodic_batch();
  g.edge_image = at::Tensor();
  expect_error([&] { g.validate(); }, {"GraphBatch.cell / edge_image", "undefined"});
  g = periodic_batch();
  g.cell = at::Tensor();
  expect_error([&] { g.validate(); }, {"GraphBatch.cell / edge_image"});
  g = periodic_batch();
  g.cell = g.cell.slice(0, 0, 1);
  expect_error([&] { g.validate(); }, {"GraphBatch.cell"});
  g = periodic_batch();
  g.cell = g.cell.to(at::kFloat);
  expect_error([&] { g.validate(); }, {"GraphBatch.cell", "dtype of pos"});
  g = periodic_batch();
  g.cell[1][2][2] = NAN;
  expect_error([&] { g.validate(); }, {"GraphBatch.cell"});
  g = periodic_batch();
  g.edge_image = g.edge_image.to(at::kDouble);
  expect_error([&] { g.validate(); }, {"GraphBatch.edge_image", "int64"});
  g = periodic_batch();
  g.edge_image = g.edge_image.slice(0, 0, 4);
  expect_error([&] { g.validate(); }, {"GraphBatch.edge_image"});
}

TEST(GraphBatch, PeriodicToAndConcat) {
  const GraphBatch p = periodic_batch();
  const GraphBatch f = p.to(at::TensorOptions().dtype(at::kFloat));
  EXPECT_EQ(f.cell.scalar_type(), at::kFloat);
  EXPECT_EQ(f.edge_image.scalar_type(), at::kLong);
  EXPECT_NO_THROW(f.validate());
  // A molecule between two crystals: zero cell and zero images for it, shifts kept for them.
  const GraphBatch c = concat_graphs({p, small_batch(), p});
  EXPECT_NO_THROW(c.validate());
  ASSERT_EQ(c.cell.sizes(), (at::IntArrayRef{6, 3, 3}));
  EXPECT_TRUE(at::equal(c.cell.slice(0, 0, 2), p.cell));
  EXPECT_EQ(c.cell.slice(0, 2, 4).abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(at::equal(c.cell.slice(0, 4, 6), p.cell));
  EXPECT_TRUE(at::equal(c.edge_image.slice(0, 10, 15), p.edge_image));
  EXPECT_EQ(c.edge_image.slice(0, 5, 10).abs().sum().item<int64_t>(), 0);
  const at::Tensor x = c.relative_positions();
  EXPECT_TRUE(at::allclose(x.slice(0, 0, 5), p.relative_positions(), 0, 0));
  EXPECT_TRUE(at::allclose(x.slice(0, 5, 10), small_batch().relative_positions(), 0, 0));
  EXPECT_TRUE(at::allclose(x.slice(0, 10, 15), p.relative_positions(), 0, 0));
}

}  // namespace
}  // namespace se3t

// Neighbourhood builders against brute-force O(N^2) references, invariance, argument checks.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "common/testing.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using Edges = std::vector<std::pair<int64_t, int64_t>>;  // (src, dst) in output order

const at::TensorOptions kLongOpts = at::TensorOptions().dtype(at::kLong);

Edges edges_of(const GraphBatch& g) {
  const at::Tensor s = g.src.contiguous(), d = g.dst.contiguous();
  Edges out(static_cast<size_t>(s.numel()));
  for (int64_t e = 0; e < s.numel(); ++e) {
    out[static_cast<size_t>(e)] = {s.data_ptr<int64_t>()[e], d.data_ptr<int64_t>()[e]};
  }
  return out;
}

// Brute force: for each dst i (ascending), the other nodes j of its graph with squared distance
// (computed as documented, in float64) < r2, the `cap` nearest by (distance, index) if cap > 0,
// listed by ascending j.
Edges brute_force(const at::Tensor& pos, const at::Tensor& graph_id, size_t cap, double r2) {
  const at::Tensor p = pos.to(at::kDouble).contiguous();
  const double* x = p.data_ptr<double>();
  const int64_t* g = graph_id.data_ptr<int64_t>();
  const int64_t n = p.size(0);
  Edges out;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<std::pair<double, int64_t>> cand;
    for (int64_t j = 0; j < n; ++j) {
      if (j == i || g[j] != g[i]) continue;
      const double dx = x[3 * j] - x[3 * i], dy = x[3 * j + 1] - x[3 * i + 1],
                   dz = x[3 * j + 2] - x[3 * i + 2];
      const double d2 = (dx * dx + dy * dy) + dz * dz;
      if (d2 < r2) cand.emplace_back(d2, j);
    }
    std::sort(cand.begin(), cand.end());
    if (cap > 0 && cand.size() > cap) cand.resize(cap);
    std::vector<int64_t> js;
    for (const auto& c : cand) js.push_back(c.second);
    std::sort(js.begin(), js.end());
    for (int64_t j : js) out.emplace_back(j, i);
  }
  return out;
}

// Graphs of the given sizes. Graph kinds by index modulo 3: uniform random in a unit cube;
// random points on a small integer lattice (many exact distance ties and coincident points);
// uniform random with some points copied onto others (coincident points).
std::pair<at::Tensor, at::Tensor> make_clouds(const std::vector<int64_t>& sizes,
                                              at::ScalarType dtype, uint64_t seed) {
  at::Generator gen = testing::make_generator(seed);
  std::vector<at::Tensor> pos, gid;
  for (size_t b = 0; b < sizes.size(); ++b) {
    const int64_t n = sizes[b];
    at::Tensor p;
    if (b % 3 == 1) {
      p = at::randint(0, 4, {n, 3}, gen, at::TensorOptions().dtype(at::kDouble));
    } else {
      p = at::rand({n, 3}, gen, at::kDouble) * 3.0 - 1.0;
      if (b % 3 == 2 && n >= 4) {
        for (int64_t t = 0; t < n / 4; ++t) {
          const int64_t from = at::randint(0, n, {1}, gen, kLongOpts).item<int64_t>();
          const int64_t to = at::randint(0, n, {1}, gen, kLongOpts).item<int64_t>();
          p[to] = p[from].clone();
        }
      }
    }
    pos.push_back(p);
    gid.push_back(at::full({n}, static_cast<int64_t>(b), kLongOpts));
  }
  return {at::cat(pos, 0).to(dtype), at::cat(gid, 0)};
}

// Graph sizes for the reference comparisons: a one-node graph, an empty graph, a two-node graph.
const std::vector<int64_t> kSizes = {150, 120, 200, 1, 0, 2, 90, 64, 40};

void expect_valid_and_sorted(const GraphBatch& g) {
  EXPECT_NO_THROW(g.validate());
  const Edges e = edges_of(g);
  for (size_t t = 1; t < e.size(); ++t) {
    const bool ordered = e[t - 1].second < e[t].second ||
                         (e[t - 1].second == e[t].second && e[t - 1].first < e[t].first);
    ASSERT_TRUE(ordered) << "edges " << t - 1 << " and " << t << " out of order";
  }
}

TEST(FullyConnected, CountsAndNoSelfOrCrossEdges) {
  const auto [pos, gid] = make_clouds({5, 1, 0, 7, 2, 30}, at::kFloat, 1);
  const GraphBatch g = fully_connected_graph(pos, gid, 6);
  expect_valid_and_sorted(g);
  EXPECT_EQ(g.num_edges(), 5 * 4 + 0 + 0 + 7 * 6 + 2 * 1 + 30 * 29);
  EXPECT_TRUE(at::equal(g.pos, pos));
  EXPECT_FALSE(g.edge_attr.defined());
  // Per dst: exactly the other nodes of its graph, which is the unbounded radius reference.
  EXPECT_EQ(edges_of(g), brute_force(pos, gid, 0, std::numeric_limits<double>::infinity()));
  const at::Tensor in_degree =
      at::zeros({pos.size(0)}, kLongOpts).index_add_(0, g.dst, at::ones_like(g.dst));
  const at::Tensor expected = (g.graph_sizes() - 1).index_select(0, gid);
  EXPECT_TRUE(at::equal(in_degree, expected));
  EXPECT_FALSE(g.src.eq(g.dst).any().item<bool>());
  EXPECT_TRUE(at::equal(gid.index_select(0, g.src), gid.index_select(0, g.dst)));
}

TEST(FullyConnected, EmptyAndSingleNode) {
  const GraphBatch empty = fully_connected_graph(at::zeros({0, 3}), at::zeros({0}, kLongOpts), 0);
  EXPECT_EQ(empty.num_edges(), 0);
  EXPECT_NO_THROW(empty.validate());
  const GraphBatch one = fully_connected_graph(at::zeros({1, 3}), at::zeros({1}, kLongOpts), 1);
  EXPECT_EQ(one.num_edges(), 0);
}

TEST(KnnGraph, MatchesBruteForce) {
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    const auto [pos, gid] = make_clouds(kSizes, dtype, 2);
    for (int64_t k : {1, 3, 8, 16, 300}) {
      const GraphBatch g = knn_graph(pos, gid, static_cast<int64_t>(kSizes.size()), k);
      SCOPED_TRACE("k = " + std::to_string(k) + ", dtype " + std::string(at::toString(dtype)));
      expect_valid_and_sorted(g);
      EXPECT_EQ(edges_of(g), brute_force(pos, gid, static_cast<size_t>(k),
                                         std::numeric_limits<double>::infinity()));
    }
  }
}

TEST(KnnGraph, CoincidentPointsAreNeighboursWithoutNaN) {
  at::Tensor pos = at::zeros({4, 3}, at::kFloat);
  pos[3] = at::tensor({1.0f, 0.0f, 0.0f});
  const at::Tensor gid = at::zeros({4}, kLongOpts);
  const GraphBatch g = knn_graph(pos, gid, 1, 2);
  // Nodes 0, 1, 2 coincide; ties broken by the smaller index.
  const Edges expected = {{1, 0}, {2, 0}, {0, 1}, {2, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}};
  EXPECT_EQ(edges_of(g), expected);
  EXPECT_TRUE(at::isfinite(g.relative_positions()).all().item<bool>());
  EXPECT_EQ(g.relative_positions().norm(2, 1).slice(0, 0, 6).abs().max().item<float>(), 0.0f);
}

TEST(KnnGraph, EdgeSetInvariantUnderRotationAndTranslation) {
  at::Generator gen = testing::make_generator(3);
  const auto [pos, gid] = [&] {
    at::Tensor p = at::randn({400, 3}, gen, at::kDouble);
    at::Tensor i = at::cat({at::zeros({250}, kLongOpts), at::ones({150}, kLongOpts)});
    return std::make_pair(p, i);
  }();
  const GraphBatch base = knn_graph(pos, gid, 2, 10);
  for (int trial = 0; trial < 5; ++trial) {
    const auto qr = at::linalg_qr(at::randn({3, 3}, gen, at::kDouble));
    at::Tensor rot = std::get<0>(qr);
    if (at::det(rot).item<double>() < 0) rot = rot * -1.0;  // proper rotation (3x3: det flips)
    const at::Tensor shift = at::randn({1, 3}, gen, at::kDouble) * 10.0;
    const GraphBatch moved = knn_graph(at::matmul(pos, rot.t()) + shift, gid, 2, 10);
    EXPECT_EQ(edges_of(moved), edges_of(base)) << "trial " << trial;
  }
  // The check can fail: a different k changes the edge set.
  EXPECT_NE(edges_of(knn_graph(pos, gid, 2, 9)), edges_of(base));
}

TEST(RadiusGraph, MatchesBruteForce) {
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    const auto [pos, gid] = make_clouds(kSizes, dtype, 4);
    for (double r : {0.3, 1.0, 2.0, 100.0}) {
      for (int64_t cap : {-1, 1, 5, 32}) {
        const GraphBatch g = radius_graph(pos, gid, static_cast<int64_t>(kSizes.size()), r, cap);
        SCOPED_TRACE("r = " + std::to_string(r) + ", cap = " + std::to_string(cap));
        expect_valid_and_sorted(g);
        EXPECT_EQ(edges_of(g),
                  brute_force(pos, gid, cap < 0 ? 0 : static_cast<size_t>(cap), r * r));
      }
    }
  }
}

TEST(RadiusGraph, StrictlyLessThanR) {
  // Lattice points at distance exactly 1 and 2 from the origin: r = 1 excludes them all.
  const at::Tensor pos =
      at::tensor({0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0}, at::kDouble)
          .reshape({4, 3});
  const at::Tensor gid = at::zeros({4}, kLongOpts);
  const Edges at_one = {{3, 0}, {0, 3}};  // only the coincident pair
  EXPECT_EQ(edges_of(radius_graph(pos, gid, 1, 1.0)), at_one);
  const Edges above_one = {{1, 0}, {3, 0}, {0, 1}, {3, 1}, {0, 3}, {1, 3}};
  EXPECT_EQ(edges_of(radius_graph(pos, gid, 1, 1.5)), above_one);
}

void expect_error(const std::function<void()>& fn, const std::string& part) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    return;
  }
  ADD_FAILURE() << "expected se3t::Error mentioning " << part;
}

TEST(Builders, RejectBadArguments) {
  const auto [pos, gid] = make_clouds({10, 5}, at::kFloat, 5);
  expect_error([&] { knn_graph(pos, gid, 2, 0); }, "knn_graph: k");
  expect_error([&] { radius_graph(pos, gid, 2, 0.0); }, "radius_graph: r");
  expect_error([&] { radius_graph(pos, gid, 2, -1.0); }, "radius_graph: r");
  expect_error([&] { radius_graph(pos, gid, 2, std::nan("")); }, "radius_graph: r");
  expect_error([&] { radius_graph(pos, gid, 2, INFINITY); }, "radius_graph: r");
  expect_error([&] { radius_graph(pos, gid, 2, 1.0, 0); }, "max_neighbours");
  at::Tensor bad = pos.clone();
  bad[3][2] = std::nan("");
  expect_error([&] { knn_graph(bad, gid, 2, 3); }, "knn_graph: pos");
  expect_error([&] { radius_graph(bad, gid, 2, 1.0); }, "radius_graph: pos");
  expect_error([&] { fully_connected_graph(bad, gid, 2); }, "fully_connected_graph: pos");
  expect_error([&] { knn_graph(pos, gid.flip(0), 2, 3); }, "knn_graph: graph_id");
  expect_error([&] { knn_graph(pos, gid, 1, 3); }, "knn_graph: graph_id");
  expect_error([&] { knn_graph(pos, gid.to(at::kInt), 2, 3); }, "knn_graph: graph_id");
  expect_error([&] { knn_graph(pos.slice(1, 0, 2), gid, 2, 3); }, "knn_graph: pos");
  expect_error([&] { fully_connected_graph(pos, gid.slice(0, 1), 2); },
               "fully_connected_graph: graph_id");
}

TEST(KnnGraph, ScalesToHundredThousandPoints) {
  at::Generator gen = testing::make_generator(6);
  const int64_t n = 100000, k = 16;
  const at::Tensor pos = at::rand({n, 3}, gen, at::kFloat) * 100.0;
  const at::Tensor gid = at::arange(n, kLongOpts).div(n / 4, "floor");  // 4 graphs of 25,000
  const GraphBatch g = knn_graph(pos, gid, 4, k);
  ASSERT_EQ(g.num_edges(), n * k);
  EXPECT_TRUE(at::equal(g.dst, at::arange(n, kLongOpts).repeat_interleave(k)));
  // Spot-check a few nodes against brute force over their graph.
  const at::Tensor p = pos.to(at::kDouble);
  for (int64_t i : {int64_t{0}, int64_t{31337}, n - 1}) {
    const int64_t start = (i / (n / 4)) * (n / 4);
    const at::Tensor block = p.slice(0, start, start + n / 4);
    const at::Tensor diff = block - p[i];
    at::Tensor d2 = diff.mul(diff).sum(1);
    d2[i - start] = INFINITY;
    const at::Tensor expected =
        std::get<0>(std::get<1>(d2.topk(k, 0, /*largest=*/false)).add(start).sort());
    EXPECT_TRUE(at::equal(g.src.slice(0, i * k, (i + 1) * k), expected)) << "node " << i;
  }
}

}  // namespace
}  // namespace se3t

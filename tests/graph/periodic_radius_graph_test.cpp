// Periodic radius graphs against brute force over replicated cells (cubic, skewed triclinic,
// thinner than the cutoff, mixed pbc, atoms outside the cell), self-images, lattice
// translations, the molecule case, and argument checks.
#include "se3t/graph/periodic_radius_graph.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <tuple>
#include <vector>

#include "common/expect_error.h"
#include "common/testing.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using Cell = std::array<std::array<double, 3>, 3>;
using Edge = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>;  // dst, src, n_a, n_b, n_c

struct System {
  Cell cell;
  std::array<bool, 3> pbc;
  at::Tensor pos;  // [n, 3] float64
};

std::vector<Edge> edges_of(const GraphBatch& g) {
  std::vector<Edge> out;
  const at::Tensor s = g.src.contiguous(), d = g.dst.contiguous(), m = g.edge_image.contiguous();
  for (int64_t e = 0; e < g.num_edges(); ++e) {
    const int64_t* n = m.data_ptr<int64_t>() + 3 * e;
    out.emplace_back(d.data_ptr<int64_t>()[e], s.data_ptr<int64_t>()[e], n[0], n[1], n[2]);
  }
  return out;
}

double width(const Cell& h, int k) {
  const auto& u = h[(k + 1) % 3];
  const auto& v = h[(k + 2) % 3];
  const double c[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                       u[0] * v[1] - u[1] * v[0]};
  const double vol = std::abs(h[k][0] * c[0] + h[k][1] * c[1] + h[k][2] * c[2]);
  return vol / std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
}

// Every (i, j, n) with n over a box of images wide enough for atoms up to `spread` cells
// outside the cell, in the builder's documented order and distance formula.
std::vector<Edge> brute_force(const System& s, double r, int64_t offset, int spread) {
  const at::Tensor p = s.pos.contiguous();
  const double* x = p.data_ptr<double>();
  const int64_t n = p.size(0);
  std::array<int, 3> m{};
  for (int k = 0; k < 3; ++k) {
    m[k] = s.pbc[k] ? static_cast<int>(std::ceil(r / width(s.cell, k))) + 2 * spread + 1 : 0;
  }
  std::vector<Edge> out;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      for (int a = -m[0]; a <= m[0]; ++a) {
        for (int b = -m[1]; b <= m[1]; ++b) {
          for (int c = -m[2]; c <= m[2]; ++c) {
            if (i == j && a == 0 && b == 0 && c == 0) continue;
            double d[3];
            for (int q = 0; q < 3; ++q) {
              const double shift = (a * s.cell[0][q] + b * s.cell[1][q]) + c * s.cell[2][q];
              d[q] = (x[3 * j + q] - x[3 * i + q]) + shift;
            }
            if ((d[0] * d[0] + d[1] * d[1]) + d[2] * d[2] < r * r) {
              out.emplace_back(i + offset, j + offset, a, b, c);
            }
          }
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// n atoms at fractional coordinates uniform in [-spread, 1 + spread) (so some lie outside
// the cell), flattened along non-periodic axes to [0, 1).
System make_system(const Cell& cell, std::array<bool, 3> pbc, int64_t n, int spread,
                   at::Generator& gen) {
  at::Tensor f = at::rand({n, 3}, gen, at::kDouble);
  for (int k = 0; k < 3; ++k) {
    if (pbc[k]) f.select(1, k).mul_(1 + 2 * spread).sub_(spread);
  }
  at::Tensor h = at::empty({3, 3}, at::kDouble);
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < 3; ++k) h[i][k] = cell[i][k];
  }
  return {cell, pbc, f.matmul(h)};
}

at::Tensor cell_tensor(const std::vector<System>& systems) {
  at::Tensor c = at::empty({static_cast<int64_t>(systems.size()), 3, 3}, at::kDouble);
  for (size_t g = 0; g < systems.size(); ++g) {
    for (int i = 0; i < 3; ++i) {
      for (int k = 0; k < 3; ++k) c[g][i][k] = systems[g].cell[i][k];
    }
  }
  return c;
}

at::Tensor pbc_tensor(const std::vector<System>& systems) {
  at::Tensor b = at::empty({static_cast<int64_t>(systems.size()), 3}, at::kBool);
  for (size_t g = 0; g < systems.size(); ++g) {
    for (int k = 0; k < 3; ++k) b[g][k] = systems[g].pbc[k];
  }
  return b;
}

GraphBatch build(const std::vector<System>& systems, double r) {
  std::vector<at::Tensor> pos, gid;
  for (size_t g = 0; g < systems.size(); ++g) {
    pos.push_back(systems[g].pos);
    gid.push_back(at::full({systems[g].pos.size(0)}, static_cast<int64_t>(g), at::kLong));
  }
  return periodic_radius_graph(at::cat(pos), at::cat(gid), static_cast<int64_t>(systems.size()),
                               cell_tensor(systems), pbc_tensor(systems), r);
}

const Cell kCubic = {{{5, 0, 0}, {0, 5, 0}, {0, 0, 5}}};
// Skewed: perpendicular widths about 3.3-3.8 A, below 2 r for r = 3.
const Cell kTriclinic = {{{4.0, 0.0, 0.0}, {2.5, 3.5, 0.0}, {-1.5, 1.0, 3.8}}};
const Cell kTiny = {{{1.5, 0, 0}, {0.3, 1.4, 0}, {0.2, -0.1, 1.6}}};

TEST(PeriodicRadiusGraph, MatchesBruteForceOverReplicatedCells) {
  at::Generator gen = testing::make_generator(161);
  const int spread = 1;
  const std::vector<System> systems = {
      make_system(kCubic, {true, true, true}, 40, spread, gen),
      make_system(kTriclinic, {true, true, true}, 24, spread, gen),
      make_system(kTriclinic, {true, true, false}, 24, spread, gen),
      make_system(kTiny, {true, true, true}, 3, spread, gen),  // cell thinner than r
      make_system(kTriclinic, {false, true, false}, 10, spread, gen),
      {kCubic, {true, true, true}, at::zeros({0, 3}, at::kDouble)},  // an empty graph
      make_system(kCubic, {false, false, false}, 12, 0, gen),        // a molecule
  };
  const double r = 3.0;
  const GraphBatch g = build(systems, r);
  EXPECT_NO_THROW(g.validate());
  std::vector<Edge> expected;
  int64_t offset = 0;
  for (const System& s : systems) {
    const std::vector<Edge> e = brute_force(s, r, offset, spread);
    expected.insert(expected.end(), e.begin(), e.end());
    offset += s.pos.size(0);
  }
  const std::vector<Edge> got = edges_of(g);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_EQ(got, expected);  // same edges in the same (sorted) order
  // The tiny cell has images of the atoms themselves, and of one neighbour several times.
  int64_t tiny_self = 0;
  for (const Edge& e : got) {
    if (std::get<0>(e) >= 88 && std::get<0>(e) < 91 && std::get<0>(e) == std::get<1>(e)) {
      ++tiny_self;
    }
  }
  EXPECT_GT(tiny_self, 3 * 6);
  // relative_positions applies the images: every edge is shorter than r.
  const at::Tensor x = g.relative_positions();
  EXPECT_LT(x.norm(2, 1).max().item<double>(), r);
}

TEST(PeriodicRadiusGraph, SelfImagesOfOneAtomInACubicCell) {
  // One atom, cubic cell of side 2, r = 2.5: the six face images at distance 2 (the twelve edge
  // images are at 2 sqrt 2 > 2.5).
  System s{Cell{{{2, 0, 0}, {0, 2, 0}, {0, 0, 2}}},
           {true, true, true},
           at::full({1, 3}, 0.3, at::kDouble)};
  const GraphBatch g = build({s}, 2.5);
  const std::vector<Edge> expected = {{0, 0, -1, 0, 0}, {0, 0, 0, -1, 0}, {0, 0, 0, 0, -1},
                                      {0, 0, 0, 0, 1},  {0, 0, 0, 1, 0},  {0, 0, 1, 0, 0}};
  EXPECT_EQ(edges_of(g), expected);
  EXPECT_NEAR((g.relative_positions().norm(2, 1) - 2.0).abs().max().item<double>(), 0, 1e-15);
  // Along a non-periodic c only the four images in the a-b plane remain.
  s.pbc = {true, true, false};
  EXPECT_EQ(build({s}, 2.5).num_edges(), 4);
}

// (dst, src) -> sorted lengths of its edges.
std::map<std::pair<int64_t, int64_t>, std::vector<double>> lengths(const GraphBatch& g) {
  std::map<std::pair<int64_t, int64_t>, std::vector<double>> out;
  const at::Tensor d = g.relative_positions().norm(2, 1).contiguous();
  const std::vector<Edge> e = edges_of(g);
  for (size_t k = 0; k < e.size(); ++k) {
    out[{std::get<0>(e[k]), std::get<1>(e[k])}].push_back(
        d[static_cast<int64_t>(k)].item<double>());
  }
  for (auto& kv : out) std::sort(kv.second.begin(), kv.second.end());
  return out;
}

TEST(PeriodicRadiusGraph, LatticeTranslationLeavesDistancesUnchanged) {
  at::Generator gen = testing::make_generator(162);
  System s = make_system(kTriclinic, {true, true, true}, 16, 0, gen);
  const auto before = lengths(build({s}, 3.2));
  // Atom 3 moved by a + 2b - c, atom 7 by -3a: the crystal is the same.
  for (int q = 0; q < 3; ++q) {
    s.pos[3][q] += kTriclinic[0][q] + 2 * kTriclinic[1][q] - kTriclinic[2][q];
    s.pos[7][q] -= 3 * kTriclinic[0][q];
  }
  const auto after = lengths(build({s}, 3.2));
  ASSERT_EQ(before.size(), after.size());
  for (const auto& [key, d] : before) {
    ASSERT_EQ(after.count(key), 1u);
    const std::vector<double>& e = after.at(key);
    ASSERT_EQ(d.size(), e.size());
    for (size_t k = 0; k < d.size(); ++k) EXPECT_NEAR(d[k], e[k], 1e-12);
  }
}

TEST(PeriodicRadiusGraph, MoleculeMatchesRadiusGraph) {
  at::Generator gen = testing::make_generator(163);
  const at::Tensor pos = at::rand({30, 3}, gen, at::kDouble) * 6;
  const at::Tensor gid = at::zeros({30}, at::kLong);
  const GraphBatch p = periodic_radius_graph(pos, gid, 1, at::zeros({1, 3, 3}, at::kDouble),
                                             at::zeros({1, 3}, at::kBool), 2.0);
  const GraphBatch q = radius_graph(pos, gid, 1, 2.0);
  EXPECT_TRUE(p.src.equal(q.src));
  EXPECT_TRUE(p.dst.equal(q.dst));
  EXPECT_EQ(p.edge_image.abs().sum().item<int64_t>(), 0);
}

TEST(PeriodicRadiusGraph, LargeBoxMatchesMinimumImageDegrees) {
  // 4000 atoms in a 34 A box (the cell list's regime: many bins); the degrees of a few atoms
  // against a minimum-image count.
  at::Generator gen = testing::make_generator(164);
  const double side = 34.0;
  const System s = make_system(Cell{{{side, 0, 0}, {0, side, 0}, {0, 0, side}}}, {true, true, true},
                               4000, 0, gen);
  const GraphBatch g = build({s}, 4.0);
  const at::Tensor deg = at::bincount(g.dst, {}, 4000);
  const double* x = s.pos.data_ptr<double>();
  for (int64_t i : {0, 1234, 3999}) {
    int64_t count = 0;
    for (int64_t j = 0; j < 4000; ++j) {
      double d2 = 0;
      for (int q = 0; q < 3; ++q) {
        double d = x[3 * j + q] - x[3 * i + q];
        d -= side * std::round(d / side);  // minimum image suffices: 2 r < side
        d2 += d * d;
      }
      if (j != i && d2 < 16.0) ++count;
    }
    EXPECT_EQ(deg[i].item<int64_t>(), count) << "atom " << i;
  }
}

TEST(PeriodicRadiusGraph, RejectsBadArguments) {
  using testing::expect_error;
  const at::Tensor pos = at::zeros({2, 3}, at::kDouble);
  const at::Tensor gid = at::zeros({2}, at::kLong);
  const at::Tensor cell = at::eye(3, at::kDouble).unsqueeze(0) * 4;
  const at::Tensor pbc = at::ones({1, 3}, at::kBool);
  auto call = [&](const at::Tensor& c, const at::Tensor& b, double r) {
    return [=] { periodic_radius_graph(pos, gid, 1, c, b, r); };
  };
  expect_error(call(cell, pbc, 0.0), {"periodic_radius_graph", "r"});
  expect_error(call(cell, pbc, NAN), {"periodic_radius_graph", "r"});
  expect_error(call(cell.squeeze(0), pbc, 1.0), {"periodic_radius_graph", "cell"});
  expect_error(call(cell * NAN, pbc, 1.0), {"periodic_radius_graph", "cell"});
  expect_error(call(cell, pbc.to(at::kLong), 1.0), {"periodic_radius_graph", "pbc", "bool"});
  expect_error(call(cell, at::ones({1, 2}, at::kBool), 1.0), {"periodic_radius_graph", "pbc"});
  at::Tensor flat = cell.clone();
  flat[0][2] = flat[0][0];  // c = a
  expect_error(call(flat, pbc, 1.0), {"periodic_radius_graph", "singular"});
  expect_error(call(cell * 1e-3, pbc, 100.0), {"periodic_radius_graph", "too thin"});
  // A flat cell is fine when that graph is not periodic at all.
  EXPECT_NO_THROW(call(flat, at::zeros({1, 3}, at::kBool), 1.0)());
}

}  // namespace
}  // namespace se3t

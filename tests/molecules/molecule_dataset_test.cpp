// Molecule data sets: splits, reference energies, standardisation, batching, vocabulary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "common/testing.h"
#include "se3t/data/molecule_dataset.h"
#include "se3t/graph/periodic_radius_graph.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

// A molecule of the given atomic numbers on a line (positions do not matter here).
Molecule make_molecule(std::vector<int> z, double energy) {
  Molecule m;
  m.numbers = std::move(z);
  for (size_t i = 0; i < m.numbers.size(); ++i) {
    m.positions.push_back({1.1 * static_cast<double>(i), 0.3 * static_cast<double>(i % 2), 0.0});
  }
  m.energy = energy;
  return m;
}

TEST(RandomSplit, SizesDisjointDeterministic) {
  const auto a = random_split(100, {60, 25, 15}, 7);
  const auto b = random_split(100, {60, 25, 15}, 7);
  const auto c = random_split(100, {60, 25, 15}, 8);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].size(), 60u);
  EXPECT_EQ(a[1].size(), 25u);
  EXPECT_EQ(a[2].size(), 15u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::set<int64_t> all;
  for (const auto& part : a) all.insert(part.begin(), part.end());
  EXPECT_EQ(all.size(), 100u);  // disjoint and covering
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), 99);
}

TEST(RandomSplit, PartialAndTooLarge) {
  const auto a = random_split(10, {3, 2}, 1);
  EXPECT_EQ(a[0].size() + a[1].size(), 5u);
  EXPECT_THROW(random_split(10, {8, 3}, 1), Error);
  EXPECT_THROW(random_split(10, {-1}, 1), Error);
}

TEST(RandomSplit, Qm7SizesFromTheShippedFile) {
  const auto p = random_split(7101, {5000, 1000, 1101}, 0);
  std::set<int64_t> all;
  for (const auto& part : p) all.insert(part.begin(), part.end());
  EXPECT_EQ(all.size(), 7101u);
}

TEST(EnergyStats, LeastSquaresRecoversElementEnergies) {
  // E = sum n_el e_el exactly: the fit must return e_el (the counts are full rank).
  const std::map<int, double> e = {{1, -0.5}, {6, -37.8}, {7, -54.6}, {8, -75.0}};
  std::vector<std::vector<int>> formulas = {{6, 1, 1, 1, 1}, {8, 1, 1},      {7, 1, 1, 1},
                                            {6, 8},          {6, 6, 1, 1},   {7, 7},
                                            {6, 7, 8, 1},    {8, 8, 1, 1, 6}};
  std::vector<Molecule> mols;
  for (const auto& f : formulas) {
    double energy = 0.0;
    for (int z : f) energy += e.at(z);
    mols.push_back(make_molecule(f, energy));
  }
  std::vector<int64_t> idx(mols.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  const ElementVocabulary vocab = ElementVocabulary::of(mols);
  ASSERT_EQ(vocab.numbers(), (std::vector<int>{1, 6, 7, 8}));
  const EnergyStats s = fit_energy_stats(mols, idx, vocab);
  for (size_t k = 0; k < s.elements.size(); ++k) {
    EXPECT_NEAR(s.reference[k], e.at(s.elements[k]), 1e-10) << "Z=" << s.elements[k];
  }
  EXPECT_NEAR(s.mean, 0.0, 1e-10);
  EXPECT_EQ(s.std, 1.0);  // zero residual spread keeps std 1 (no division by zero)
}

TEST(EnergyStats, FitUsesOnlyTheGivenIndicesAndStandardises) {
  std::vector<Molecule> mols;
  // Residuals 1, 2, 3, 4 over a reference of -10 per H, -20 per C; a last molecule outside
  // the training indices carries a wild energy that must not influence the fit.
  mols.push_back(make_molecule({1, 1}, -20.0 + 1.0));
  mols.push_back(make_molecule({6, 1}, -30.0 + 2.0));
  mols.push_back(make_molecule({6, 6}, -40.0 + 3.0));
  mols.push_back(make_molecule({6, 1, 1}, -40.0 + 4.0));
  mols.push_back(make_molecule({6}, 1e6));
  const ElementVocabulary vocab = ElementVocabulary::of(mols);
  const EnergyStats s = fit_energy_stats(mols, {0, 1, 2, 3}, vocab);
  // Check against the normal equations solved independently in float64.
  at::Tensor a = at::tensor({2., 0., 1., 1., 0., 2., 2., 1.}, at::kDouble).view({4, 2});
  at::Tensor b = at::tensor({-19., -28., -37., -36.}, at::kDouble);
  const at::Tensor x = at::linalg_solve(a.t().matmul(a), a.t().matmul(b));
  EXPECT_NEAR(s.reference[0], x[0].item<double>(), 1e-9);
  EXPECT_NEAR(s.reference[1], x[1].item<double>(), 1e-9);
  const at::Tensor r = b - a.matmul(x);
  EXPECT_NEAR(s.mean, r.mean().item<double>(), 1e-9);
  EXPECT_NEAR(s.std, r.std(false).item<double>(), 1e-9);
  // Round trip of the standardisation, and through the text form.
  const EnergyStats t = EnergyStats::from_text(s.to_text());
  for (const Molecule& m : mols) {
    const double y = s.standardise(m, m.energy);
    EXPECT_NEAR(s.destandardise(m, y), m.energy, 1e-9 * std::max(1.0, std::abs(m.energy)));
    EXPECT_EQ(t.standardise(m, m.energy), y);  // text form reproduces the doubles exactly
  }
  // Residuals of the training molecules have mean 0 and std 1 after standardisation.
  double sum = 0.0, sq = 0.0;
  for (int i = 0; i < 4; ++i) {
    const double y = s.standardise(mols[i], mols[i].energy);
    sum += y;
    sq += y * y;
  }
  EXPECT_NEAR(sum / 4.0, 0.0, 1e-12);
  EXPECT_NEAR(sq / 4.0, 1.0, 1e-12);
}

TEST(EnergyStats, WithoutReferenceStandardisesTheEnergy) {
  std::vector<Molecule> mols = {make_molecule({1}, 1.0), make_molecule({1, 1}, 3.0)};
  const EnergyStats s = fit_energy_stats(mols, {0, 1}, ElementVocabulary::of(mols), false);
  EXPECT_EQ(s.reference, (std::vector<double>{0.0}));
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.std, 1.0);
  EXPECT_THROW(EnergyStats::from_text("mean = 1\nstd = 0\n"), Error);
  EXPECT_THROW(EnergyStats::from_text("mean = 1\nstd = 1\nbogus = 2\n"), Error);
}

TEST(Vocabulary, UnknownElementIsAClearError) {
  const ElementVocabulary v({8, 1, 6, 1});
  EXPECT_EQ(v.numbers(), (std::vector<int>{1, 6, 8}));
  EXPECT_EQ(v.index(6), 1);
  try {
    (void)v.index(16);
    FAIL() << "no error for sulfur";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("element S"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not seen in training"), std::string::npos) << msg;
  }
  std::vector<Molecule> mols = {make_molecule({6, 16, 1}, 0.0)};
  mols[0].name = "thiol";
  try {
    v.check_known(mols, "test.extxyz");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("test.extxyz"), std::string::npos) << msg;
    EXPECT_NE(msg.find("thiol"), std::string::npos) << msg;
    EXPECT_NE(msg.find("atom 2"), std::string::npos) << msg;
  }
}

TEST(MoleculeBatch, FullyConnectedAndRadius) {
  std::vector<Molecule> mols = {make_molecule({6, 1, 1}, -1.0), make_molecule({8, 1}, -2.0)};
  mols[1].forces = {{1, 2, 3}, {4, 5, 6}};
  const ElementVocabulary vocab = ElementVocabulary::of(mols);
  const MoleculeBatch b = make_molecule_batch(mols, {1, 0}, vocab, 0.0, at::kFloat);
  EXPECT_EQ(b.graph.num_graphs, 2);
  EXPECT_EQ(b.graph.num_nodes(), 5);
  EXPECT_EQ(b.graph.num_edges(), 2 * 1 + 3 * 2);
  EXPECT_EQ(b.graph.pos.scalar_type(), at::kFloat);
  EXPECT_FALSE(b.forces.defined());  // molecule 0 has none
  // One-hot rows and counts: molecule 1 (O, H) first.
  EXPECT_TRUE(at::equal(b.one_hot[0], at::tensor({0.f, 0.f, 1.f})));
  EXPECT_TRUE(at::equal(b.counts, at::tensor({1., 0., 1., 2., 1., 0.}, at::kDouble).view({2, 3})));
  EXPECT_TRUE(at::equal(b.energy, at::tensor({-2.0, -1.0}, at::kDouble)));
  // Radius 1.5 A: atoms 1.1 A apart (neighbours on the line) are connected, 2.2 A apart not.
  const MoleculeBatch r = make_molecule_batch(mols, {0}, vocab, 1.5, at::kDouble);
  EXPECT_EQ(r.graph.num_edges(), 4);
  const MoleculeBatch f = make_molecule_batch(mols, {1}, vocab, 0.0, at::kDouble);
  ASSERT_TRUE(f.forces.defined());
  EXPECT_EQ(f.forces[1][2].item<double>(), 6.0);
}

TEST(MoleculeBatch, PeriodicFramesGetThePeriodicGraph) {
  // A two-atom crystal (cell thinner than 2 r along a) read from extended XYZ, batched with a
  // molecule: the crystal keeps its coordinates and cell, the molecule is centred, zero cell.
  std::istringstream in(
      "2\nLattice=\"2.5 0 0 0.5 4 0 0 0.3 4.5\" pbc=\"T T F\" Properties=species:S:1:pos:R:3 "
      "energy=-3\nO 0.1 0.2 0.3\nH 1.0 0.4 0.9\n");
  std::vector<Molecule> mols = molecules_from_frames(read_extxyz(in, "crystal"), "energy", "t");
  ASSERT_TRUE(mols[0].periodic());
  mols.push_back(make_molecule({8, 1}, -2.0));
  const ElementVocabulary vocab = ElementVocabulary::of(mols);
  const double cutoff = 3.0;
  const MoleculeBatch b = make_molecule_batch(mols, {1, 0}, vocab, cutoff, at::kDouble);
  ASSERT_TRUE(b.graph.periodic());
  EXPECT_NO_THROW(b.graph.validate());
  const at::Tensor cell =
      at::tensor({2.5, 0.0, 0.0, 0.5, 4.0, 0.0, 0.0, 0.3, 4.5}, at::kDouble).view({3, 3});
  EXPECT_TRUE(at::equal(b.graph.cell[1], cell));
  EXPECT_EQ(b.graph.cell[0].abs().sum().item<double>(), 0.0);
  const at::Tensor crystal = at::tensor({0.1, 0.2, 0.3, 1.0, 0.4, 0.9}, at::kDouble).view({2, 3});
  EXPECT_TRUE(at::equal(b.graph.pos.slice(0, 2, 4), crystal));  // not centred
  EXPECT_NEAR(b.graph.pos.slice(0, 0, 2).sum(0).abs().max().item<double>(), 0.0, 1e-15);
  // The crystal's edges are those of the periodic builder on its own (nodes offset by 2).
  const GraphBatch alone =
      periodic_radius_graph(crystal, at::zeros({2}, at::kLong), 1, cell.unsqueeze(0),
                            at::tensor({1, 1, 0}).to(at::kBool).view({1, 3}), cutoff);
  ASSERT_GT(alone.num_edges(), 2);  // images of the atoms themselves along a
  const at::Tensor in_crystal = b.graph.dst >= 2;
  EXPECT_TRUE(at::equal(b.graph.src.masked_select(in_crystal) - 2, alone.src));
  EXPECT_TRUE(at::equal(b.graph.dst.masked_select(in_crystal) - 2, alone.dst));
  EXPECT_TRUE(at::equal(b.graph.edge_image.index_select(0, in_crystal.nonzero().squeeze(1)),
                        alone.edge_image));
  // The molecule's edges have no image; it alone gives the non-periodic graph as before.
  EXPECT_EQ(b.graph.edge_image.index_select(0, (~in_crystal).nonzero().squeeze(1))
                .abs()
                .sum()
                .item<int64_t>(),
            0);
  EXPECT_FALSE(make_molecule_batch(mols, {1}, vocab, cutoff, at::kDouble).graph.periodic());
  // Fully connected graphs have no images.
  try {
    make_molecule_batch(mols, {0}, vocab, 0.0, at::kDouble);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("periodic"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cutoff"), std::string::npos) << e.what();
  }
}

TEST(LoadMolecules, Qm7FileAndErrors) {
  const std::string path = testing::source_dir() + "/data/qm7/qm7.extxyz";
  const std::vector<Molecule> mols = load_molecules(path, "energy");
  ASSERT_EQ(mols.size(), 7101u);
  EXPECT_EQ(ElementVocabulary::of(mols).numbers(), (std::vector<int>{1, 6, 7, 8, 16}));
  EXPECT_NEAR(mols[0].energy, -417.031, 1e-9);
  EXPECT_THROW(load_molecules(path, "no_such_key"), Error);
  EXPECT_THROW(load_molecules(path + ".missing", "energy"), Error);
  EXPECT_THROW(load_qm9_directory(testing::source_dir() + "/no_such_dir", "homo"), Error);
}

}  // namespace
}  // namespace se3t

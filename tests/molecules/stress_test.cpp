// Stress by autograd through a strain: equal to ASE's central differences of the energy under
// strain (float64), in ASE's sign and Voigt order; forces as energy_and_forces gives them;
// sigma rotates as R sigma R^T; molecules beside crystals get zero rows; error paths.
#include "se3t/models/stress.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "common/expect_error.h"
#include "common/molecule_testing.h"
#include "common/testing.h"
#include "se3t/so3/rotation.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::all_of;
using testing::make_model;
using testing::small_options;

// Two small crystals (one periodic in a and b only), cells about 2.8-3.3 A thick so that with
// a 3 A cutoff atoms neighbour their own images, then a molecule.
std::vector<Molecule> crystals_and_a_molecule() {
  at::Generator gen = testing::make_generator(171);
  const std::array<Cell, 2> cells = {Cell{{{3.1, 0.0, 0.0}, {0.7, 2.9, 0.0}, {-0.4, 0.5, 3.3}}},
                                     Cell{{{3.4, 0.2, 0.0}, {-0.6, 3.0, 0.1}, {0.3, -0.2, 3.6}}}};
  const std::array<std::array<bool, 3>, 2> pbc = {{{true, true, true}, {true, true, false}}};
  const std::vector<std::vector<int>> numbers = {{8, 1, 1, 6}, {6, 8, 1, 1, 1}, {6, 1, 1}};
  std::vector<Molecule> mols;
  for (size_t m = 0; m < numbers.size(); ++m) {
    Molecule mol;
    mol.numbers = numbers[m];
    mol.energy = -10.0 * static_cast<double>(mol.numbers.size()) + static_cast<double>(m);
    const at::Tensor f = at::rand({mol.size(), 3}, gen, at::kDouble);
    for (int64_t a = 0; a < mol.size(); ++a) {
      std::array<double, 3> x{};
      for (int d = 0; d < 3; ++d) {
        if (m < 2) {
          for (int k = 0; k < 3; ++k) x[d] += f[a][k].item<double>() * cells[m][k][d];
        } else {
          x[d] = 2.0 * f[a][d].item<double>();
        }
      }
      mol.positions.push_back(x);
    }
    if (m < 2) {
      mol.cell = cells[m];
      mol.pbc = pbc[m];
    }
    mols.push_back(mol);
  }
  return mols;
}

MoleculeModel crystal_model(const std::vector<Molecule>& mols, bool attention) {
  MoleculeModelOptions o = small_options(attention, "sum", 6);
  o.cutoff = 3.0;
  return make_model(mols, o);
}

// Energies [G] with the batch's positions and cells strained by x' = x (I + s), same edges.
at::Tensor strained_energy(MoleculeModelImpl& model, const MoleculeBatch& b, const at::Tensor& s) {
  MoleculeBatch p = b;
  p.graph.pos = b.graph.pos + b.graph.pos.matmul(s);
  p.graph.cell = b.graph.cell + b.graph.cell.matmul(s);
  torch::NoGradGuard ng;
  return model.energy(p);
}

class StressTest : public ::testing::TestWithParam<bool> {};

TEST_P(StressTest, EqualsAseCentralDifferencesOfTheEnergyUnderStrain) {
  const std::vector<Molecule> mols = crystals_and_a_molecule();
  MoleculeModel model = crystal_model(mols, GetParam());
  const MoleculeBatch b = model->batch(mols, all_of(mols));
  ASSERT_TRUE(b.graph.periodic());
  // Self-images are present, so the cell's own strain matters, not only the positions'.
  ASSERT_TRUE(b.graph.src.eq(b.graph.dst).any().item<bool>());
  const EnergyForcesStress efs = energy_forces_stress(*model, b, false);
  ASSERT_EQ(efs.stress.sizes(), (at::IntArrayRef{3, 6}));
  // ase.calculators.calculator.calculate_numerical_stress, component by component, in its
  // Voigt order: diagonal (E(+h) - E(-h)) / (2 h V), shear x[i, j] = x[j, i] = h over 4 h V.
  const double h = 1e-5;
  const int voigt[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};
  const at::Tensor volume = at::linalg_det(b.graph.cell.slice(0, 0, 2)).abs();
  at::Tensor fd = at::zeros({2, 6}, at::kDouble);
  for (int k = 0; k < 6; ++k) {
    const int i = voigt[k][0], j = voigt[k][1];
    at::Tensor s = at::zeros({3, 3}, at::kDouble);
    s[i][j] = h;
    s[j][i] = h;
    const at::Tensor de = strained_energy(*model, b, s) - strained_energy(*model, b, -s);
    fd.select(1, k).copy_(de.slice(0, 0, 2) / ((i == j ? 2 : 4) * h * volume));
  }
  const double scale = fd.abs().max().item<double>();
  ASSERT_GT(scale, 1e-4);  // a stress-free model would pass trivially
  EXPECT_LT(testing::max_abs_diff(efs.stress.slice(0, 0, 2), fd), 1e-6 * scale)
      << efs.stress << "\n"
      << fd;
  EXPECT_EQ(efs.stress[2].abs().sum().item<double>(), 0.0);  // the molecule
  // Energies and forces as energy_and_forces gives them.
  const EnergyForces ef = model->energy_and_forces(b, false);
  EXPECT_LT(testing::max_abs_diff(efs.energy, ef.energy), 1e-10);
  EXPECT_LT(testing::max_abs_diff(efs.forces, ef.forces), 1e-10);
}

TEST_P(StressTest, RotatesAsATensor) {
  std::vector<Molecule> mols = crystals_and_a_molecule();
  MoleculeModel model = crystal_model(mols, GetParam());
  const EnergyForcesStress a =
      energy_forces_stress(*model, model->batch(mols, all_of(mols)), false);
  at::Generator gen = testing::make_generator(172);
  const at::Tensor r = random_rotation(1, at::TensorOptions().dtype(at::kDouble), gen)[0];
  const auto rotate = [&](std::array<double, 3>& v) {
    std::array<double, 3> w{};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) w[i] += r[i][j].item<double>() * v[j];
    }
    v = w;
  };
  for (Molecule& m : mols) {
    for (auto& x : m.positions) rotate(x);
    if (m.cell) {
      for (auto& row : *m.cell) rotate(row);
    }
  }
  const EnergyForcesStress b =
      energy_forces_stress(*model, model->batch(mols, all_of(mols)), false);
  const at::Tensor expected = at::matmul(at::matmul(r, stress_from_voigt(a.stress)), r.t());
  EXPECT_LT(testing::max_abs_diff(stress_from_voigt(b.stress), expected),
            1e-9 * a.stress.abs().max().item<double>());
  EXPECT_LT(testing::max_abs_diff(b.energy, a.energy), 1e-9);
}

INSTANTIATE_TEST_SUITE_P(AttentionAndTfn, StressTest, ::testing::Values(true, false));

TEST(Stress, VoigtOrderAndErrors) {
  const at::Tensor m =
      at::tensor({1.0, 6.0, 5.0, 6.0, 2.0, 4.0, 5.0, 4.0, 3.0}, at::kDouble).view({3, 3});
  EXPECT_TRUE(
      at::equal(stress_to_voigt(m), at::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, at::kDouble)));
  EXPECT_TRUE(at::equal(stress_from_voigt(stress_to_voigt(m)), m));
  using testing::expect_error;
  expect_error([] { stress_to_voigt(at::zeros({3, 2})); }, {"stress_to_voigt"});
  expect_error([] { stress_from_voigt(at::zeros({5})); }, {"stress_from_voigt"});
  const std::vector<Molecule> mols = testing::random_molecules(2, 5);
  MoleculeModel model = make_model(mols, small_options(false, "sum"));
  expect_error([&] { energy_forces_stress(*model, model->batch(mols, all_of(mols)), false); },
               {"energy_forces_stress", "no cell"});
}

}  // namespace
}  // namespace se3t

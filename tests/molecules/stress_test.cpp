// Stress by autograd through a strain: equal to ASE's central differences of the energy under
// strain (float64), in ASE's sign and Voigt order; forces as energy_and_forces gives them;
// sigma rotates as R sigma R^T; molecules beside crystals get zero rows; error paths. Then the
// data's stress targets, the loss term, the metrics and the predicted frames.
#include "se3t/models/stress.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <sstream>

#include "common/expect_error.h"
#include "common/molecule_testing.h"
#include "common/testing.h"
#include "se3t/data/extxyz.h"
#include "se3t/models/molecule_ensemble.h"
#include "se3t/so3/rotation.h"
#include "se3t/tasks/molecule_evaluate.h"
#include "se3t/tasks/molecule_loss.h"
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

// The two crystals with stress targets (Voigt), for the loss and the metrics.
std::vector<Molecule> crystals_with_stress() {
  std::vector<Molecule> mols = crystals_and_a_molecule();
  mols.pop_back();
  mols[0].stress = std::array<double, 6>{0.5, -0.25, 0.125, 0.03, -0.02, 0.01};
  mols[1].stress = std::array<double, 6>{-1.0, 0.75, 0.5, -0.1, 0.2, -0.3};
  return mols;
}

TEST(StressData, ReadsAseStressFromExtendedXyz) {
  const std::string lattice = "Lattice=\"3 0 0 0 3 0 0 0 3\" Properties=species:S:1:pos:R:3 e=1 ";
  const auto frames = [&](const std::string& keys) {
    std::istringstream in("1\n" + lattice + keys + "\nH 0 0 0\n");
    return read_extxyz(in, "s.extxyz");
  };
  // 3x3 as ASE writes it (symmetric), and Voigt xx yy zz yz xz xy.
  const std::vector<Molecule> full =
      molecules_from_frames(frames("stress=\"1 6 5 6 2 4 5 4 3\""), "e", "s");
  ASSERT_TRUE(full[0].stress.has_value());
  EXPECT_EQ(*full[0].stress, (std::array<double, 6>{1, 2, 3, 4, 5, 6}));
  const std::vector<Molecule> voigt =
      molecules_from_frames(frames("stress=\"1 2 3 4 5 6\""), "e", "s");
  EXPECT_EQ(*voigt[0].stress, (std::array<double, 6>{1, 2, 3, 4, 5, 6}));
  EXPECT_FALSE(molecules_from_frames(frames(""), "e", "s")[0].stress.has_value());
  using testing::expect_error;
  expect_error([&] { molecules_from_frames(frames("stress=\"1 2 3\""), "e", "s"); },
               {"frame 1", "stress has 3 values"});
  expect_error([&] { molecules_from_frames(frames("stress=\"1 2 3 4 5 x\""), "e", "s"); },
               {"frame 1", "'x'"});
  expect_error([&] { molecules_from_frames(frames("stress=\"1 6 5 7 2 4 5 4 3\""), "e", "s"); },
               {"frame 1", "not symmetric"});
  std::istringstream molecule(
      "1\nProperties=species:S:1:pos:R:3 e=1 stress=\"1 2 3 4 5 6\"\nH 0 0 0\n");
  expect_error([&] { molecules_from_frames(read_extxyz(molecule, "m"), "e", "s"); },
               {"frame 1", "no periodic cell"});
}

TEST(StressTraining, LossTermIsTheStandardisedVirialError) {
  const std::vector<Molecule> mols = crystals_with_stress();
  MoleculeModel model = crystal_model(mols, false);
  const MoleculeBatch b = model->batch(mols, all_of(mols));
  ASSERT_TRUE(b.stress.defined());
  MoleculeLoss loss;
  loss.energy_weight = 0.0;
  loss.stress_weight = 2.0;
  const at::Tensor l = molecule_loss(*model, b, loss, true);
  // Independently: 2 mean |(sigma_pred - sigma) V / std| over frames and Voigt components.
  const EnergyForcesStress efs = energy_forces_stress(*model, b, false);
  const at::Tensor volume = at::linalg_det(b.graph.cell).abs().unsqueeze(1);
  const double expected =
      2.0 * ((efs.stress - b.stress) * volume / model->stats().std).abs().mean().item<double>();
  EXPECT_NEAR(l.item<double>(), expected, 1e-10 * expected);
  // The term trains the parameters (its graph reaches them through the strain derivative).
  model->zero_grad();
  l.backward();
  double grad = 0.0;
  for (const auto& p : model->parameters()) {
    if (p.grad().defined()) grad += p.grad().abs().sum().item<double>();
  }
  EXPECT_GT(grad, 0.0);
  // A batch without stress targets is refused.
  std::vector<Molecule> bare = mols;
  bare[1].stress.reset();
  testing::expect_error(
      [&] { molecule_loss(*model, model->batch(bare, all_of(bare)), loss, true); },
      {"stress training needs a stress"});
}

TEST(StressTraining, MetricsAndPredictions) {
  const std::vector<Molecule> mols = crystals_with_stress();
  MoleculeModel model = crystal_model(mols, true);
  const EnergyForcesStress efs =
      energy_forces_stress(*model, model->batch(mols, all_of(mols)), false);
  const at::Tensor target = model->batch(mols, all_of(mols)).stress;
  // se3t eval's path (an ensemble of one): stress MAE per Voigt component.
  const MoleculeEnsemble ensemble({model});
  const MoleculeMetrics m = evaluate_molecules(ensemble, mols, false);
  EXPECT_NEAR(m.stress_mae, (efs.stress - target).abs().mean().item<double>(), 1e-12);
  EXPECT_NEAR(m.stress_rmse, (efs.stress - target).square().mean().sqrt().item<double>(), 1e-12);
  EXPECT_TRUE(std::isnan(m.force_mae));
  // The training pass's metrics agree.
  MoleculeLoss loss;
  loss.stress_weight = 1.0;
  const MoleculeMetrics t = evaluate_molecules(*model, mols, loss, true);
  EXPECT_NEAR(t.stress_mae, m.stress_mae, 1e-12);
  // se3t predict: the stress as ASE writes it (3x3), the old value kept as stress_ref.
  std::vector<Frame> frames(2);
  for (int j = 0; j < 2; ++j) {
    for (int64_t a = 0; a < mols[j].size(); ++a) {
      frames[j].species.push_back(mols[j].numbers[a] == 1   ? "H"
                                  : mols[j].numbers[a] == 6 ? "C"
                                                            : "O");
    }
    frames[j].positions = mols[j].positions;
    frames[j].cell = mols[j].cell;
    frames[j].pbc = mols[j].pbc;
    frames[j].info["stress"] = "1 2 3 4 5 6";
  }
  const std::vector<Frame> out = predict_frames(ensemble, frames, true);
  const std::vector<Molecule> back = molecules_from_frames(out, "energy", "predicted");
  for (int j = 0; j < 2; ++j) {
    EXPECT_EQ(out[j].info.at("stress_ref"), "1 2 3 4 5 6");
    ASSERT_TRUE(back[j].stress.has_value());
    for (int k = 0; k < 6; ++k) {
      EXPECT_NEAR((*back[j].stress)[k], efs.stress[j][k].item<double>(), 1e-12);
    }
    EXPECT_NEAR(*out[j].number("energy"), efs.energy[j].item<double>(), 1e-9);
  }
}

}  // namespace
}  // namespace se3t

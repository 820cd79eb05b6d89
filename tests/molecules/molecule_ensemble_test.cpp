// Molecule ensembles: the prediction is the members' mean and the spread their standard
// deviation (computed here member by member), energies stay invariant and forces rotate,
// metrics match errors computed by hand, frames carry energy_std, bad input is an error.
#include <gtest/gtest.h>

#include <cmath>

#include "common/molecule_testing.h"
#include "common/testing.h"
#include "se3t/data/elements.h"
#include "se3t/models/molecule_ensemble.h"
#include "se3t/so3/rotation.h"
#include "se3t/tasks/molecule_evaluate.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::all_of;
using testing::make_model;
using testing::random_molecules;
using testing::small_options;

// Three members from different seeds; the second is a TFN with a Gaussian radial basis, so
// members of different architectures are covered.
std::vector<MoleculeModel> members(const std::vector<Molecule>& mols) {
  return {make_model(mols, small_options(true, "sum"), at::kDouble, 1),
          make_model(mols, small_options(false, "sum", 6), at::kDouble, 2),
          make_model(mols, small_options(true, "sum"), at::kDouble, 3)};
}

TEST(MoleculeEnsemble, MeanAndSpreadOfTheMembers) {
  const std::vector<Molecule> mols = random_molecules(5, 21);
  const std::vector<MoleculeModel> models = members(mols);
  const MoleculeEnsemble ensemble(models);
  ASSERT_EQ(ensemble.size(), 3);
  const EnsemblePrediction p = ensemble.predict(mols, {1, 3, 4}, /*forces=*/true);
  std::vector<EnergyForces> each;
  for (MoleculeModel m : models) {
    each.push_back(m->energy_and_forces(m->batch(mols, {1, 3, 4}), false));
  }
  for (int64_t g = 0; g < 3; ++g) {
    double mean = 0.0, var = 0.0;
    for (const EnergyForces& ef : each) mean += ef.energy[g].item<double>() / 3.0;
    for (const EnergyForces& ef : each) var += std::pow(ef.energy[g].item<double>() - mean, 2) / 3;
    EXPECT_NEAR(p.energy[g].item<double>(), mean, 1e-10);
    EXPECT_NEAR(p.energy_std[g].item<double>(), std::sqrt(var), 1e-10);
    EXPECT_GT(std::sqrt(var), 1e-6);  // the members differ, or the test would be trivial
  }
  const at::Tensor f = (each[0].forces + each[1].forces + each[2].forces) / 3.0;
  ASSERT_TRUE(p.forces.defined());
  EXPECT_LT(testing::max_abs_diff(p.forces, f), 1e-12);
  // Without forces: the same energies, no forces.
  const EnsemblePrediction e = ensemble.predict(mols, {1, 3, 4}, false);
  EXPECT_LT(testing::max_abs_diff(e.energy, p.energy), 1e-10);
  EXPECT_FALSE(e.forces.defined());
  // One member: its own prediction, zero spread.
  const MoleculeEnsemble one({models[1]});
  const EnsemblePrediction q = one.predict(mols, {1, 3, 4}, true);
  EXPECT_LT(testing::max_abs_diff(q.energy, each[1].energy), 1e-12);
  EXPECT_EQ(q.energy_std.abs().max().item<double>(), 0.0);
  EXPECT_LT(testing::max_abs_diff(q.forces, each[1].forces), 1e-12);
}

TEST(MoleculeEnsemble, EnergyInvariantForcesRotate) {
  const std::vector<Molecule> mols = random_molecules(4, 22);
  const MoleculeEnsemble ensemble(members(mols));
  const EnsemblePrediction p = ensemble.predict(mols, all_of(mols), true);
  ASSERT_GT(p.forces.abs().max().item<double>(), 1e-6);
  at::Generator g = testing::make_generator(23);
  for (int trial = 0; trial < 2; ++trial) {
    const at::Tensor R = random_rotation(1, at::kDouble, g)[0];
    const at::Tensor t = at::randn({3}, g, at::kDouble) * 5.0;
    std::vector<Molecule> moved = mols;
    for (Molecule& m : moved) {
      for (auto& x : m.positions) {
        const at::Tensor y = R.matmul(at::tensor({x[0], x[1], x[2]}, at::kDouble)) + t;
        for (int d = 0; d < 3; ++d) x[d] = y[d].item<double>();
      }
    }
    const EnsemblePrediction r = ensemble.predict(moved, all_of(moved), true);
    EXPECT_LT(testing::max_abs_diff(r.energy, p.energy) / p.energy.abs().max().item<double>(),
              1e-10);
    EXPECT_LT(testing::max_abs_diff(r.energy_std, p.energy_std), 1e-8);
    EXPECT_LT(testing::relative_error(r.forces, p.forces.matmul(R.t())), 1e-9);
  }
}

TEST(MoleculeEnsemble, MembersWithOtherVocabularies) {
  // A member that has also seen nitrogen predicts H/C/O molecules like the others; a molecule
  // with nitrogen is an error naming the element for the members that have not.
  const std::vector<Molecule> mols = random_molecules(4, 24);
  std::vector<Molecule> with_n = random_molecules(4, 25);
  with_n[2].numbers[3] = 7;
  MoleculeModel a = make_model(mols, small_options(true, "sum"), at::kDouble, 4);
  MoleculeModel b = make_model(with_n, small_options(true, "sum"), at::kDouble, 5);
  ASSERT_EQ(b->vocabulary().size(), 4);
  const MoleculeEnsemble ensemble({a, b});
  torch::NoGradGuard ng;
  const at::Tensor ea = a->energy(a->batch(mols, all_of(mols)));
  const at::Tensor eb = b->energy(b->batch(mols, all_of(mols)));
  const EnsemblePrediction p = ensemble.predict(mols, all_of(mols), false);
  EXPECT_LT(testing::max_abs_diff(p.energy, (ea + eb) / 2.0), 1e-10);
  try {
    ensemble.predict(with_n, {2}, false);
    FAIL() << "no error for N";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("N"), std::string::npos) << e.what();
  }
}

TEST(MoleculeEnsemble, MetricsEqualErrorsComputedByHand) {
  std::vector<Molecule> mols = random_molecules(7, 26);
  at::Generator g = testing::make_generator(27);
  for (Molecule& m : mols) {  // reference forces, so that the force metrics are defined
    const at::Tensor f = at::randn({m.size(), 3}, g, at::kDouble);
    for (int64_t a = 0; a < m.size(); ++a) {
      m.forces.push_back({f[a][0].item<double>(), f[a][1].item<double>(), f[a][2].item<double>()});
    }
  }
  const MoleculeEnsemble ensemble(members(mols));
  const EnsemblePrediction p = ensemble.predict(mols, all_of(mols), true);
  double ae = 0.0, se = 0.0, af = 0.0, sf = 0.0, spread = 0.0;
  int64_t row = 0, atoms = 0;
  for (size_t i = 0; i < mols.size(); ++i) {
    const double d = p.energy[i].item<double>() - mols[i].energy;
    ae += std::abs(d);
    se += d * d;
    spread += p.energy_std[i].item<double>();
    for (const auto& f : mols[i].forces) {
      for (int k = 0; k < 3; ++k) {
        const double df = p.forces[row][k].item<double>() - f[k];
        af += std::abs(df);
        sf += df * df;
      }
      ++row;
      ++atoms;
    }
  }
  const double n = static_cast<double>(mols.size());
  // Batches of 3 (a last batch of 1) against one batch of 7 above.
  const MoleculeMetrics m = evaluate_molecules(ensemble, mols, true, 3);
  EXPECT_EQ(m.num_molecules, 7);
  EXPECT_EQ(m.num_atoms, atoms);
  EXPECT_NEAR(m.energy_mae, ae / n, 1e-9);
  EXPECT_NEAR(m.energy_rmse, std::sqrt(se / n), 1e-9);
  EXPECT_NEAR(m.force_mae, af / (3.0 * static_cast<double>(atoms)), 1e-9);
  EXPECT_NEAR(m.force_rmse, std::sqrt(sf / (3.0 * static_cast<double>(atoms))), 1e-9);
  EXPECT_NEAR(m.energy_std, spread / n, 1e-9);
  EXPECT_TRUE(std::isnan(m.loss));
  // A one-member ensemble has the single model's errors.
  MoleculeModel model = ensemble.members()[0];
  const MoleculeMetrics single = evaluate_molecules(*model, mols, MoleculeLoss{}, true, 7);
  const MoleculeMetrics one = evaluate_molecules(MoleculeEnsemble({model}), mols, true, 2);
  EXPECT_NEAR(one.energy_mae, single.energy_mae, 1e-9);
  EXPECT_NEAR(one.force_rmse, single.force_rmse, 1e-9);
  EXPECT_EQ(one.energy_std, 0.0);
  // Force metrics need reference forces.
  std::vector<Molecule> no_forces = mols;
  no_forces[3].forces.clear();
  EXPECT_THROW(evaluate_molecules(ensemble, no_forces, true, 7), Error);
  EXPECT_THROW(evaluate_molecules(ensemble, mols, false, 0), Error);
}

TEST(MoleculeEnsemble, FramesCarryTheSpreadAndErrors) {
  const std::vector<Molecule> mols = random_molecules(3, 28);
  std::vector<Frame> frames;
  for (const Molecule& m : mols) {
    Frame f;
    for (int z : m.numbers) f.species.push_back(element_symbol(z));
    f.positions = m.positions;
    frames.push_back(f);
  }
  const MoleculeEnsemble ensemble(members(mols));
  const EnsemblePrediction p = ensemble.predict(mols, all_of(mols), false);
  const std::vector<Frame> out = predict_frames(ensemble, frames, false, 2, "test");
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_NEAR(*out[i].number("energy"), p.energy[i].item<double>(), 1e-9);
    EXPECT_NEAR(*out[i].number("energy_std"), p.energy_std[i].item<double>(), 1e-9);
    EXPECT_FALSE(out[i].has_forces());
  }
  // One member writes no spread, and drops a stale one.
  const std::vector<Frame> again =
      predict_frames(MoleculeEnsemble({ensemble.members()[0]}), out, false, 2, "test");
  EXPECT_FALSE(again[0].number("energy_std").has_value());
  // Errors: no members, an undefined member, no paths, a missing file.
  EXPECT_THROW(MoleculeEnsemble(std::vector<MoleculeModel>{}), Error);
  EXPECT_THROW(MoleculeEnsemble({MoleculeModel(nullptr)}), Error);
  EXPECT_THROW(load_molecule_ensemble({}), Error);
  EXPECT_THROW(load_molecule_ensemble({"/nonexistent/se3t_model.pt"}), Error);
  EXPECT_THROW(ensemble.predict(mols, {}, false), Error);
}

}  // namespace
}  // namespace se3t

// Energies and forces of a molecule model with a smooth cutoff are continuous as an atom crosses
// the cutoff (the radius graph gains or loses an edge there); without it they jump.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "common/expect_error.h"
#include "common/molecule_testing.h"

namespace se3t {
namespace {

constexpr double kCutoff = 2.0;

MoleculeModelOptions options(bool smooth, bool attention) {
  MoleculeModelOptions o = testing::small_options(attention, "sum", /*radial_basis=*/6);
  o.cutoff = kCutoff;
  o.radial_basis_kind = smooth ? "bessel" : "gaussian";
  o.smooth_cutoff = smooth;
  return o;
}

// Atom `moving` placed at distance r from atom 0 along x; every other pair stays on one side of
// the cutoff.
Molecule with_distance(Molecule m, int moving, double r) {
  m.positions[moving] = {r, 0.0, 0.0};
  return m;
}

struct Jump {
  double energy = 0, force = 0, max_force = 0;
};

Jump jump_across(MoleculeModel& model, const Molecule& base, int moving, double delta) {
  EnergyForces ef[2];
  for (int side = 0; side < 2; ++side) {
    const Molecule m = with_distance(base, moving, kCutoff + (side ? delta : -delta));
    ef[side] = model->energy_and_forces(model->batch({m}, {0}), false);
  }
  Jump j;
  j.energy = std::abs((ef[1].energy - ef[0].energy).item<double>());
  j.force = (ef[1].forces - ef[0].forces).abs().max().item<double>();
  j.max_force = ef[0].forces.abs().max().item<double>();
  return j;
}

// Four atoms: atom 3 crosses the cutoff of atom 0 while staying a neighbour of atom 1; and two
// atoms: each loses its only neighbour (the attention's last edge) at the cutoff.
std::vector<std::pair<Molecule, int>> crossings() {
  Molecule four;
  four.numbers = {6, 1, 8, 1};
  four.positions = {{0, 0, 0}, {1.1, 0.3, 0}, {-0.4, 1.0, 0.2}, {kCutoff, 0, 0}};
  four.energy = -40;
  Molecule two;
  two.numbers = {6, 8};
  two.positions = {{0, 0, 0}, {kCutoff, 0, 0}};
  two.energy = -20;
  return {{four, 3}, {two, 1}};
}

TEST(SmoothCutoff, EnergyAndForcesAreContinuousAtTheCutoff) {
  const double delta = 1e-9;
  for (bool attention : {true, false}) {
    for (const auto& [mol, moving] : crossings()) {
      MoleculeModel model = testing::make_model({mol}, options(true, attention));
      const Jump j = jump_across(model, mol, moving, delta);
      const std::string what = std::string(attention ? "attention" : "tfn") + ", " +
                               std::to_string(mol.size()) + " atoms";
      // What the smooth variation over 2 delta allows (|dE| <= |F| 2 delta), plus round-off.
      EXPECT_LT(j.energy, 2 * delta * j.max_force + 1e-12) << what;
      EXPECT_LT(j.force, 1e-6) << what;
    }
  }
}

// The same crossings without the envelope: the test above would see these jumps.
TEST(SmoothCutoff, WithoutTheEnvelopeTheEnergyJumps) {
  for (const auto& [mol, moving] : crossings()) {
    MoleculeModel model = testing::make_model({mol}, options(false, true));
    EXPECT_GT(jump_across(model, mol, moving, 1e-9).energy, 1e-6) << mol.size() << " atoms";
  }
}

TEST(SmoothCutoff, NeedsACutoff) {
  MoleculeModelOptions o = options(true, true);
  o.cutoff = 0;
  o.radial_basis_kind = "gaussian";
  testing::expect_error([&] { o.validate(); }, {"smooth_cutoff", "cutoff"});
  o.smooth_cutoff = false;
  o.radial_basis_kind = "bessel";
  testing::expect_error([&] { o.validate(); }, {"bessel", "cutoff"});
  // The settings survive the model file's text.
  const MoleculeModelOptions back = MoleculeModelOptions::from_text(options(true, true).to_text());
  EXPECT_TRUE(back.smooth_cutoff);
  EXPECT_EQ(back.radial_basis_kind, "bessel");
}

}  // namespace
}  // namespace se3t

// Float32 predictions do not change when a molecule is moved far from the origin: positions
// are read in float64 and centred per molecule before the cast, so the model sees the same
// relative geometry (a float32 cast of coordinates at 1e4 A would round it at 1e-3 A).
#include <gtest/gtest.h>

#include "common/molecule_testing.h"
#include "common/testing.h"
#include "se3t/models/molecule_model.h"

namespace se3t {
namespace {

TEST(Translation, Float32EnergiesAndForcesIgnoreLargeShifts) {
  const std::vector<Molecule> mols = testing::random_molecules(4, 31);
  for (const bool attention : {true, false}) {
    MoleculeModel model =
        testing::make_model(mols, testing::small_options(attention, "sum"), at::kFloat);
    const MoleculeBatch b = model->batch(mols, testing::all_of(mols));
    const EnergyForces ref = model->energy_and_forces(b, false);
    for (const double shift : {1e2, 1e4, 1e6, 1e8}) {
      std::vector<Molecule> moved = mols;
      for (Molecule& m : moved) {
        for (auto& x : m.positions) {
          x[0] += shift;
          x[1] -= 0.5 * shift;
          x[2] += 0.25 * shift;
        }
      }
      const EnergyForces e =
          model->energy_and_forces(model->batch(moved, testing::all_of(moved)), false);
      // Float32 round-off of the network (relative ~1e-6) is all that may differ.
      const double force_scale = ref.forces.abs().max().item<double>();
      EXPECT_LT(testing::max_abs_diff(e.forces, ref.forces), 1e-4 * force_scale)
          << "shift " << shift << (attention ? " (attention)" : " (TFN)");
      EXPECT_LT(testing::max_abs_diff(e.energy, ref.energy), 1e-4)
          << "shift " << shift << (attention ? " (attention)" : " (TFN)");
      EXPECT_TRUE(at::isfinite(e.forces).all().item<bool>());
    }
  }
}

}  // namespace
}  // namespace se3t

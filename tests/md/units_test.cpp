// The unit conversions of molecular dynamics against the values tabulated by NIST (CODATA
// 2018) and the element masses against IUPAC's table.
#include <gtest/gtest.h>

#include "common/expect_error.h"
#include "se3t/data/elements.h"
#include "se3t/md/units.h"

namespace se3t {
namespace {

TEST(Units, ConversionsMatchTabulatedValues) {
  // 1 amu A^2 / fs^2 = 103.6427 eV; k_B = 8.617333e-5 eV/K; 1 kcal/mol = 0.0433641 eV.
  EXPECT_NEAR(1.0 / md::kAccelerationUnit, 103.6427, 1e-4);
  EXPECT_NEAR(md::kBoltzmann, 8.617333262e-5, 1e-14);
  EXPECT_NEAR(md::energy_unit_in_ev("kcal/mol"), 0.0433641, 1e-7);
  EXPECT_NEAR(md::energy_unit_in_ev("kJ/mol"), 0.0433641 / 4.184, 1e-7);
  EXPECT_EQ(md::energy_unit_in_ev("eV"), 1.0);
  EXPECT_NEAR(md::energy_unit_in_ev("hartree"), 27.2114, 1e-4);
  testing::expect_error([] { md::energy_unit_in_ev("kcal"); }, {"kcal", "kcal/mol"});
}

TEST(Units, StandardAtomicMasses) {
  EXPECT_NEAR(atomic_mass(atomic_number("H")), 1.008, 1e-3);
  EXPECT_NEAR(atomic_mass(atomic_number("C")), 12.011, 1e-3);
  EXPECT_NEAR(atomic_mass(atomic_number("O")), 15.999, 1e-3);
  EXPECT_NEAR(atomic_mass(atomic_number("Ar")), 39.948, 1e-3);
  // A nucleus of Z protons and Z to 1.6 Z neutrons: every mass lies in [Z, 2.7 Z] amu.
  for (int z = 1; z <= kNumElements; ++z) {
    EXPECT_GE(atomic_mass(z), z) << element_symbol(z);
    EXPECT_LE(atomic_mass(z), 2.7 * z) << element_symbol(z);
  }
  testing::expect_error([] { atomic_mass(0); }, {"atomic_mass", "0"});
}

}  // namespace
}  // namespace se3t

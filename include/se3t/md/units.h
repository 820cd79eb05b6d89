// Units of molecular dynamics: Angstrom, femtosecond, atomic mass unit (amu) and eV inside
// se3t/md, and the conversions to the units a model or a socket speaks. CODATA 2018 values.
#pragma once
#include <string>
#include <vector>

namespace se3t::md {

constexpr double kElementaryCharge = 1.602176634e-19;            // C (exact): 1 eV = this many J
constexpr double kAvogadro = 6.02214076e23;                      // 1/mol (exact)
constexpr double kAtomicMassUnit = 1.66053906660e-27;            // kg
constexpr double kBoltzmann = 1.380649e-23 / kElementaryCharge;  // eV/K (8.617333e-5)

// 1 amu A^2 fs^-2 = 1.66053906660e-27 kg * 1e-20 m^2 / 1e-30 s^2 = 1.66053906660e-17 J
// = 103.6427 eV, so a force F (eV/A) on a mass m (amu) accelerates it by
// F/m * kAccelerationUnit A/fs^2 and a velocity v (A/fs) carries m v^2 / 2 / kAccelerationUnit
// eV (1 eV = 9.648533e-3 amu A^2 fs^-2; the often quoted 1.0364e-4 eV is 1 amu A^2 ps^-2).
constexpr double kAccelerationUnit = kElementaryCharge / (kAtomicMassUnit * 1e10);

constexpr double kEvPerKcalMol = 4184.0 / kAvogadro / kElementaryCharge;  // 0.0433641 eV
constexpr double kEvPerKjMol = 1000.0 / kAvogadro / kElementaryCharge;    // 0.0103643 eV
constexpr double kEvPerHartree = 27.211386245988;                         // eV
constexpr double kAngstromPerBohr = 0.529177210903;                       // A

// eV per unit of a model's energies: "kcal/mol" (the shipped data sets), "kJ/mol", "eV",
// "hartree". Throws se3t::Error naming the known units for anything else.
double energy_unit_in_ev(const std::string& unit);
// The names energy_unit_in_ev accepts.
const std::vector<std::string>& energy_unit_names();

}  // namespace se3t::md

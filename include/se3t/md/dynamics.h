// The settings of a molecular dynamics run and one step of the ensemble they choose: NVE by
// velocity Verlet (se3t/md/velocity_verlet.h) or NVT by Langevin BAOAB
// (se3t/md/langevin_baoab.h), with the thermodynamic observables of a step.
#pragma once
#include <cstdint>
#include <string>

#include "se3t/md/md_state.h"
#include "se3t/md/potential.h"
#include "se3t/util/fields.h"

namespace se3t::md {

struct MdSettings {
  std::string ensemble = "nve";  // "nve" | "langevin"
  double dt_fs = 0.5;
  // Langevin's target; for both ensembles the temperature of the initial Maxwell-Boltzmann
  // velocities when the start frame has none.
  double temperature_k = 300.0;
  double friction_per_ps = 10.0;  // Langevin gamma (1/ps)
  uint64_t seed = 0;              // initial velocities and Langevin noise

  void visit(FieldVisitor& v);
  void validate() const;  // throws se3t::Error "md.<key> must be ..."
};

// Degrees of freedom of the temperature: 3N - 3 for NVE (the initial velocities carry no total
// momentum and a translation-invariant potential keeps it zero), 3N for Langevin (the
// thermostat's noise does not conserve momentum). At least 1.
int64_t degrees_of_freedom(const MdSettings& settings, int64_t num_atoms);

// One step of the settings' ensemble (forces must be evaluated).
void advance(MdState& state, Potential& potential, const MdSettings& settings);

struct Thermo {
  int64_t step = 0;
  double time_fs = 0.0;
  double potential = 0.0, kinetic = 0.0, total = 0.0;  // eV
  double temperature_k = 0.0;
};
Thermo thermo(const MdState& state, const MdSettings& settings);

}  // namespace se3t::md

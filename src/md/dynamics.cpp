#include "se3t/md/dynamics.h"

#include <algorithm>

#include "se3t/md/langevin_baoab.h"
#include "se3t/md/velocity_verlet.h"
#include "se3t/util/check.h"

namespace se3t::md {

void MdSettings::visit(FieldVisitor& v) {
  v.field("ensemble", ensemble, "nve (velocity Verlet) or langevin (BAOAB, NVT)",
          {"nve", "langevin"});
  v.field("dt_fs", dt_fs, "time step (fs)", Range::above(0));
  v.field("temperature_k", temperature_k,
          "Langevin target and initial Maxwell-Boltzmann temperature (K)", Range::at_least(0));
  v.field("friction_per_ps", friction_per_ps, "Langevin friction gamma (1/ps)", Range::above(0));
  v.field("seed", seed, "seed of the initial velocities and the Langevin noise");
}

void MdSettings::validate() const {
  MdSettings copy = *this;
  check_fields([&copy](FieldVisitor& v) { copy.visit(v); }, "md");
}

int64_t degrees_of_freedom(const MdSettings& settings, int64_t num_atoms) {
  const int64_t dof = settings.ensemble == "nve" ? 3 * num_atoms - 3 : 3 * num_atoms;
  return std::max<int64_t>(dof, 1);
}

void advance(MdState& state, Potential& potential, const MdSettings& settings) {
  if (settings.ensemble == "nve") {
    velocity_verlet_step(state, potential, settings.dt_fs);
  } else {
    SE3T_CHECK(settings.ensemble == "langevin", "unknown ensemble '", settings.ensemble,
               "' (nve or langevin)");
    langevin_baoab_step(
        state, potential,
        {settings.dt_fs, settings.temperature_k, settings.friction_per_ps, settings.seed});
  }
}

Thermo thermo(const MdState& state, const MdSettings& settings) {
  Thermo t;
  t.step = state.step;
  t.time_fs = static_cast<double>(state.step) * settings.dt_fs;
  t.potential = state.potential_energy;
  t.kinetic = kinetic_energy(state);
  t.total = t.potential + t.kinetic;
  t.temperature_k = temperature(t.kinetic, degrees_of_freedom(settings, state.size()));
  return t;
}

}  // namespace se3t::md

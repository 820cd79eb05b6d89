#include "se3t/md/md_state.h"

#include <ATen/ATen.h>

#include <cmath>

#include "se3t/data/elements.h"
#include "se3t/md/units.h"
#include "se3t/util/check.h"

namespace se3t::md {

MdState make_state(const std::vector<std::string>& species, const at::Tensor& positions,
                   std::optional<SimulationCell> cell) {
  const int64_t n = static_cast<int64_t>(species.size());
  SE3T_CHECK(n >= 1, "molecular dynamics needs at least one atom");
  SE3T_CHECK(positions.dim() == 2 && positions.size(0) == n && positions.size(1) == 3,
             "make_state: positions must be [", n, ", 3], got ", positions.sizes());
  MdState s;
  s.species = species;
  s.masses = at::empty({n}, at::kDouble);
  for (int64_t i = 0; i < n; ++i) {
    s.masses.data_ptr<double>()[i] = atomic_mass(atomic_number(species[i]));
  }
  s.positions = positions.to(at::kDouble).contiguous().clone();
  s.velocities = at::zeros_like(s.positions);
  s.cell = std::move(cell);
  return s;
}

void evaluate_forces(MdState& state, Potential& potential) {
  PotentialOutput out = potential.compute(state.positions, state.cell ? &*state.cell : nullptr);
  SE3T_CHECK(std::isfinite(out.energy), "step ", state.step,
             ": the potential energy is not finite (", out.energy,
             "); the structure has left the region the potential describes");
  SE3T_CHECK(out.forces.defined() && out.forces.sizes() == state.positions.sizes(), "step ",
             state.step, ": the potential returned forces of the wrong shape");
  SE3T_CHECK(at::isfinite(out.forces).all().item<bool>(), "step ", state.step,
             ": a force is not finite; the structure has left the region the potential "
             "describes");
  state.potential_energy = out.energy;
  state.forces = out.forces.to(at::kDouble).contiguous();
}

double kinetic_energy(const MdState& state) {
  const at::Tensor mv2 = (state.velocities * state.velocities).sum(1) * state.masses;
  return 0.5 * mv2.sum().item<double>() / kAccelerationUnit;
}

at::Tensor total_momentum(const MdState& state) {
  return (state.velocities * state.masses.unsqueeze(1)).sum(0);
}

double temperature(double kinetic_energy_ev, int64_t degrees_of_freedom) {
  SE3T_CHECK(degrees_of_freedom >= 1, "temperature: no degrees of freedom");
  return 2.0 * kinetic_energy_ev / (static_cast<double>(degrees_of_freedom) * kBoltzmann);
}

}  // namespace se3t::md

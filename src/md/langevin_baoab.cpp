#include "se3t/md/langevin_baoab.h"

#include <ATen/ATen.h>

#include <cmath>

#include "se3t/md/units.h"
#include "se3t/util/check.h"
#include "se3t/util/random.h"

namespace se3t::md {

void langevin_baoab_step(MdState& state, Potential& potential, const LangevinParameters& p) {
  SE3T_CHECK(state.forces.defined(), "Langevin: the forces of the state are not evaluated");
  SE3T_CHECK(p.friction_per_ps > 0.0 && p.temperature_k >= 0.0 && p.dt_fs > 0.0,
             "Langevin: needs dt > 0, friction > 0 and temperature >= 0");
  const double dt = p.dt_fs;
  const at::Tensor inv_m = kAccelerationUnit / state.masses.unsqueeze(1);
  const double c1 = std::exp(-p.friction_per_ps * 1e-3 * dt);
  const at::Tensor sigma =
      at::sqrt((1.0 - c1 * c1) * kBoltzmann * p.temperature_k * inv_m);  // [N, 1], A/fs
  at::Tensor xi = at::empty_like(state.positions);
  std::mt19937_64 generator = counter_generator(p.seed, static_cast<uint64_t>(state.step) + 1);
  standard_normals(generator, xi.data_ptr<double>(), xi.numel());

  state.velocities = state.velocities + (0.5 * dt) * state.forces * inv_m;  // B
  state.positions = state.positions + (0.5 * dt) * state.velocities;        // A
  state.velocities = c1 * state.velocities + sigma * xi;                    // O
  state.positions = state.positions + (0.5 * dt) * state.velocities;        // A
  if (state.cell) state.positions = wrap_positions(state.positions, *state.cell);
  evaluate_forces(state, potential);
  state.velocities = state.velocities + (0.5 * dt) * state.forces * inv_m;  // B
  ++state.step;
}

}  // namespace se3t::md

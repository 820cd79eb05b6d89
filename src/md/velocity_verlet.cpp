#include "se3t/md/velocity_verlet.h"

#include "se3t/md/units.h"
#include "se3t/util/check.h"

namespace se3t::md {

void velocity_verlet_step(MdState& state, Potential& potential, double dt_fs) {
  SE3T_CHECK(state.forces.defined(), "velocity Verlet: the forces of the state are not evaluated");
  const at::Tensor inv_m = kAccelerationUnit / state.masses.unsqueeze(1);
  state.velocities = state.velocities + (0.5 * dt_fs) * state.forces * inv_m;
  state.positions = state.positions + dt_fs * state.velocities;
  if (state.cell) state.positions = wrap_positions(state.positions, *state.cell);
  evaluate_forces(state, potential);
  state.velocities = state.velocities + (0.5 * dt_fs) * state.forces * inv_m;
  ++state.step;
}

}  // namespace se3t::md

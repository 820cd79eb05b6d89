// Velocity Verlet (Swope, Andersen, Berens, Wilson 1982): the symplectic, time-reversible
// integrator of constant-energy (NVE) dynamics,
//   v(t + dt/2) = v(t) + dt/2 a(t),  x(t + dt) = x(t) + dt v(t + dt/2),
//   v(t + dt) = v(t + dt/2) + dt/2 a(t + dt),  a = F / m.
// Its error in positions is O(dt^2) over a fixed time, and the energy oscillates about a
// conserved shadow energy within O(dt^2) without drift.
#pragma once
#include "se3t/md/md_state.h"
#include "se3t/md/potential.h"

namespace se3t::md {

// One step of dt_fs femtoseconds: positions (wrapped into a periodic cell), velocities,
// forces and energy at the new positions, and state.step + 1. Forces must be evaluated.
void velocity_verlet_step(MdState& state, Potential& potential, double dt_fs);

}  // namespace se3t::md

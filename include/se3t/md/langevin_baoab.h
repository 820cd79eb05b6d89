// Langevin dynamics at constant temperature (NVT) by the BAOAB splitting (Leimkuhler and
// Matthews, Appl. Math. Res. Express 2013, 34): half a kick (B), half a drift (A), the exact
// Ornstein-Uhlenbeck update of the velocities (O),
//   v <- c1 v + sqrt((1 - c1^2) k_B T / m) xi,  c1 = exp(-gamma dt),  xi ~ N(0, 1),
// half a drift and half a kick. Its configurational averages are exact for harmonic systems
// and accurate to O(dt^2) otherwise; the friction gamma sets how fast the thermostat acts.
#pragma once
#include <cstdint>

#include "se3t/md/md_state.h"
#include "se3t/md/potential.h"

namespace se3t::md {

struct LangevinParameters {
  double dt_fs = 1.0;
  double temperature_k = 300.0;
  double friction_per_ps = 1.0;  // gamma in 1/ps
  uint64_t seed = 0;
};

// One step; the noise of step s (state.step before the step) is drawn from (seed, s + 1)
// alone, so a run continued from a saved state draws what the uninterrupted run would have.
void langevin_baoab_step(MdState& state, Potential& potential, const LangevinParameters& p);

}  // namespace se3t::md

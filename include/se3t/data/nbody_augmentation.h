// Symmetries of the charged N-body dynamics used as training augmentations: they make new
// samples out of the same simulations and frames, with no extra simulation (docs/design.md,
// N-body experiment, augmentations).
//
// - Time reversal. Between wall hits the dynamics are reversible: if (x_0, v_0) evolves to
//   (x_T, v_T), then (x_T, -v_T) evolves to (x_0, -v_0). The simulator's leapfrog records the
//   velocity that moved a particle onto its recorded position (a half step behind), so the
//   reversed sample's velocities are off by one kick dt F(x) (at most dt max_force = 0.1 with
//   NRI's force clipping); its positions are exact.
// - Charge flip. Forces depend on charges only through q_i q_j, so negating every charge of a
//   system leaves its trajectory unchanged.
#pragma once
#include <cstdint>
#include <vector>

#include "se3t/data/nbody_dataset.h"

namespace se3t {

// Swaps input and target of the batch entries k with entries[k] != 0 and negates their
// velocities: (x_0, v_0) -> (x_T, v_T) becomes (x_T, -v_T) -> (x_0, -v_0).
NBodyBatch reverse_time(const NBodyBatch& batch, const std::vector<uint8_t>& entries);

// Negates the charges of the batch entries k with entries[k] != 0.
NBodyBatch flip_charges(const NBodyBatch& batch, const std::vector<uint8_t>& entries);

}  // namespace se3t

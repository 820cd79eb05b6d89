// The particles that can change the energy of the contributing ones (docs/design.md, LAMMPS
// through KIM): a contributing particle's energy depends on particles closer than the
// influence distance, so the padding particles beyond it from every contributing particle (the
// simulator's ghost shell is the influence distance plus its neighbour-list skin) are dropped
// before the network runs; their partial forces are exactly zero.
#pragma once
#include <cstdint>
#include <vector>

namespace se3t::kim {

// Indices (ascending) of the particles closer than `distance` to a contributing particle,
// the contributing ones included; a cell list over the contributing particles, O(n).
std::vector<int64_t> influence_region(const double* coordinates, const int* contributing, int64_t n,
                                      double distance);

}  // namespace se3t::kim

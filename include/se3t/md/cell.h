// The simulation cell of a periodic system: the data layer's Cell (se3t/data/extxyz.h: rows
// are the lattice vectors a, b, c, as extended XYZ's Lattice and ASE's Atoms.cell) and which
// of its directions are periodic. Atoms that leave the cell along a periodic direction are
// wrapped back in (positions only: a periodic potential's energy and forces do not change).
#pragma once
#include <ATen/core/Tensor.h>

#include <array>
#include <optional>

#include "se3t/data/extxyz.h"

namespace se3t::md {

struct SimulationCell {
  Cell vectors{};  // rows a, b, c (A)
  std::array<bool, 3> pbc{true, true, true};

  bool periodic() const { return pbc[0] || pbc[1] || pbc[2]; }
  at::Tensor matrix() const;  // [3, 3] float64, row k = lattice vector k
};

// The cell of a frame (its Lattice and pbc), nullopt when it has none.
std::optional<SimulationCell> cell_of_frame(const Frame& frame);
// Sets the frame's cell and pbc.
void set_frame_cell(Frame& frame, const SimulationCell& cell);

// Positions [N, 3] with every fractional coordinate along a periodic direction in [0, 1).
at::Tensor wrap_positions(const at::Tensor& positions, const SimulationCell& cell);

}  // namespace se3t::md

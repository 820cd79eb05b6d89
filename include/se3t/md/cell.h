// The simulation cell of a periodic system: three lattice vectors and which of them are
// periodic, as extended XYZ writes them (Lattice="ax ay az bx by bz cx cy cz" pbc="T T T", the
// ASE convention; a Lattice without pbc means periodic along all three). Atoms that leave the
// cell along a periodic direction are wrapped back in (positions only: a periodic potential's
// energy and forces do not change).
#pragma once
#include <ATen/core/Tensor.h>

#include <array>
#include <optional>
#include <string>

#include "se3t/data/extxyz.h"

namespace se3t::md {

struct Cell {
  at::Tensor vectors;  // [3, 3] float64, row k = lattice vector k (A)
  std::array<bool, 3> pbc{true, true, true};

  bool periodic() const { return pbc[0] || pbc[1] || pbc[2]; }
};

// The cell of a frame, nullopt when it has no Lattice. Throws se3t::Error naming `source` for
// a Lattice that is not 9 finite reals, a singular one, or a pbc that is not three T/F.
std::optional<Cell> cell_of_frame(const Frame& frame, const std::string& source);

// Writes the cell back as the frame's Lattice and pbc info (shortest round-trip reals).
void set_frame_cell(Frame& frame, const Cell& cell);

// Positions [N, 3] with every fractional coordinate along a periodic direction in [0, 1).
at::Tensor wrap_positions(const at::Tensor& positions, const Cell& cell);

}  // namespace se3t::md

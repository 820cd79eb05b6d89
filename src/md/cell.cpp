#include "se3t/md/cell.h"

#include <ATen/ATen.h>

namespace se3t::md {

at::Tensor SimulationCell::matrix() const {
  at::Tensor m = at::empty({3, 3}, at::kDouble);
  for (int r = 0; r < 3; ++r) {
    for (int k = 0; k < 3; ++k) m.data_ptr<double>()[3 * r + k] = vectors[r][k];
  }
  return m;
}

std::optional<SimulationCell> cell_of_frame(const Frame& frame) {
  if (!frame.cell) return std::nullopt;
  return SimulationCell{*frame.cell, frame.pbc};
}

void set_frame_cell(Frame& frame, const SimulationCell& cell) {
  frame.cell = cell.vectors;
  frame.pbc = cell.pbc;
}

at::Tensor wrap_positions(const at::Tensor& positions, const SimulationCell& cell) {
  if (!cell.periodic()) return positions;
  const at::Tensor vectors = cell.matrix().to(positions.options());
  // x = f A with A's rows the lattice vectors: f = x A^-1.
  const at::Tensor fractional = at::matmul(positions, at::linalg_inv(vectors));
  const at::Tensor periodic =
      at::tensor({cell.pbc[0] ? 1.0 : 0.0, cell.pbc[1] ? 1.0 : 0.0, cell.pbc[2] ? 1.0 : 0.0},
                 positions.options());
  const at::Tensor shift = at::floor(fractional) * periodic;
  // Atoms already inside keep their exact positions (no round trip through fractions).
  return positions - at::matmul(shift, vectors);
}

}  // namespace se3t::md

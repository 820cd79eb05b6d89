#include "se3t/md/cell.h"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>
#include <vector>

#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t::md {

namespace {

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

std::optional<Cell> cell_of_frame(const Frame& frame, const std::string& source) {
  const auto lattice = frame.info.find("Lattice");
  if (lattice == frame.info.end()) return std::nullopt;
  const std::vector<std::string> w = words(lattice->second);
  SE3T_CHECK(w.size() == 9, source, ": Lattice must hold 9 reals (three lattice vectors), got ",
             w.size(), " values");
  Cell cell;
  cell.vectors = at::empty({3, 3}, at::kDouble);
  double* v = cell.vectors.data_ptr<double>();
  for (int k = 0; k < 9; ++k) {
    SE3T_CHECK(parse_real(w[k], v[k]), source, ": Lattice value '", w[k], "' is not a finite real");
  }
  const double volume = at::linalg_det(cell.vectors).item<double>();
  SE3T_CHECK(std::abs(volume) > 1e-12, source,
             ": the Lattice vectors are linearly dependent (cell volume ", volume, " A^3)");
  const auto pbc = frame.info.find("pbc");
  if (pbc != frame.info.end()) {
    const std::vector<std::string> p = words(pbc->second);
    SE3T_CHECK(p.size() == 3, source, ": pbc must be three T/F flags, got '", pbc->second, "'");
    for (int k = 0; k < 3; ++k) {
      SE3T_CHECK(p[k] == "T" || p[k] == "F" || p[k] == "True" || p[k] == "False", source,
                 ": pbc flag '", p[k], "' is not T or F");
      cell.pbc[k] = p[k][0] == 'T';
    }
  }
  return cell;
}

void set_frame_cell(Frame& frame, const Cell& cell) {
  const at::Tensor v = cell.vectors.to(at::kDouble).contiguous();
  std::string lattice;
  for (int k = 0; k < 9; ++k) lattice += (k ? " " : "") + format_real(v.data_ptr<double>()[k]);
  frame.info["Lattice"] = lattice;
  frame.info["pbc"] = std::string(cell.pbc[0] ? "T" : "F") + (cell.pbc[1] ? " T" : " F") +
                      (cell.pbc[2] ? " T" : " F");
}

at::Tensor wrap_positions(const at::Tensor& positions, const Cell& cell) {
  if (!cell.periodic()) return positions;
  const at::Tensor vectors = cell.vectors.to(positions.options());
  // x = f A with A's rows the lattice vectors: f = x A^-1.
  at::Tensor fractional = at::matmul(positions, at::linalg_inv(vectors));
  const at::Tensor periodic =
      at::tensor({cell.pbc[0] ? 1.0 : 0.0, cell.pbc[1] ? 1.0 : 0.0, cell.pbc[2] ? 1.0 : 0.0},
                 positions.options());
  const at::Tensor shift = at::floor(fractional) * periodic;
  // Atoms already inside keep their exact positions (no round trip through fractions).
  return positions - at::matmul(shift, vectors);
}

}  // namespace se3t::md

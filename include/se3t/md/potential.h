// What molecular dynamics integrates: a potential energy surface E(x) and its forces -dE/dx.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

#include "se3t/md/cell.h"

namespace se3t::md {

struct PotentialOutput {
  double energy = 0.0;  // eV
  at::Tensor forces;    // [N, 3] float64, eV/A
  at::Tensor virial;    // [3, 3] float64 eV (-V sigma); undefined when the potential has none
};

class Potential {
 public:
  virtual ~Potential() = default;
  // Energy and forces at positions [N, 3] float64 (A); `cell` is null for a system that is not
  // periodic. Throws se3t::Error for input the potential cannot use (e.g. a periodic cell for
  // a potential of isolated molecules).
  virtual PotentialOutput compute(const at::Tensor& positions, const SimulationCell* cell) = 0;
  // One line for logs, e.g. "molecule model (1 member, kcal/mol)".
  virtual std::string describe() const = 0;
};

}  // namespace se3t::md

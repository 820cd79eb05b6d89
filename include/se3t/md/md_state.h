// The state of a molecular dynamics run and its thermodynamic observables. Units: A, fs, amu,
// eV (se3t/md/units.h).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "se3t/md/cell.h"
#include "se3t/md/potential.h"

namespace se3t::md {

struct MdState {
  std::vector<std::string> species;  // element symbols
  at::Tensor masses;                 // [N] float64, amu
  at::Tensor positions;              // [N, 3] float64, A
  at::Tensor velocities;             // [N, 3] float64, A/fs
  at::Tensor forces;                 // [N, 3] float64, eV/A at `positions`
  double potential_energy = 0.0;     // eV at `positions`
  std::optional<SimulationCell> cell;
  int64_t step = 0;

  int64_t size() const { return static_cast<int64_t>(species.size()); }
};

// A state at rest from species and positions [N, 3] (masses from the element table); forces
// undefined until evaluate_forces. Throws se3t::Error for an unknown element or a shape
// mismatch.
MdState make_state(const std::vector<std::string>& species, const at::Tensor& positions,
                   std::optional<SimulationCell> cell = std::nullopt);

// Energy and forces of the potential at the state's positions, stored in the state. Throws
// se3t::Error naming the step for a non-finite energy or force.
void evaluate_forces(MdState& state, Potential& potential);

// sum_i m_i |v_i|^2 / 2 in eV.
double kinetic_energy(const MdState& state);
// sum_i m_i v_i, [3] float64 (amu A/fs).
at::Tensor total_momentum(const MdState& state);
// Temperature 2 K / (n_dof k_B) in kelvin.
double temperature(double kinetic_energy_ev, int64_t degrees_of_freedom);

}  // namespace se3t::md

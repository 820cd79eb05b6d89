// Stress of a molecule model on periodic batches, by autograd through a homogeneous strain
// (docs/design.md, Conventions): with a symmetric strain eps applied as x' = x (I + eps) and
// cell' = cell (I + eps) (rows; the image shifts n . cell follow), sigma = (1/V) dE/d(eps) at
// eps = 0. This is ASE's convention (ase.calculators.calculator.calculate_numerical_stress):
// positive under tension (the energy rises as the cell is stretched), pressure -tr(sigma)/3,
// Voigt order (xx, yy, zz, yz, xz, xy), units energy / Angstrom^3 of the data's energies.
#pragma once
#include <ATen/core/Tensor.h>

#include "se3t/data/molecule_dataset.h"
#include "se3t/models/molecule_model.h"

namespace se3t {

struct EnergyForcesStress {
  at::Tensor energy;  // [G] float64, data units
  at::Tensor forces;  // [N, 3] float64, -dE/dx
  at::Tensor stress;  // [G, 6] float64, Voigt; zero rows for the batch's non-periodic graphs
};

// E, F and sigma of a batch holding at least one periodic graph (throws se3t::Error for one
// without a cell). create_graph keeps the graph of the gradients (a loss on F or sigma).
EnergyForcesStress energy_forces_stress(MoleculeModelImpl& model, const MoleculeBatch& batch,
                                        bool create_graph);

// [..., 3, 3] symmetric -> [..., 6] in Voigt order (xx, yy, zz, yz, xz, xy), and back.
at::Tensor stress_to_voigt(const at::Tensor& matrix);
at::Tensor stress_from_voigt(const at::Tensor& voigt);

}  // namespace se3t

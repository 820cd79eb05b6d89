#include "se3t/md/molecule_potential.h"

#include <ATen/ATen.h>

#include <cmath>

#include "se3t/data/elements.h"
#include "se3t/md/units.h"
#include "se3t/models/stress.h"
#include "se3t/util/check.h"

namespace se3t::md {

MoleculePotential::MoleculePotential(MoleculeEnsemble ensemble, std::vector<std::string> species,
                                     const std::string& energy_unit)
    : ensemble_(std::move(ensemble)),
      unit_(energy_unit),
      ev_per_unit_(energy_unit_in_ev(energy_unit)) {
  Molecule m;
  for (const std::string& s : species) numbers_.push_back(atomic_number(s));
  m.numbers = numbers_;
  for (const MoleculeModel& member : ensemble_.members()) {
    member->vocabulary().check_known({m}, "the start frame");
  }
}

PotentialOutput MoleculePotential::compute(const at::Tensor& positions,
                                           const SimulationCell* cell) {
  const bool periodic = cell != nullptr && cell->periodic();
  if (periodic) {
    for (const MoleculeModel& member : ensemble_.members()) {
      SE3T_CHECK(member->options().cutoff > 0.0,
                 "a fully connected molecule model (cutoff 0) cannot run a periodic cell: train "
                 "one with a [data] cutoff, or set pbc = \"F F F\" to use the cell for wrapping "
                 "only");
    }
  }
  SE3T_CHECK(positions.dim() == 2 && positions.size(0) == static_cast<int64_t>(numbers_.size()),
             "MoleculePotential: expected positions [", numbers_.size(), ", 3]");
  std::vector<Molecule> molecule(1);
  molecule[0].numbers = numbers_;
  molecule[0].positions.resize(numbers_.size());
  const at::Tensor x = positions.to(at::kDouble).contiguous();
  for (size_t i = 0; i < numbers_.size(); ++i) {
    for (int d = 0; d < 3; ++d) molecule[0].positions[i][d] = x.data_ptr<double>()[3 * i + d];
  }
  if (periodic) {
    molecule[0].cell = cell->vectors;
    molecule[0].pbc = cell->pbc;
  }
  const EnsemblePrediction p =
      ensemble_.predict(molecule, {0}, /*forces=*/true, "md", /*stress=*/periodic);
  PotentialOutput out;
  out.energy = p.energy.item<double>() * ev_per_unit_;
  out.forces = (p.forces.to(at::kDouble) * ev_per_unit_).contiguous();
  if (periodic) {
    // The virial -V sigma (i-PI's and ASE's SocketIOCalculator's convention), from the stress
    // of the strain derivative (se3t/models/stress.h).
    const double volume = std::abs(cell->matrix().det().item<double>());
    out.virial = (stress_from_voigt(p.stress[0]) * (-volume * ev_per_unit_)).contiguous();
  }
  return out;
}

std::string MoleculePotential::describe() const {
  return "molecule model (" + std::to_string(ensemble_.size()) +
         (ensemble_.size() == 1 ? " member" : " members") + ", energies in " + unit_ + ")";
}

}  // namespace se3t::md

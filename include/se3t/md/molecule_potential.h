// A trained molecule model (or an ensemble of them, se3t/models/molecule_ensemble.h) as the
// potential of molecular dynamics: its energy and forces F = -dE/dx by autograd, the very
// predictions of `se3t predict --forces`, converted from the model's energy unit to eV, with
// the virial of periodic systems.
#pragma once
#include <string>
#include <vector>

#include "se3t/md/potential.h"
#include "se3t/models/molecule_ensemble.h"

namespace se3t::md {

class MoleculePotential : public Potential {
 public:
  // `energy_unit`: the unit of the model's training energies (se3t/md/units.h; "kcal/mol" for
  // the shipped data sets). Throws se3t::Error for an element the model does not know.
  MoleculePotential(MoleculeEnsemble ensemble, std::vector<std::string> species,
                    const std::string& energy_unit);

  // A cell periodic along some direction needs members with a cutoff (radius graphs over the
  // periodic images, se3t/graph/periodic_radius_graph.h); their virial is then -V sigma.
  // Fully connected members see isolated molecules and refuse a periodic cell.
  PotentialOutput compute(const at::Tensor& positions, const SimulationCell* cell) override;
  std::string describe() const override;

 private:
  MoleculeEnsemble ensemble_;
  std::vector<int> numbers_;
  std::string unit_;
  double ev_per_unit_;
};

}  // namespace se3t::md

#include "kim/kim_testing.h"

#include "common/molecule_testing.h"

namespace se3t::testing {

MoleculeModel kim_ready_model(double mean, bool attention, const std::string& pooling) {
  MoleculeModelOptions o = small_options(attention, pooling);
  o.cutoff = 3.0;
  o.smooth_cutoff = true;
  EnergyStats s;
  s.elements = {1, 8};
  s.reference = {-10.0, -20.0};
  s.mean = mean;
  s.std = 2.0;
  return MoleculeModel(o, s);
}

}  // namespace se3t::testing

// A molecule model the KIM export accepts (pooling "sum", a smooth 3 A cutoff), with elements
// H and O and a residual mean `mean`: what the export and parameter tests refuse or write.
#pragma once
#include <string>

#include "se3t/models/molecule_model.h"

namespace se3t::testing {

MoleculeModel kim_ready_model(double mean = 0.0, bool attention = true,
                              const std::string& pooling = "sum");

}  // namespace se3t::testing

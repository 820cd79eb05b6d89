#include "se3t/md/units.h"

#include "se3t/util/check.h"

namespace se3t::md {

const std::vector<std::string>& energy_unit_names() {
  static const std::vector<std::string> names = {"kcal/mol", "kJ/mol", "eV", "hartree"};
  return names;
}

double energy_unit_in_ev(const std::string& unit) {
  if (unit == "kcal/mol") return kEvPerKcalMol;
  if (unit == "kJ/mol") return kEvPerKjMol;
  if (unit == "eV") return 1.0;
  if (unit == "hartree") return kEvPerHartree;
  SE3T_CHECK(false, "unknown energy unit '", unit, "' (known: kcal/mol, kJ/mol, eV, hartree)");
  return 0.0;
}

}  // namespace se3t::md

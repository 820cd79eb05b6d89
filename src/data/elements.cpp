// Element table. Std-only, like the parsers.
#include "se3t/data/elements.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "se3t/util/check.h"

namespace se3t {

namespace {

// Index = atomic number - 1 (IUPAC symbols through oganesson).
const std::array<std::string, kNumElements>& symbols() {
  static const std::array<std::string, kNumElements> table = {
      "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",
      "S",  "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn",
      "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh",
      "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd",
      "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",  "Re",
      "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th",
      "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db",
      "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"};
  return table;
}

// Built once (thread-safe static initialisation); 0 means "not an element".
int lookup(const std::string& symbol) {
  static const std::unordered_map<std::string, int> index = [] {
    std::unordered_map<std::string, int> m;
    for (int z = 1; z <= kNumElements; ++z) m.emplace(symbols()[z - 1], z);
    return m;
  }();
  const auto it = index.find(symbol);
  return it == index.end() ? 0 : it->second;
}

std::string unknown_symbol_message(const std::string& symbol) {
  std::string normalized = symbol;
  for (std::size_t i = 0; i < normalized.size(); ++i) {
    char& c = normalized[i];
    if (i == 0 && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (i > 0 && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string message = "unknown element symbol '" + symbol + "'";
  if (lookup(normalized) != 0)
    message += " (symbols are case-sensitive: did you mean '" + normalized + "'?)";
  return message;
}

}  // namespace

int atomic_number(const std::string& symbol) {
  const int z = lookup(symbol);
  SE3T_CHECK(z != 0, "atomic_number: ", unknown_symbol_message(symbol));
  return z;
}

bool is_element_symbol(const std::string& symbol) {
  return lookup(symbol) != 0;
}

const std::string& element_symbol(int atomic_number) {
  SE3T_CHECK(atomic_number >= 1 && atomic_number <= kNumElements,
             "element_symbol: expected an atomic number in [1, ", kNumElements, "], got ",
             atomic_number);
  return symbols()[atomic_number - 1];
}

std::vector<int> atomic_numbers(const Frame& frame) {
  std::vector<int> z(frame.species.size());
  for (std::size_t i = 0; i < z.size(); ++i) {
    z[i] = lookup(frame.species[i]);
    SE3T_CHECK(z[i] != 0, "atomic_numbers: atom ", i, ": ",
               unknown_symbol_message(frame.species[i]));
  }
  return z;
}

std::vector<int> element_types(const std::vector<Frame>& frames) {
  std::array<bool, kNumElements + 1> seen{};
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const std::vector<std::string>& species = frames[f].species;
    for (std::size_t i = 0; i < species.size(); ++i) {
      const int z = lookup(species[i]);
      SE3T_CHECK(z != 0, "element_types: frame ", f, ", atom ", i, ": ",
                 unknown_symbol_message(species[i]));
      seen[z] = true;
    }
  }
  std::vector<int> types;
  for (int z = 1; z <= kNumElements; ++z) {
    if (seen[z]) types.push_back(z);
  }
  return types;
}

}  // namespace se3t

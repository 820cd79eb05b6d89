// A molecule model as a KIM portable model (docs/design.md, LAMMPS through KIM): the checks a
// model must pass to be a sum of atomic energies, the text parameter file the se3t KIM model
// driver reads beside the model file, and the source directory `se3t export-kim` writes for
// kim-api-collections-management. Nothing here needs the KIM API itself; the driver
// (src/kim/driver/) does.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "se3t/models/molecule_model.h"

namespace se3t::kim {

// The model driver's KIM item name: a KIM ID (prefix, "__MD_", 12 digits, "_", 3-digit
// version) and a C identifier, as KIM requires of every item name.
inline constexpr const char* kDriverName = "SE3T__MD_000000000000_000";
// The parameter files of a portable model, in this order.
inline constexpr const char* kParameterFileName = "se3t_kim.params";
inline constexpr const char* kModelFileName = "se3t_model.pt";

// The text parameter file (key = value lines, '#' comments).
struct PortableModelParameters {
  std::vector<std::string> species;      // element symbols, one per element of the model
  std::string energy_unit = "kcal/mol";  // unit of the model's energies (se3t/md/units.h)
  int64_t threads = 1;                   // ATen threads of the driver (SE3T_KIM_THREADS wins)
  std::string model_file = kModelFileName;

  std::string to_text() const;
  // Throws se3t::Error naming `what` for a malformed file, an unknown key, unit or element.
  static PortableModelParameters from_text(const std::string& text, const std::string& what);
};

// Throws se3t::Error (naming `what`) unless the model is a sum of atomic energies of finite
// range: pooling "sum", a cutoff, and a residual mean |mean| <= 1e-6 std (the per-structure
// constant is dropped, since it belongs to no atom).
void check_kim_model(const MoleculeModelImpl& model, const std::string& what);

// How far an atom's energy sees, in Angstrom: each of the num_layers attention blocks and the
// final convolution passes messages over edges of length < cutoff, so an atom's energy depends
// on atoms up to (num_layers + 1) * cutoff away.
double influence_distance(const MoleculeModelOptions& options);

// Throws se3t::Error unless `name` can name a KIM item: a C identifier ([A-Za-z_][A-Za-z0-9_]*).
void check_item_name(const std::string& name);

// Writes the source directory of portable model `name` (CMakeLists.txt with
// add_kim_api_model_library, the parameter file, the model file, a README) as `dir`, through a
// temporary directory beside it renamed into place. Refuses (se3t::Error) a model that fails
// check_kim_model and a `dir` that exists and is not empty.
void write_portable_model(MoleculeModelImpl& model, const std::string& dir, const std::string& name,
                          const std::string& energy_unit);

}  // namespace se3t::kim

#include "se3t/kim/portable_model.h"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "se3t/data/elements.h"
#include "se3t/md/units.h"
#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"
#include "se3t/util/fields.h"

namespace se3t::kim {

namespace fs = std::filesystem;

std::string PortableModelParameters::to_text() const {
  std::ostringstream out;
  out << "# se3t KIM portable model: read by the model driver " << kDriverName << ".\n"
      << "# species: the model's elements (KIM species names).\n"
      << "# energy_unit: the unit of the model's energies; the driver converts them to the\n"
      << "#   simulator's units (eV and A for LAMMPS units metal).\n"
      << "# threads: ATen threads per process (the environment variable SE3T_KIM_THREADS "
         "wins).\n"
      << "species =";
  for (const auto& s : species) out << ' ' << s;
  out << "\nenergy_unit = " << energy_unit << "\nthreads = " << threads
      << "\nmodel_file = " << model_file << "\n";
  return out.str();
}

PortableModelParameters PortableModelParameters::from_text(const std::string& text,
                                                           const std::string& what) {
  const KeyValueText kv = KeyValueText::parse(text, what);
  for (const auto& [key, value] : kv.entries()) {
    SE3T_CHECK(key == "species" || key == "energy_unit" || key == "threads" || key == "model_file",
               what, ": unknown key '", key,
               "' (expected species, energy_unit, threads, model_file)");
  }
  PortableModelParameters p;
  std::istringstream species(kv.get("species"));
  for (std::string s; species >> s;) {
    SE3T_CHECK(is_element_symbol(s), what, ": species '", s, "' is not an element symbol");
    p.species.push_back(s);
  }
  SE3T_CHECK(!p.species.empty(), what, ": species lists no element");
  p.energy_unit = kv.get("energy_unit");
  md::energy_unit_in_ev(p.energy_unit);  // throws naming the known units
  if (kv.has("threads")) p.threads = kv.integer("threads");
  SE3T_CHECK(p.threads >= 1, what, ": threads must be >= 1, got ", p.threads);
  if (kv.has("model_file")) p.model_file = kv.get("model_file");
  SE3T_CHECK(!p.model_file.empty(), what, ": model_file is empty");
  return p;
}

void check_kim_model(const MoleculeModelImpl& model, const std::string& what) {
  const MoleculeModelOptions& o = model.options();
  SE3T_CHECK(o.pooling == "sum", what, ": pooling \"", o.pooling,
             "\" has no per-atom energies; a KIM potential needs pooling = \"sum\"");
  SE3T_CHECK(o.cutoff > 0, what,
             ": the model is fully connected (no cutoff); a KIM potential needs a finite "
             "cutoff ([data].cutoff)");
  const EnergyStats& s = model.stats();
  // E = sum_el n_el e_el + mean + std * y: mean belongs to no atom. It is the mean residual of
  // the training energies, ~0 to round-off when every training structure has one composition.
  SE3T_CHECK(std::abs(s.mean) <= 1e-6 * s.std, what, ": the residual mean ", s.mean,
             " is not negligible against std ", s.std,
             " (|mean| > 1e-6 std): E is not a sum of atomic energies, so KIM cannot split it "
             "over atoms; train on structures of one composition or refit the reference "
             "energies");
}

double influence_distance(const MoleculeModelOptions& options) {
  return static_cast<double>(options.backbone.num_layers + 1) * options.cutoff;
}

void check_item_name(const std::string& name) {
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  SE3T_CHECK(ok, "KIM item name '", name,
             "' is not a C identifier (letters, digits and '_', not starting with a digit); "
             "OpenKIM's form is Prefix__MO_000000000000_000");
}

namespace {

std::string cmake_lists(const std::string& name) {
  std::ostringstream out;
  out << "# KIM portable model " << name << ": an se3t molecule model run by the model driver\n"
      << "# " << kDriverName << " (built with se3t). Install with\n"
      << "#   kim-api-collections-management install user THIS_DIRECTORY\n"
      << "# (or `install environment`, into $KIM_API_PORTABLE_MODELS_DIR).\n"
      << "cmake_minimum_required(VERSION 3.10)\n\n"
      << "list(APPEND CMAKE_PREFIX_PATH $ENV{KIM_API_CMAKE_PREFIX_DIR})\n"
      << "find_package(KIM-API-ITEMS 2.2 REQUIRED CONFIG)\n\n"
      << "kim_api_items_setup_before_project(ITEM_TYPE \"portableModel\")\n"
      << "project(" << name << ")\n"
      << "kim_api_items_setup_after_project(ITEM_TYPE \"portableModel\")\n\n"
      << "add_kim_api_model_library(\n"
      << "  NAME            ${PROJECT_NAME}\n"
      << "  DRIVER_NAME     \"" << kDriverName << "\"\n"
      << "  PARAMETER_FILES \"" << kParameterFileName << "\" \"" << kModelFileName << "\"\n"
      << "  )\n";
  return out.str();
}

std::string readme(const std::string& name, const PortableModelParameters& p,
                   const MoleculeModelOptions& o) {
  std::ostringstream out;
  out << name << "\n\nAn se3t SE(3)-Transformer molecule model as a KIM portable model, run by "
      << "the model driver " << kDriverName << ".\n\n"
      << "Species:";
  for (const auto& s : p.species) out << ' ' << s;
  out << "\nCutoff: " << o.cutoff << " A; influence distance: " << influence_distance(o) << " A ("
      << o.backbone.num_layers << " layers + the final convolution).\n"
      << "Model energies in " << p.energy_unit
      << ", converted by the driver to the simulator's units.\n\n"
      << "LAMMPS:\n  kim init " << name << " metal\n  kim interactions";
  for (const auto& s : p.species) out << ' ' << s;
  out << "\n";
  return out.str();
}

}  // namespace

void write_portable_model(MoleculeModelImpl& model, const std::string& dir, const std::string& name,
                          const std::string& energy_unit) {
  check_item_name(name);
  check_kim_model(model, "model");
  md::energy_unit_in_ev(energy_unit);
  std::error_code ec;
  const fs::path target(dir);
  if (fs::exists(target, ec)) {
    SE3T_CHECK(fs::is_directory(target, ec), "--out '", dir, "' exists and is not a directory");
    SE3T_CHECK(fs::is_empty(target, ec), "--out '", dir,
               "' is not empty: se3t export-kim writes a new directory and never replaces "
               "files");
  }
  PortableModelParameters p;
  for (int z : model.vocabulary().numbers()) p.species.push_back(element_symbol(z));
  p.energy_unit = energy_unit;

  // Everything goes into DIR.tmp-PID first, renamed into place at the end: an interrupted
  // export leaves no half-written directory under the requested name.
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const fs::path tmp = parent / (target.filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  SE3T_CHECK(fs::create_directories(tmp, ec), "cannot create '", tmp.string(), "': ", ec.message());
  try {
    write_file_atomic((tmp / "CMakeLists.txt").string(), cmake_lists(name), "CMakeLists.txt");
    write_file_atomic((tmp / kParameterFileName).string(), p.to_text(), "parameter file");
    write_file_atomic((tmp / "README").string(), readme(name, p, model.options()), "README");
    save_molecule_model(model, (tmp / kModelFileName).string());
    if (fs::exists(target, ec)) fs::remove(target, ec);  // the empty directory checked above
    fs::rename(tmp, target, ec);
    SE3T_CHECK(!ec, "cannot rename '", tmp.string(), "' to '", dir, "': ", ec.message());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace se3t::kim

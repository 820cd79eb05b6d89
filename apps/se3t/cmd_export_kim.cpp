// `se3t export-kim`: a trained molecule model as a KIM portable model source directory, for
// LAMMPS (kim init / kim interactions) and other KIM simulators through the se3t model driver
// (se3t/kim/portable_model.h; docs/design.md, LAMMPS through KIM).
#include <CLI/CLI.hpp>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>
#include <string>

#include "commands.h"
#include "se3t/kim/portable_model.h"
#include "se3t/md/units.h"
#include "se3t/models/molecule_model.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"

namespace se3t::cli {

namespace {
// --out's own name when it is a KIM portable model's name (as `kim-api-collections-management
// install` users name the directory), else SE3T_<stem>__MO_000000000000_000 of the checkpoint (of
// its directory for the generic model.pt, best_model.pt and checkpoint.pt), reduced to letters,
// digits and '_'.
std::string default_name(const std::string& checkpoint, const std::string& out) {
  namespace fs = std::filesystem;
  const std::string out_name = fs::path(out).lexically_normal().filename().string();
  // KIM's naming convention for portable models: Prefix__MO_<12 digits>_<3 digits>.
  if (std::regex_match(out_name, std::regex("[A-Za-z][A-Za-z0-9_]*__MO_[0-9]{12}_[0-9]{3}"))) {
    return out_name;
  }
  const fs::path path(checkpoint);
  std::string stem = path.stem().string();
  if ((stem == "model" || stem == "best_model" || stem == "checkpoint") &&
      !fs::absolute(path).parent_path().filename().empty()) {
    stem = fs::absolute(path).parent_path().filename().string();
  }
  for (char& c : stem) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return "SE3T_" + stem + "__MO_000000000000_000";
}
}  // namespace

void add_export_kim_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, out, name, energy_unit = "kcal/mol";
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "export-kim", "Write a molecule model as a KIM portable model (for LAMMPS and others).");
  cmd->footer(
      std::string("Writes the source directory of a KIM portable model: CMakeLists.txt (KIM's\n"
                  "add_kim_api_model_library with DRIVER_NAME ") +
      kim::kDriverName +
      "), the\nmodel file and the text parameter file (species, energy unit, threads) that "
      "the\nse3t model driver reads.\n"
      "The model must pool with \"sum\" (per-atom energies) and have a cutoff r_c; its\n"
      "influence distance is (num_layers + 1) r_c. The per-structure constant `mean` is\n"
      "no atom's and is dropped: models with |mean| > 1e-6 std are refused.\n"
      "Energies are converted from --energy-unit to the simulator's units (eV and A for\n"
      "LAMMPS units metal). --out must not exist or be empty.\n\n"
      "Install (the driver from se3t's build, then the model), without touching $HOME:\n"
      "  export KIM_API_MODEL_DRIVERS_DIR=<se3t build>/kim/model-drivers\n"
      "  export KIM_API_PORTABLE_MODELS_DIR=<a directory>\n"
      "  kim-api-collections-management install environment <--out>\n"
      "or `install user <--out>` (~/.kim-api). In LAMMPS:\n"
      "  kim init <NAME> metal\n"
      "  kim interactions <elements of the atom types, e.g. H C O>");
  cmd->add_option("--checkpoint", opts->checkpoint,
                  "molecule model or training checkpoint (from se3t train)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "the portable model's source directory (new or empty)")
      ->required();
  cmd->add_option("--name", opts->name,
                  "KIM item name, a C identifier (default: --out's name if it is NAME__MO_<12 "
                  "digits>_<3 digits>, else "
                  "SE3T_<checkpoint stem, or its directory for model.pt>__MO_000000000000_000)");
  cmd->add_option("--energy-unit", opts->energy_unit, "unit of the model's energies")
      ->capture_default_str()
      ->check(CLI::IsMember(md::energy_unit_names()));
  cmd->callback([opts] {
    run_guarded("export-kim", [&] {
      const Options& o = *opts;
      const std::string name = o.name.empty() ? default_name(o.checkpoint, o.out) : o.name;
      kim::check_item_name(name);
      namespace fs = std::filesystem;
      std::error_code ec;
      SE3T_CHECK(!fs::equivalent(o.out, o.checkpoint, ec), "--out is the checkpoint itself");
      MoleculeModel model = load_molecule_model(o.checkpoint);
      kim::write_portable_model(*model, o.out, name, o.energy_unit);
      std::printf(
          "{\"name\": %s, \"out\": %s, \"driver\": %s, \"cutoff\": %.17g, "
          "\"influence_distance\": %.17g, \"energy_unit\": %s}\n",
          json_string(name).c_str(), json_string(o.out).c_str(),
          json_string(kim::kDriverName).c_str(), model->options().cutoff,
          kim::influence_distance(model->options()), json_string(o.energy_unit).c_str());
      if (!model->options().smooth_cutoff) {
        std::cerr << "se3t export-kim: warning: the model has no smooth cutoff, so its energy "
                     "jumps as atoms cross r_c = "
                  << model->options().cutoff << " A (MD will not conserve energy)\n";
      }
      return 0;
    });
  });
}

}  // namespace se3t::cli

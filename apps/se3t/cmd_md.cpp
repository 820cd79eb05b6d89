// `se3t md`: molecular dynamics with a trained molecule model as the potential
// (se3t/md/md_run.h), from a frame of an extended XYZ file or a restart file.
#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "se3t/md/maxwell_boltzmann.h"
#include "se3t/md/md_run.h"
#include "se3t/md/molecule_potential.h"
#include "se3t/md/trajectory.h"
#include "se3t/md/units.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"
#include "se3t/util/output_path.h"
#include "se3t/util/progress.h"
#include "se3t/util/text.h"
#include "se3t/util/threads.h"

namespace se3t::cli {

namespace {

struct Options {
  std::vector<std::string> checkpoints;
  std::string data, out, log, restart, save_restart, energy_unit = "kcal/mol";
  int64_t frame = 0, steps = 0, every = 10, stop_after = -1, threads = 1;
  md::MdSettings settings;
  bool overwrite = false, quiet = false;
};

// traj.extxyz -> traj.restart.extxyz
std::string default_restart_path(const std::string& out) {
  for (const std::string ext : {".extxyz", ".xyz"}) {
    if (out.size() > ext.size() && out.compare(out.size() - ext.size(), ext.size(), ext) == 0) {
      return out.substr(0, out.size() - ext.size()) + ".restart" + ext;
    }
  }
  return out + ".restart";
}

int run(const Options& o, const CLI::App& cmd) {
  SE3T_CHECK(!o.data.empty() || !o.restart.empty(), "give --data (a start frame) or --restart");
  const std::string save_restart =
      o.save_restart.empty() ? default_restart_path(o.out) : o.save_restart;
  std::vector<std::string> inputs = o.checkpoints;
  if (!o.data.empty()) inputs.push_back(o.data);
  if (!o.restart.empty()) inputs.push_back(o.restart);
  check_output_path(o.out, inputs, o.overwrite, "--out");
  if (!o.log.empty()) check_output_path(o.log, inputs, o.overwrite, "--log");
  // The restart file a run continues from is replaced by the one it ends with only when asked.
  check_output_path(save_restart, inputs, o.overwrite, "--save-restart");
  SE3T_CHECK(o.log != o.out && save_restart != o.out && save_restart != o.log,
             "--out, --log and --save-restart must be different files");
  const int64_t threads = configure_threads(o.threads);

  md::MdState state;
  md::MdSettings settings = o.settings;
  bool has_velocities = false;
  if (!o.restart.empty()) {
    md::Restart r = md::read_restart(o.restart);
    // The dynamics continue as they were; an option given again must agree.
    const auto same = [&](const char* flag, bool equal) {
      SE3T_CHECK(cmd.count(flag) == 0 || equal, flag, " differs from the restart file's (",
                 o.restart, "); leave it out to continue the run as it was");
    };
    same("--ensemble", o.settings.ensemble == r.settings.ensemble);
    same("--dt", o.settings.dt_fs == r.settings.dt_fs);
    same("--temperature", o.settings.temperature_k == r.settings.temperature_k);
    same("--friction", o.settings.friction_per_ps == r.settings.friction_per_ps);
    same("--seed", o.settings.seed == r.settings.seed);
    state = std::move(r.state);
    settings = r.settings;
  } else {
    const std::vector<Frame> frames = read_extxyz(o.data);
    const int64_t n = static_cast<int64_t>(frames.size());
    SE3T_CHECK(n > 0, o.data, " holds no frames");
    const int64_t k = o.frame < 0 ? n + o.frame : o.frame;
    SE3T_CHECK(k >= 0 && k < n, "--frame ", o.frame, " is out of range: ", o.data, " holds ", n,
               " frames (0 .. ", n - 1, ", or -1 for the last)");
    state =
        md::state_from_frame(frames[k], o.data + " frame " + std::to_string(k), &has_velocities);
    if (!has_velocities) {
      state.velocities =
          md::maxwell_boltzmann_velocities(state.masses, settings.temperature_k, settings.seed);
    }
  }
  settings.validate();
  md::MoleculePotential potential(load_molecule_ensemble(o.checkpoints), state.species,
                                  o.energy_unit);
  if (o.restart.empty()) md::evaluate_forces(state, potential);

  md::MdRunOptions run;
  run.steps = o.steps;
  run.every = o.every;
  run.trajectory = o.out;
  run.log = o.log;
  run.restart = save_restart;
  run.stop_after = o.stop_after;
  run.progress = !o.quiet && stderr_is_tty();
  const md::MdRunResult r = md::run_md(state, potential, settings, run, !o.restart.empty());
  const int64_t done = r.last.step - r.first.step;
  const double us_per_atom_step =
      done > 0 ? r.seconds * 1e6 / static_cast<double>(done * state.size()) : 0.0;
  std::printf(
      "{\"out\": %s, \"restart\": %s, \"potential\": %s, \"ensemble\": %s, \"dt_fs\": %s, "
      "\"atoms\": %lld, \"first_step\": %lld, \"last_step\": %lld, \"frames\": %lld, "
      "\"interrupted\": %s, \"initial_velocities\": %s, \"temperature_k\": %s, "
      "\"total_energy_ev\": %s, \"max_energy_drift_ev\": %s, \"us_per_atom_step\": %s, "
      "\"threads\": %lld}\n",
      json_string(o.out).c_str(), json_string(save_restart).c_str(),
      json_string(potential.describe()).c_str(), json_string(settings.ensemble).c_str(),
      json_number(settings.dt_fs).c_str(), static_cast<long long>(state.size()),
      static_cast<long long>(r.first.step), static_cast<long long>(r.last.step),
      static_cast<long long>(r.frames), r.interrupted ? "true" : "false",
      json_string(!o.restart.empty() ? "restart"
                  : has_velocities   ? "frame"
                                     : "maxwell-boltzmann")
          .c_str(),
      json_number(r.last.temperature_k).c_str(), json_number(r.last.total).c_str(),
      json_number(r.max_energy_drift).c_str(), json_number(us_per_atom_step).c_str(),
      static_cast<long long>(threads));
  if (r.interrupted) {
    std::fprintf(stderr, "se3t md: interrupted at step %lld; continue with --restart %s\n",
                 static_cast<long long>(r.last.step), save_restart.c_str());
    return 130;
  }
  return 0;
}

}  // namespace

void add_md_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "md", "Molecular dynamics with a trained molecule model as the potential.");
  cmd->footer(
      "Integrates Newton's equations from a frame of --data (extended XYZ) with the energy and\n"
      "forces F = -dE/dx of the molecule model of --checkpoint (several: their ensemble mean),\n"
      "the predictions of se3t predict --forces. NVE by velocity Verlet, or NVT by Langevin\n"
      "(BAOAB) at --temperature with friction --friction (1/ps). Initial velocities: the\n"
      "frame's velocities:R:3 column (A/fs) if it has one, else Maxwell-Boltzmann at\n"
      "--temperature from --seed with zero total momentum. A Lattice/pbc in the frame keeps\n"
      "atoms wrapped into the cell; a periodic one needs a model trained with a cutoff (fully\n"
      "connected models only accept pbc=\"F F F\").\n"
      "\n"
      "Units: A, fs, amu; energies in eV, converted from the model's --energy-unit (kcal/mol\n"
      "for the shipped data sets). --out gets a frame every --every steps (forces eV/A,\n"
      "velocities A/fs, info step, time_fs, energy, kinetic_energy, temperature), --log the\n"
      "thermo CSV (step, time_fs, potential_ev, kinetic_ev, total_ev, temperature_k; 3N - 3\n"
      "degrees of freedom for NVE, 3N for Langevin). Files are written through temporaries and\n"
      "renamed at the end; Ctrl-C stops after the current step, writes them, and exits with 130.\n"
      "Every run ends with a restart file (--save-restart, default OUT.restart.extxyz):\n"
      "--restart FILE continues from it bit for bit to --steps, with the same --checkpoint,\n"
      "writing the frames after its step. Prints a JSON summary.");
  cmd->add_option("--checkpoint", opts->checkpoints,
                  "molecule model (from se3t train); repeat for an ensemble")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", opts->data, "start frames (.extxyz)")->check(CLI::ExistingFile);
  cmd->add_option("--frame", opts->frame, "index of the start frame in --data (-1: the last)")
      ->capture_default_str();
  cmd->add_option("--steps", opts->steps, "the run ends at this step")
      ->required()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--dt", opts->settings.dt_fs, "time step (fs)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--ensemble", opts->settings.ensemble, "nve or langevin")
      ->capture_default_str()
      ->check(CLI::IsMember({"nve", "langevin"}));
  cmd->add_option("--temperature", opts->settings.temperature_k,
                  "Langevin and initial-velocity temperature (K)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--friction", opts->settings.friction_per_ps, "Langevin friction (1/ps)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opts->settings.seed, "initial velocities and Langevin noise")
      ->capture_default_str();
  cmd->add_option("--energy-unit", opts->energy_unit, "unit of the model's energies")
      ->capture_default_str()
      ->check(CLI::IsMember(md::energy_unit_names()));
  cmd->add_option("--out", opts->out, "trajectory (.extxyz)")->required();
  cmd->add_option("--every", opts->every, "a trajectory frame and log row every K steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--log", opts->log, "thermo log (.csv)");
  cmd->add_option("--restart", opts->restart, "continue from this restart file")
      ->check(CLI::ExistingFile)
      ->excludes("--data")
      ->excludes("--frame");
  cmd->add_option("--save-restart", opts->save_restart,
                  "restart file written at the end (default: OUT.restart.extxyz)");
  cmd->add_option("--stop-after", opts->stop_after,
                  "stop as if interrupted after this many steps (restart file, exit status 130)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--overwrite", opts->overwrite, "replace existing output files (never an input)");
  cmd->add_flag("--quiet", opts->quiet, "no progress bar");
  cmd->add_option("--threads", opts->threads, "intra-op threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  cmd->callback([opts, cmd] { run_guarded("md", [&] { return run(*opts, *cmd); }); });
}

}  // namespace se3t::cli

// `se3t predict`: energies (and forces) of a trained molecule model for every frame of an
// extended XYZ file, written as extended XYZ.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "se3t/config/train_config.h"
#include "se3t/data/extxyz.h"
#include "se3t/models/molecule_ensemble.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"
#include "se3t/util/output_path.h"
#include "sharding.h"

namespace se3t::cli {

void add_predict_command(CLI::App& app) {
  struct Options {
    std::vector<std::string> checkpoints;
    std::string data, out;
    bool forces = false, overwrite = false;
    int64_t batch_size = 64, threads = 0;
    int nproc = 0;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "predict", "Predict energies (and forces) of molecules with a trained molecule model.");
  cmd->footer(
      "Reads every frame of --data (extended XYZ), predicts its energy with the molecule model\n"
      "of --checkpoint (checkpoint.pt or best_model.pt of a task = \"molecules\" run) and writes\n"
      "the frames to --out with energy=<prediction> (the input's own energy, if any, is kept as\n"
      "energy_ref) and, with --forces, per-atom forces:R:3 = -dE/dx (the input's forces are\n"
      "replaced) and, for periodic frames (Lattice, pbc), stress=\"<3x3>\" = (1/V) dE/d(strain)\n"
      "in ASE's convention (the input's stress kept as stress_ref). Several --checkpoint files\n"
      "(models trained from different seeds) predict as an ensemble: the mean of their\n"
      "energies, forces and stresses, and energy_std = the members'\n"
      "standard deviation, an uncertainty estimate. Units are those of the training data\n"
      "(kcal/mol, kcal/mol/A for the shipped sets). The output is written to a temporary file\n"
      "and renamed; an existing --out is replaced only with --overwrite, and never when it is\n"
      "the input. Prints a JSON summary.\n"
      "\n"
      "--nproc N shares the batches among N local processes (or the torchrun variables make\n"
      "this one rank of a job): each predicts every N-th batch, rank 0 writes the frames in\n"
      "input order, the same file as one process.");
  cmd->add_option("--checkpoint", opts->checkpoints,
                  "molecule model (from se3t train); repeat for an ensemble")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", opts->data, "input frames (.extxyz)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "output file (.extxyz)")->required();
  cmd->add_flag("--forces", opts->forces, "also predict forces F = -dE/dx");
  cmd->add_flag("--overwrite", opts->overwrite, "replace an existing --out file (never --data)");
  cmd->add_option("--batch-size", opts->batch_size, "molecules per forward pass")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--threads", opts->threads, "intra-op threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--nproc", opts->nproc,
                  "share the batches among this many local processes, each with --threads "
                  "threads (0 threads: the cores shared among them)")
      ->check(CLI::Range(1, 1024));
  cmd->callback([opts] {
    run_guarded("predict", [&] {
      std::vector<std::string> inputs = opts->checkpoints;
      inputs.push_back(opts->data);
      const distributed::World world = distributed::world_from_environment();
      // Rank 0 writes the output: it (or the launcher of --nproc) checks it before any work.
      if (world.rank == 0) check_output_path(opts->out, inputs, opts->overwrite, "--out");
      if (const auto code = launch_sharded(opts->nproc)) return *code;
      const MoleculeEnsemble ensemble = load_molecule_ensemble(opts->checkpoints);
      std::vector<Frame> input = read_extxyz(opts->data);
      const Shards shards = join_shards(opts->threads, TrainConfig().collective_timeout_s);
      const std::vector<Frame> frames =
          predict_frames(ensemble, std::move(input), opts->forces, opts->batch_size, opts->data,
                         shards.batch_rows);
      if (!shards.root()) return 0;
      const int64_t n = static_cast<int64_t>(frames.size());
      write_extxyz(opts->out, frames);  // atomic: never a truncated output
      std::printf(
          "{\"checkpoints\": %s, \"data\": %s, \"out\": %s, \"frames\": %lld, "
          "\"forces\": %s, \"processes\": %d}\n",
          json_string_list(opts->checkpoints).c_str(), json_string(opts->data).c_str(),
          json_string(opts->out).c_str(), static_cast<long long>(n),
          opts->forces ? "true" : "false", shards.world.size);
      return 0;
    });
  });
}

}  // namespace se3t::cli

// `se3t eval`: evaluates a trained N-body model (or the Linear baseline) on a data split, or
// molecule models (one, or an ensemble averaged) on a split of a molecule config.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "se3t/config/train_config.h"
#include "se3t/data/nbody_files.h"
#include "se3t/tasks/molecule_task.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/train/checkpoint.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"
#include "se3t/util/text.h"
#include "sharding.h"

namespace se3t::cli {

namespace {

struct EvalCommandOptions {
  std::vector<std::string> checkpoints;
  std::string config, data, split = "test", baseline, frames;
  int64_t input_frame = -1, target_frame = -1, rotations = 4, batch_size = 100, threads = 0;
  int64_t num_samples = -1;
  uint64_t seed = 0;
  bool allow_nonfinite = false;
  int nproc = 0;
};

// Molecule models (one, or an ensemble) on a split of a molecule config.
int eval_molecules(const EvalCommandOptions& o) {
  SE3T_CHECK(config_task(read_text(o.config, "config"), o.config) == "molecules", "--config '",
             o.config,
             "' is not a task = \"molecules\" config (N-body evaluation reads the checkpoint's "
             "own config)");
  SE3T_CHECK(!o.checkpoints.empty(), "give --checkpoint FILE (repeat it for an ensemble)");
  SE3T_CHECK(o.baseline.empty(), "--baseline is for N-body data, not molecules");
  MoleculeConfig config = MoleculeConfig::load(o.config);
  if (const auto code = launch_sharded(o.nproc)) return *code;
  if (!o.data.empty()) config.data.file = o.data;
  const MoleculeEnsemble ensemble = load_molecule_ensemble(o.checkpoints);
  const MoleculeSplits splits = load_molecule_splits(config.data);
  const std::vector<Molecule>& molecules = o.split == "train"   ? splits.train
                                           : o.split == "valid" ? splits.valid
                                                                : splits.test;
  SE3T_CHECK(!molecules.empty(), "the ", o.split, " split of ", o.config, " is empty");
  const bool forces = config.loss.forces();
  const Shards shards = join_shards(o.threads, config.train.collective_timeout_s);
  const int64_t threads = shards.threads;
  const MoleculeMetrics m =
      evaluate_molecules(ensemble, molecules, forces, o.batch_size, shards.batch_rows);
  if (!shards.root()) return 0;
  SE3T_CHECK(o.allow_nonfinite || std::isfinite(m.energy_mae), "the models' predictions on the ",
             o.split, " split of ", o.config, " are not finite (energy_mae ", m.energy_mae,
             "); --allow-nonfinite reports them as null");
  std::string json = m.to_json();
  json.insert(1, "\"task\": \"molecules\", \"config\": " + json_string(o.config) +
                     ", \"checkpoints\": " + json_string_list(o.checkpoints) + ", \"members\": " +
                     std::to_string(ensemble.size()) + ", \"split\": " + json_string(o.split) +
                     ", \"threads\": " + std::to_string(threads) +
                     ", \"processes\": " + std::to_string(shards.world.size) + ", ");
  std::printf("%s\n", json.c_str());
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto opts = std::make_shared<EvalCommandOptions>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate an N-body model, the Linear baseline, or molecule models (one or an ensemble) on "
      "a data split (JSON).");
  cmd->footer(
      "Evaluates an N-body model on a split of a data directory and prints JSON:\n"
      "mse_position and mse_velocity (means over simulations, particles and coordinates, in\n"
      "simulator units), equivariance_error_position (the paper's |L Phi(f) - Phi(L f)| /\n"
      "|L Phi(f)| of the predicted positions, L a random rotation of positions and velocities\n"
      "plus a random translation, averaged over --rotations draws) and num_samples.\n"
      "Give either --checkpoint (from se3t train) or --baseline linear (x_T = x_0 + v_0 t,\n"
      "v_T = v_0, t = (target_frame - input_frame) * sample_freq * dt of the data set).\n"
      "Frames default to the checkpoint's config, else to the data set's protocol; an explicit\n"
      "--input-frame or --target-frame evaluates those frames (--frames fixed) unless --frames\n"
      "says otherwise. Non-finite metrics are an error unless --allow-nonfinite.\n"
      "\n"
      "Molecules: --config names the task = \"molecules\" config whose split to use (the data\n"
      "file and the seeded split of [data]; --data replaces [data].file) and --checkpoint the\n"
      "model (checkpoint.pt or best_model.pt). Several --checkpoint files are evaluated as an\n"
      "ensemble: the mean of their predictions, energy_std the members' mean spread. Prints\n"
      "energy_mae and energy_rmse (and force_mae, force_rmse when the config trains on forces;\n"
      "stress_mae, stress_rmse per Voigt component when every frame has a stress) in the data's\n"
      "units.\n"
      "\n"
      "--nproc N shares the batches among N local processes (or the torchrun variables make\n"
      "this one rank of a job); the metrics are those of one process, bit for bit.");
  auto* ck = cmd->add_option("--checkpoint", opts->checkpoints,
                             "checkpoint of a training run (molecules: repeat for an ensemble)")
                 ->check(CLI::ExistingFile);
  cmd->add_option("--config", opts->config,
                  "molecule evaluation: the task = \"molecules\" config that defines the split")
      ->check(CLI::ExistingFile);
  auto* bl = cmd->add_option("--baseline", opts->baseline, "evaluate a baseline instead: linear")
                 ->check(CLI::IsMember({"linear"}));
  ck->excludes(bl);
  cmd->add_option("--data", opts->data,
                  "N-body: data directory (from se3t nbody generate); molecules: replaces "
                  "[data].file");
  cmd->add_option("--split", opts->split, "train | valid | test")
      ->capture_default_str()
      ->check(CLI::IsMember({"train", "valid", "test"}));
  cmd->add_option("--input-frame", opts->input_frame, "input frame index")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--target-frame", opts->target_frame, "target frame index")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option(
         "--frames", opts->frames,
         "fixed: every simulation at the input frame; spread: input frames spread\n"
         "evenly over the trajectory, target the same number of frames later (how the\n"
         "paper's code evaluated). Default: the checkpoint's [data].eval_frames, else fixed")
      ->check(CLI::IsMember({"fixed", "spread"}));
  cmd->add_option("--rotations", opts->rotations,
                  "random rotations+translations for the equivariance error (0: skip)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--num-samples", opts->num_samples, "evaluate only the first N simulations")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", opts->batch_size, "simulations per forward pass")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", opts->seed, "seed of the random rotations")->capture_default_str();
  cmd->add_flag("--allow-nonfinite", opts->allow_nonfinite,
                "report non-finite metrics as null (exit 0) instead of failing");
  cmd->add_option("--threads", opts->threads, "intra-op threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--nproc", opts->nproc,
                  "share the batches among this many local processes, each with --threads "
                  "threads (0 threads: the cores shared among them)")
      ->check(CLI::Range(1, 1024));
  cmd->callback([opts] {
    run_guarded("eval", [&] {
      if (!opts->config.empty()) return eval_molecules(*opts);
      SE3T_CHECK(!opts->checkpoints.empty() || !opts->baseline.empty(),
                 "give --checkpoint FILE or --baseline linear");
      SE3T_CHECK(opts->checkpoints.size() <= 1,
                 "N-body evaluation takes one --checkpoint (ensembles: molecules only)");
      SE3T_CHECK(!opts->data.empty(), "give --data DIR (from se3t nbody generate)");
      SE3T_CHECK(std::filesystem::is_directory(opts->data), "--data '", opts->data,
                 "' is not a directory (N-body data from se3t nbody generate)");
      const std::string checkpoint = opts->checkpoints.empty() ? "" : opts->checkpoints[0];
      if (const auto code = launch_sharded(opts->nproc)) return *code;
      double timeout_s = TrainConfig().collective_timeout_s;
      // Frames: flags, else the training config, else the data set's protocol.
      const auto info = read_nbody_info(opts->data);
      const NBodyOptions data_options = nbody_data_options(opts->data, "paper");
      int64_t input_frame = data_options.input_frame, target_frame = data_options.target_frame;
      std::string model_type = "linear", frames = "fixed";
      double residual_interval = 0.0;
      NBodyPredictor predict;
      if (!checkpoint.empty()) {
        const std::string config_text = checkpoint_config(checkpoint);
        if (!config_text.empty()) {
          const NBodyConfig c = NBodyConfig::parse(config_text, checkpoint + " (stored config)");
          input_frame = c.data.input_frame;
          target_frame = c.data.target_frame;
          frames = c.data.eval_frames;
          timeout_s = c.train.collective_timeout_s;
        }
        NBodyModel model = load_nbody_model(checkpoint);
        residual_interval = model->residual_interval();
        model_type = model->options().attention ? "se3_transformer" : "tfn";
        predict = model_predictor(model);
      }
      if (opts->input_frame >= 0) input_frame = opts->input_frame;
      if (opts->target_frame >= 0) target_frame = opts->target_frame;
      // Explicit frames mean those frames, not the checkpoint's spread of input frames.
      if (opts->input_frame >= 0 || opts->target_frame >= 0) frames = "fixed";
      if (!opts->frames.empty()) frames = opts->frames;
      NBodySplit split = load_nbody_split(opts->data, opts->split);
      if (opts->num_samples > 0) {
        split =
            take_simulations(split, std::min(opts->num_samples, split.num_sims()), "--num-samples");
      }
      const NBodyDataset data(std::move(split), input_frame, target_frame);
      const double interval = nbody_interval(data_options, input_frame, target_frame);
      if (!predict) predict = linear_predictor(interval);
      // A residual model adds v_0 t for the interval it was trained on; another one would be
      // scored on a task it was never set.
      SE3T_CHECK(residual_interval == 0.0 ||
                     std::abs(residual_interval - interval) <= 1e-9 * residual_interval,
                 checkpoint, " predicts ", residual_interval,
                 " time units ahead (residual = true), but frames ", input_frame, " -> ",
                 target_frame, " of this data set are ", interval,
                 " apart: give the --input-frame and --target-frame it was trained for");
      EvalOptions eo;
      eo.batch_size = opts->batch_size;
      eo.rotations = opts->rotations;
      eo.seed = opts->seed;
      eo.spread_input_frames = frames == "spread";
      const Shards shards = join_shards(opts->threads, timeout_s);
      const int64_t threads = shards.threads;
      const NBodyMetrics m = evaluate_nbody(predict, data, eo, shards.batch_rows);
      if (!shards.root()) return 0;
      SE3T_CHECK(
          opts->allow_nonfinite || (std::isfinite(m.mse_position) && std::isfinite(m.mse_velocity)),
          "the model's predictions on ", opts->data, " (", opts->split,
          ") are not finite (mse_position ", m.mse_position, ", mse_velocity ", m.mse_velocity,
          "); --allow-nonfinite reports them as null");
      std::string json = m.to_json();
      std::string head = "\"model\": " + json_string(model_type) + ", ";
      if (!checkpoint.empty()) head += "\"checkpoint\": " + json_string(checkpoint) + ", ";
      head += "\"data\": " + json_string(opts->data) + ", \"split\": " + json_string(opts->split) +
              ", \"protocol\": " + json_string(info ? info->protocol : "unknown") +
              ", \"input_frame\": " + std::to_string(input_frame) +
              ", \"target_frame\": " + std::to_string(target_frame) +
              ", \"frames\": " + json_string(frames) + ", \"interval\": " + json_number(interval) +
              ", \"threads\": " + std::to_string(threads) +
              ", \"processes\": " + std::to_string(shards.world.size) + ", ";
      json.insert(1, head);
      std::printf("%s\n", json.c_str());
      return 0;
    });
  });
}

}  // namespace se3t::cli

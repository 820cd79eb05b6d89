// Training checkpoints of the N-body experiment.
//
// One file holds everything a run needs to continue bit-exactly: the network in save_model's
// format (its options as "se3t_options" and its parameters at the top level, so load_model
// reads a training checkpoint as it is), the optimizer state, the position in the run (epoch,
// step within the epoch, partial sums of the running epoch), the data-order seed, the torch
// CPU generator state, the config the run was started with, and the metric history. Files are
// written to "<path>.tmp" and renamed over <path>, so a crash never leaves a truncated
// checkpoint and no ".tmp" file stays behind after a successful save.
#pragma once
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <string>
#include <vector>

#include "se3t/models/nbody_model.h"

namespace se3t {

// One row of metrics.csv / metrics.jsonl. Validation fields are NaN for epochs without
// validation.
struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  int64_t step = 0;   // optimizer steps so far
  double lr = 0.0;    // learning rate of the epoch's last step
  double train_loss = 0.0;
  double valid_loss = 0.0;
  double valid_mse_position = 0.0;
  double valid_mse_velocity = 0.0;
  double epoch_time_s = 0.0;
  double elapsed_s = 0.0;
};

struct TrainState {
  int64_t epoch = 0;          // the epoch in progress (0-based); == epochs when finished
  int64_t step_in_epoch = 0;  // optimizer steps of `epoch` already taken
  int64_t global_step = 0;
  double epoch_loss_sum = 0.0;  // sum over the epoch's steps of loss * batch entries
  int64_t epoch_samples = 0;
  double epoch_time_s = 0.0;  // time already spent in `epoch`
  double elapsed_s = 0.0;     // training time over all invocations
  uint64_t data_seed = 0;     // each epoch's order comes from (data_seed, epoch)
  std::string config_toml;    // Config::to_toml() of the run
  std::vector<EpochRecord> history;
};

void save_checkpoint(const std::string& path, NBodyModelImpl& model,
                     const torch::optim::Optimizer& optimizer, const TrainState& state);

// Restores the parameters into `model` (whose options must equal the stored ones), the
// optimizer state, and the torch CPU generator; returns the training state.
TrainState load_checkpoint(const std::string& path, NBodyModelImpl& model,
                           torch::optim::Optimizer& optimizer);

// The config text stored in a training checkpoint ("" for a bare save_model file).
std::string checkpoint_config(const std::string& path);

// The network of a checkpoint (training checkpoint or save_model file), as an NBodyModel.
NBodyModel load_nbody_model(const std::string& path);

}  // namespace se3t

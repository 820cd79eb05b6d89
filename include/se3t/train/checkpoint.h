// Training checkpoints: one file holds everything a run needs to continue bit-exactly: the
// task's model entries (so the checkpoint is also a model file for se3t eval and predict), the
// optimizer state, the position in the run (epoch, step within the epoch, partial sums of the
// running epoch), the best validation loss so far, the torch CPU generator state, the config
// the run was started with, and the metric history. Written atomically (temp file + rename).
//
// With a weight average (se3t/train/weight_average.h) the model entries hold the averaged
// weights, what se3t eval and predict should use, and the training state the optimizer's live
// ones ("live_weights"), so that a resumed run continues both.
//
// Versions: training state version 2 (this layout). Checkpoints of older se3t (version 1, or
// none for molecule runs) still load as models for eval and predict; --resume refuses them.
#pragma once
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "se3t/train/metrics.h"
#include "se3t/train/task.h"
#include "se3t/train/weight_average.h"

namespace se3t {

struct TrainState {
  int64_t epoch = 0;          // the epoch in progress (0-based); == epochs when finished
  int64_t step_in_epoch = 0;  // optimizer steps of `epoch` already taken
  int64_t global_step = 0;
  double epoch_loss_sum = 0.0;  // sum over the epoch's steps of loss * batch entries
  int64_t epoch_samples = 0;
  double epoch_time_s = 0.0;  // time already spent in `epoch`
  double elapsed_s = 0.0;     // training time over all invocations
  double best_valid = std::numeric_limits<double>::infinity();
  std::string config_toml;  // the run's config
  std::vector<EpochRecord> history;
};

void save_checkpoint(const std::string& path, Task& task, const torch::optim::Optimizer& optimizer,
                     const TrainState& state, WeightAverage* average = nullptr);
// Restores the model (Task::read_model), the optimizer and the torch CPU generator; returns the
// training state. The history's metric columns must be the task's. With `average`, a checkpoint
// written with one restores both the average and the live weights; one written without is
// refused.
TrainState load_checkpoint(const std::string& path, Task& task, torch::optim::Optimizer& optimizer,
                           WeightAverage* average = nullptr);

// The config text stored in a training checkpoint ("" for a model file without one).
std::string checkpoint_config(const std::string& path);

// A model file holding only the task's model entries (best_model.pt), atomically.
void save_model_file(const std::string& path, Task& task);
// Reads a model file into the task's built model.
void load_model_file(const std::string& path, Task& task);

}  // namespace se3t

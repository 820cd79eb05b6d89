// What a training task supplies to the one training loop (se3t/train/fit.h): its config, its
// data, the batches of an epoch, the loss of a batch, named metrics on a split, and what its
// model file holds. Everything else (optimizer, schedule, progress, metric files, validation,
// best model, checkpoints, interrupts, resume) is the loop's. N-body (se3t/tasks/nbody_task.h)
// and molecules (se3t/tasks/molecule_task.h) are tasks.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/serialize/archive.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "se3t/config/experiment_config.h"

namespace se3t {

enum class Split { kTrain, kValid, kTest };
const char* to_string(Split split);

// A task's metrics on a split.
struct Metrics {
  double loss = NAN;  // the training loss on the split (what selects the best model)
  // The task's named metrics, in the order of Task::metric_names(); NaN when not measured.
  std::vector<double> values;
  std::string json;   // every metric as one JSON object (task-specific keys)
  int64_t count = 0;  // samples evaluated; 0: not evaluated
};

class Task {
 public:
  virtual ~Task() = default;

  virtual ExperimentConfig& config() = 0;
  const ExperimentConfig& config() const { return const_cast<Task*>(this)->config(); }
  // The config text of a checkpoint read as this task's config: its resume fingerprint.
  virtual std::string resume_fingerprint_of(const std::string& config_toml,
                                            const std::string& source) const = 0;

  // Loads (or generates) the data. `log` receives progress lines (nullptr: quiet).
  virtual void load_data(std::ostream* log) = 0;
  // One line describing the run, after load_data.
  virtual std::string describe() const = 0;
  // Builds the model, after load_data and torch::manual_seed(train.seed). A task whose model
  // has no parameters (a baseline) is evaluated, not trained.
  virtual void build_model() = 0;
  virtual torch::nn::Module& module() = 0;

  virtual int64_t num_train() const = 0;
  // Fixes epoch `epoch`'s order of the training samples from (seed, epoch) alone, so a resumed
  // run takes the same batches as an uninterrupted one.
  virtual void begin_epoch(uint64_t seed, int64_t epoch) = 0;
  // The loss of batch [batch_begin, batch_end) of the epoch's order restricted to its samples
  // [begin, end) (their forward pass included): those samples' terms over the whole batch's
  // normalisers (samples, atoms, force components), so that the losses of the parts of a
  // partition of the batch sum to the batch's loss. Data-parallel training gives each process
  // one part (se3t/distributed/data_parallel.h).
  virtual at::Tensor batch_loss(int64_t begin, int64_t end, int64_t batch_begin,
                                int64_t batch_end) = 0;
  // The loss of batch [begin, end).
  at::Tensor batch_loss(int64_t begin, int64_t end) { return batch_loss(begin, end, begin, end); }

  // "valid"; "test" when the protocol has no validation split and its test split is monitored
  // instead (it then never selects a model); "" for neither.
  virtual std::string validation_split() const = 0;
  virtual bool has_test() const = 0;
  virtual std::vector<std::string> metric_names() const = 0;
  // Evaluation in batches, so that processes can share a split (se3t/distributed): batch b of
  // the split's eval_batches gives a row of partial sums (of a length fixed by the task), and
  // eval_metrics turns the rows of all batches, in batch order, into the split's metrics. Eval
  // mode, no gradients; the module's mode is restored.
  virtual int64_t eval_batches(Split split) = 0;
  virtual std::vector<double> eval_batch(Split split, int64_t batch) = 0;
  virtual Metrics eval_metrics(Split split, const std::vector<std::vector<double>>& rows) = 0;
  // Metrics of the current model: every batch, in this process.
  Metrics evaluate(Split split);
  // Fields of test_metrics.json before the metrics, e.g. "\"frames\": \"spread\", " (or "").
  virtual std::string test_header() const { return ""; }

  // The model entries of a model file (checkpoints and best_model.pt are model files that
  // se3t eval / predict read), and back into the built model: a file of another model is an
  // error that says so.
  virtual void write_model(torch::serialize::OutputArchive& archive) = 0;
  virtual void read_model(torch::serialize::InputArchive& archive, const std::string& path) = 0;
};

}  // namespace se3t

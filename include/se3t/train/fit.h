// The one training loop of se3t, for every task (se3t/train/task.h): Adam with the config's
// learning-rate schedule stepped every iteration, a progress bar with the run's ETA on a
// terminal (one line per epoch otherwise), validation every eval_every epochs, the best model
// on the validation split (best_model.pt; never chosen on test), metric files, an atomic
// checkpoint after every epoch, and the test metrics of the best model once at the end.
//
// Weight averaging ([train].ema_decay > 0, se3t/train/weight_average.h): the optimizer steps
// the live weights, and validation, best_model.pt, the checkpoint's model entries and the test
// use their exponential moving average.
//
// Reproducibility: the model is initialised from train.seed; epoch e's data order comes from
// (train.seed, e) alone (Task::begin_epoch). With the same thread count a resumed run takes
// exactly the same steps as an uninterrupted one, so --resume continues bit-exactly.
//
// Interrupts: SIGINT and SIGTERM finish the current step, write a valid checkpoint (mid-epoch,
// with the epoch's position) and return with interrupted = true (se3t train exits 130 with the
// command that resumes). A second SIGINT kills the process the usual way.
//
// Files in the output directory: checkpoint.pt, best_model.pt (when there is a validation
// split), config.toml (the run's config), metrics.csv, metrics.jsonl, learning_curve.svg,
// test_metrics.json (after the last epoch). A directory holding any of these files is never
// trained into again without resume or overwrite, and while a run writes into a directory it
// holds a lock on it (se3t/util/run_lock.h): a second run into it is refused.
//
// Data parallelism: with a communicator, each of the job's processes computes a part of every
// batch and the gradients are summed (se3t/distributed/data_parallel.h): the same run as one
// process up to round-off, so a checkpoint resumes with any number of processes. Rank 0 alone
// holds the lock and writes the files.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "se3t/distributed/communicator.h"
#include "se3t/train/metrics.h"
#include "se3t/train/task.h"

namespace se3t {

struct FitOptions {
  bool resume = false;     // continue out_dir/checkpoint.pt
  bool overwrite = false;  // replace the files of an earlier run in out_dir (else refused)
  std::string out_dir;     // non-empty: replaces train.out_dir
  std::string data;        // non-empty: replaces the task's data location
  int64_t epochs = -1;     // >= 0: replaces train.epochs (the cosine schedule follows it)
  int64_t threads = -1;    // >= 0: replaces train.threads
  // Replaces train.seed (initialisation and data order; not a data split): members of an
  // ensemble are one config trained from several seeds.
  std::optional<uint64_t> seed;
  bool verbose = true;  // log lines and the progress bar on stderr
  // Stop as if interrupted after this many optimizer steps of this invocation (< 0: never).
  int64_t stop_after_steps = -1;
  // Called after every optimizer step with the global step number (tests, monitoring).
  std::function<void(int64_t)> on_step;
  // A data-parallel job this process is one rank of (se3t/distributed/data_parallel.h); null:
  // a single process. Only rank 0 logs and writes files.
  std::shared_ptr<distributed::Communicator> communicator;
};

struct FitResult {
  bool interrupted = false;
  int64_t epochs_done = 0;  // complete epochs
  int64_t steps = 0;        // optimizer steps over the whole run
  int64_t threads = 0;      // intra-op threads used
  double wall_s = 0.0;      // this invocation
  std::string out_dir;
  std::string checkpoint;  // "" when nothing was trained (a baseline)
  std::string test_model;  // the model file the test metrics are of ("" if none)
  Metrics test;            // count 0 when not evaluated
  std::vector<EpochRecord> history;
};

// Applies the options' overrides to task.config(), then trains (or, for a task without
// parameters, evaluates) it.
FitResult fit(Task& task, const FitOptions& options = {});

}  // namespace se3t

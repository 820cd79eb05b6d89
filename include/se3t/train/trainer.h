// Training of the N-body models (SE(3)-Transformer / TFN; the Linear baseline is only
// evaluated): Adam, a cosine or constant learning rate stepped every iteration, validation,
// metric files, a learning curve, and a checkpoint after every epoch from which --resume
// continues bit-exactly.
//
// Reproducibility: the model is initialised from train.seed; epoch e's data order (and, with
// data.random_input_frame, its input frames) comes from a private mt19937_64 seeded with
// (train.seed, e), so it does not depend on anything that happened before. With the same
// thread count a resumed run takes exactly the same steps as an uninterrupted one.
//
// Interrupts: SIGINT and SIGTERM make the run finish the current step, write a valid
// checkpoint (mid-epoch, with the epoch's position) and return with interrupted = true.
// A second SIGINT kills the process the usual way.
//
// Files in out_dir: checkpoint.pt, config.toml (the config of the run), metrics.csv,
// metrics.jsonl, learning_curve.svg, test_metrics.json (after the last epoch).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "se3t/train/checkpoint.h"
#include "se3t/train/config.h"
#include "se3t/train/evaluate.h"

namespace se3t {

struct TrainOverrides {
  bool resume = false;   // continue out_dir/checkpoint.pt
  std::string out_dir;   // non-empty: replaces train.out_dir
  std::string data_dir;  // non-empty: replaces data.dir
  int64_t epochs = -1;   // >= 0: replaces train.epochs (the cosine schedule follows it)
  int64_t threads = -1;  // >= 0: replaces train.threads
  // Replaces train.seed (initialisation and data order; not the data split): members of an
  // ensemble are one config trained from several seeds.
  std::optional<uint64_t> seed;
  bool verbose = true;  // log lines and the progress bar on stderr
  // Stop as if interrupted after this many optimizer steps of this invocation (< 0: never).
  int64_t stop_after_steps = -1;
  // Called after every optimizer step with the global step number (tests, monitoring).
  std::function<void(int64_t)> on_step;
};

struct TrainResult {
  bool interrupted = false;
  int64_t epochs_done = 0;  // complete epochs
  int64_t steps = 0;        // optimizer steps over the whole run
  int64_t threads = 0;      // intra-op threads used
  double wall_s = 0.0;      // this invocation
  std::string out_dir;
  std::string checkpoint;  // "" for the Linear baseline
  NBodyMetrics test;       // on the test split after the last epoch (num_samples 0 if none)
  std::vector<EpochRecord> history;
};

TrainResult train_nbody(Config config, const TrainOverrides& overrides = {});

// Epoch `epoch`'s order of training simulations and their input frames (the fixed
// input_frame unless random), from (seed, epoch) alone.
struct EpochPlan {
  std::vector<int64_t> sims;
  std::vector<int64_t> input_frames;
};
EpochPlan epoch_plan(uint64_t seed, int64_t epoch, const NBodyDataset& train, bool random_frames);

}  // namespace se3t

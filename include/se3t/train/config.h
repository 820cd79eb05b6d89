// Experiment configuration: plain structs loaded from a TOML file with three tables, [data],
// [model] and [train] (see configs/nbody_*.toml for documented examples). Every key is
// optional; unknown tables or keys and values of the wrong type throw se3t::Error naming the
// key and the file. Relative paths (data.dir, train.out_dir) are taken relative to the working
// directory of the process, not to the file.
#pragma once
#include <cstdint>
#include <string>

#include "se3t/data/nbody_simulator.h"
#include "se3t/models/nbody_model.h"

namespace se3t {

struct DataConfig {
  std::string protocol = "paper";       // "paper" (SE(3)-Transformer) | "egnn"
  std::string dir = "runs/nbody/data";  // where the .npy files live or are generated
  // Split sizes and frames; the protocol's values unless the file sets them.
  int64_t num_train = 5000;
  int64_t num_valid = 0;
  int64_t num_test = 1000;
  uint64_t seed = 0;  // simulation seed
  int64_t input_frame = 0;
  int64_t target_frame = 5;
  // Draw each training sample's input frame uniformly from the frames that leave room for the
  // target (the paper's code did; ri_start_at = 'all'). Validation and test use input_frame.
  bool random_input_frame = false;
  // Input frames of validation and test: "fixed" (input_frame for every simulation) or
  // "spread" (spread evenly over the trajectory, as the paper's code evaluated; see
  // EvalOptions::spread_input_frames).
  std::string eval_frames = "fixed";

  // The simulator options of the protocol with this config's sizes and frames.
  NBodyOptions nbody_options() const;
};

struct ModelConfig {
  std::string type = "se3_transformer";  // "se3_transformer" | "tfn" | "linear"
  int64_t num_layers = 4;
  int64_t num_degrees = 4;  // hidden degrees 0 .. num_degrees - 1
  int64_t num_channels = 16;
  int64_t num_heads = 2;
  int64_t channels_div = 2;
  int64_t radial_hidden = 32;
  std::string self_interaction = "linear";  // "linear" | "attentive"
  std::string skip = "cat";                 // "cat" | "add"
  bool norm = true;

  bool is_linear() const { return type == "linear"; }
  // The network spec (throws for type "linear", which has no network).
  NBodyModelSpec spec() const;
};

struct TrainConfig {
  int64_t epochs = 100;
  int64_t batch_size = 64;
  double lr = 1e-3;
  double lr_min = -1.0;                // end of the cosine schedule; < 0: lr / 10
  std::string lr_schedule = "cosine";  // "cosine" | "constant"
  double weight_decay = 0.0;           // L2 penalty added to the gradient (Adam's weight_decay)
  uint64_t seed = 0;                   // model initialisation and data order
  int64_t threads = 0;                 // intra-op threads; 0: all hardware threads
  std::string out_dir = "runs/nbody";
  int64_t eval_every = 1;  // validate every this many epochs (and after the last)

  // Learning rate at fractional epoch t in [0, epochs] (the paper steps a cosine schedule every
  // iteration: CosineAnnealingWarmRestarts(T_0 = epochs, eta_min) over one period).
  double learning_rate(double t) const;
  double resolved_lr_min() const { return lr_min < 0.0 ? lr / 10.0 : lr_min; }
};

struct Config {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;

  // Throws se3t::Error (mentioning `source`) for out-of-range values.
  void validate(const std::string& source = "config") const;
  // TOML text that parse() reads back to the same config.
  std::string to_toml() const;
  // The settings a resumed run must share with the run it continues (everything except
  // train.epochs, train.threads, train.out_dir and train.eval_every), as TOML text.
  std::string resume_fingerprint() const;

  // `source` names the text in error messages (the file name).
  static Config parse(const std::string& text, const std::string& source);
  static Config load(const std::string& path);
};

}  // namespace se3t

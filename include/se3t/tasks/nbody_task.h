// The N-body task of the SE(3)-Transformer paper (§4.1; docs/design.md, N-body experiment): charged
// particles, input positions, velocities and charges at one frame, targets the positions and
// velocities a fixed number of frames later. Data from se3t's simulator in the NRI / EGNN .npy
// layout (se3t/data/nbody_files.h); loss the paper's MSE over (position change, velocity
// change); metrics the MSE of positions and velocities, and on test the equivariance error.
// Model type "linear" trains nothing: the Linear baseline is evaluated.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "se3t/config/experiment_config.h"
#include "se3t/data/nbody_files.h"
#include "se3t/models/nbody_model.h"
#include "se3t/tasks/nbody_evaluate.h"
#include "se3t/train/task.h"

namespace se3t {

struct NBodyDataConfig {
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

  void visit(FieldVisitor& v);
  // The protocol's sizes and frames (the defaults before a file is read).
  void use_protocol_defaults();
  // The simulator options of the protocol with this config's sizes and frames.
  NBodyOptions nbody_options() const;
};

// N-body settings of [model] beyond the backbone's.
struct NBodyHeadConfig {
  // Predict x_T = x_0 + v_0 t + network (the force-free motion plus a learned deviation, as
  // EGNN's position update) instead of x_T = x_0 + network; t = nbody_interval of the data.
  bool residual = false;

  void visit(FieldVisitor& v);
};

// N-body settings of [train] beyond the engine's: the loss and the augmentations.
struct NBodyLossConfig {
  // loss = (MSE(position change) + w MSE(velocity change)) / (1 + w): 1 is the paper's loss
  // (the mean over the stacked [N, 2, 3] target), 0 EGNN's (positions only). The validation
  // loss that selects the epoch uses the same weights.
  double velocity_weight = 1.0;
  // Each training sample is, with probability 1/2 per epoch, used time-reversed or with its
  // charges negated (se3t/data/nbody_augmentation.h).
  bool time_reversal = false;
  bool charge_flip = false;

  void visit(FieldVisitor& v);
  // (pos + w vel) / (1 + w), of the batch's tensors or of a split's metrics.
  template <class T>
  T combine(const T& pos, const T& vel) const {
    return (pos + velocity_weight * vel) / (1.0 + velocity_weight);
  }
};

class NBodyConfig : public ExperimentConfig {
 public:
  NBodyDataConfig data;
  NBodyHeadConfig head;
  NBodyLossConfig loss;

  NBodyConfig();
  std::string task() const override { return "nbody"; }
  ConfigSections sections() override;
  void set_data_path(const std::string& path) override { data.dir = path; }
  // The protocol's defaults apply to the keys the text does not set.
  void read(const std::string& text, const std::string& source) override;

  static NBodyConfig parse(const std::string& text, const std::string& source) {
    return parse_config<NBodyConfig>(text, source);
  }
  static NBodyConfig load(const std::string& path) { return load_config<NBodyConfig>(path); }

 protected:
  void check(const std::string& where) const override;
};

// Epoch `epoch`'s order of training simulations, their input frames (the fixed input_frame
// unless random) and augmentations, from (seed, epoch) alone.
struct EpochPlan {
  std::vector<int64_t> sims;
  std::vector<int64_t> input_frames;
  std::vector<uint8_t> reversed;  // per entry: used time-reversed (all 0 unless asked for)
  std::vector<uint8_t> flipped;   // per entry: charges negated (all 0 unless asked for)
};
struct EpochAugmentation {
  bool time_reversal = false;
  bool charge_flip = false;
};
EpochPlan epoch_plan(uint64_t seed, int64_t epoch, const NBodyDataset& train, bool random_frames,
                     const EpochAugmentation& augmentation = {});

class NBodyTask : public Task {
 public:
  explicit NBodyTask(NBodyConfig config);

  NBodyConfig& config() override { return config_; }
  std::string resume_fingerprint_of(const std::string& config_toml,
                                    const std::string& source) const override;
  void load_data(std::ostream* log) override;
  std::string describe() const override;
  void build_model() override;
  torch::nn::Module& module() override;
  int64_t num_train() const override { return data_.train->size(); }
  void begin_epoch(uint64_t seed, int64_t epoch) override;
  using Task::batch_loss;
  at::Tensor batch_loss(int64_t begin, int64_t end, int64_t batch_begin,
                        int64_t batch_end) override;
  std::string validation_split() const override { return data_.validation_split; }
  bool has_test() const override { return data_.test.has_value(); }
  std::vector<std::string> metric_names() const override;
  int64_t eval_batches(Split split) override;
  std::vector<double> eval_batch(Split split, int64_t batch) override;
  Metrics eval_metrics(Split split, const std::vector<std::vector<double>>& rows) override;
  std::string test_header() const override;
  void write_model(torch::serialize::OutputArchive& archive) override;
  void read_model(torch::serialize::InputArchive& archive, const std::string& path) override;

  NBodyModel& model() { return model_; }
  const NBodyData& data() const { return data_; }

 private:
  NBodyEvaluation evaluation(Split split) const;

  NBodyConfig config_;
  NBodyData data_;
  NBodyModel model_{nullptr};
  torch::nn::Module baseline_;  // the Linear baseline's (empty) module
  EpochPlan plan_;
};

}  // namespace se3t

// Molecules (task = "molecules"): energies, or energies and forces, of molecules read from
// extended XYZ (or a QM9 directory), one file split at random or three files; the model is
// se3t/models/molecule_model.h and the loss se3t/tasks/molecule_loss.h. Configs:
// configs/qm7_energy.toml, configs/amons_forces.toml, configs/qm9_homo.toml.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "se3t/config/experiment_config.h"
#include "se3t/data/molecule_dataset.h"
#include "se3t/models/molecule_model.h"
#include "se3t/tasks/molecule_evaluate.h"
#include "se3t/tasks/molecule_loss.h"
#include "se3t/train/task.h"

namespace se3t {

struct MoleculeDataConfig {
  std::string format = "extxyz";  // "extxyz" | "qm9" (a directory of dsgdb9nsd_*.xyz)
  // One file (or QM9 directory) split at random into num_train / num_valid / num_test ...
  std::string file = "data/qm7/qm7.extxyz";
  int64_t num_train = 5000;
  int64_t num_valid = 1000;
  int64_t num_test = 1101;  // -1: all molecules left after train and valid
  uint64_t split_seed = 0;
  // ... or three files used as they are (when train_file is set, file and the sizes are unused).
  std::string train_file, valid_file, test_file;
  int64_t train_every = 1;  // with train_file: every n-th training frame only (learning curves)
  std::string energy_key = "energy";  // the frame key of the target (QM9: a property name)
  bool fit_reference = true;          // per-element reference energies by least squares
  double cutoff = 0.0;                // <= 0: fully connected molecules; else radius graph (A)

  void visit(FieldVisitor& v);
};

class MoleculeConfig : public ExperimentConfig {
 public:
  MoleculeDataConfig data;
  MoleculeModelOptions head;  // [model]'s settings after the backbone (pooling, MLP, radial)
  MoleculeLoss loss;          // [train]'s loss settings

  MoleculeConfig();
  std::string task() const override { return "molecules"; }
  ConfigSections sections() override;
  void set_data_path(const std::string& path) override { data.file = path; }
  // The model's options: the backbone, the head settings and the data's cutoff.
  MoleculeModelOptions model_options() const;

  static MoleculeConfig parse(const std::string& text, const std::string& source) {
    return parse_config<MoleculeConfig>(text, source);
  }
  static MoleculeConfig load(const std::string& path) { return load_config<MoleculeConfig>(path); }

 protected:
  void check(const std::string& where) const override;
};

struct MoleculeSplits {
  std::vector<Molecule> train, valid, test;
};

// Reads the data of a config: one file split at random, or three files.
MoleculeSplits load_molecule_splits(const MoleculeDataConfig& config);

class MoleculeTask : public Task {
 public:
  explicit MoleculeTask(MoleculeConfig config);

  MoleculeConfig& config() override { return config_; }
  std::string resume_fingerprint_of(const std::string& config_toml,
                                    const std::string& source) const override;
  void load_data(std::ostream* log) override;
  std::string describe() const override;
  void build_model() override;
  torch::nn::Module& module() override { return *model_; }
  int64_t num_train() const override { return static_cast<int64_t>(data_.train.size()); }
  void begin_epoch(uint64_t seed, int64_t epoch) override;
  using Task::batch_loss;
  at::Tensor batch_loss(int64_t begin, int64_t end, int64_t batch_begin,
                        int64_t batch_end) override;
  std::string validation_split() const override { return data_.valid.empty() ? "" : "valid"; }
  bool has_test() const override { return !data_.test.empty(); }
  std::vector<std::string> metric_names() const override;
  int64_t eval_batches(Split split) override;
  std::vector<double> eval_batch(Split split, int64_t batch) override;
  Metrics eval_metrics(Split split, const std::vector<std::vector<double>>& rows) override;
  void write_model(torch::serialize::OutputArchive& archive) override;
  void read_model(torch::serialize::InputArchive& archive, const std::string& path) override;

  MoleculeModel& model() { return model_; }
  const MoleculeSplits& data() const { return data_; }

 private:
  const std::vector<Molecule>& split_data(Split split) const;

  MoleculeConfig config_;
  MoleculeSplits data_;
  EnergyStats stats_;
  int64_t num_elements_ = 0;
  MoleculeModel model_{nullptr};
  std::vector<int64_t> order_;
};

}  // namespace se3t

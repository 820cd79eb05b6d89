// Configuration of molecule training runs (task = "molecules"): plain structs loaded from a
// TOML file with the top-level key task = "molecules" and three tables, [data], [model] and
// [train] (see configs/qm7_energy.toml, configs/amons_forces.toml, configs/qm9_homo.toml).
// Every key is optional; unknown tables or keys and values of the wrong type throw se3t::Error
// naming the key and the file. Relative paths are taken relative to the working directory.
#pragma once
#include <cstdint>
#include <string>

#include "se3t/models/molecule_model.h"

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
  std::string energy_key = "energy";  // the frame key of the target (QM9: a property name)
  bool fit_reference = true;          // per-element reference energies by least squares
  double cutoff = 0.0;                // <= 0: fully connected molecules; else radius graph (A)
};

struct MoleculeModelConfig {
  std::string type = "se3_transformer";  // "se3_transformer" | "tfn"
  int64_t num_layers = 4;
  int64_t num_degrees = 2;  // hidden degrees 0 .. num_degrees - 1
  int64_t num_channels = 16;
  int64_t num_heads = 4;
  int64_t channels_div = 2;
  int64_t radial_hidden = 32;
  std::string self_interaction = "linear";  // "linear" | "attentive"
  std::string skip = "cat";                 // "cat" | "add"
  bool norm = true;
  std::string pooling = "sum";  // "sum" | "avg" | "max"
  int64_t out_channels = 16;
  int64_t mlp_hidden = 32;
  int64_t radial_basis = 0;  // Gaussians expanding |x_ij| for the radial MLPs; 0: raw distance
  double radial_max = 6.0;   // their range, Angstrom

  MoleculeModelOptions options(double cutoff) const;
};

struct MoleculeTrainConfig {
  int64_t epochs = 100;
  int64_t batch_size = 32;
  double lr = 1e-3;
  double lr_min = -1.0;                // end of the cosine schedule; < 0: lr / 10
  std::string lr_schedule = "cosine";  // "cosine" | "constant"
  double weight_decay = 0.0;
  std::string loss = "l1";     // "l1" | "mse", on standardised energies (and forces)
  double energy_weight = 1.0;  // loss = energy_weight * L(E) + force_weight * L(F)
  double force_weight = 0.0;   // > 0 trains on forces too (every molecule must have them)
  uint64_t seed = 0;           // model initialisation and data order
  int64_t threads = 0;         // intra-op threads; 0: all hardware threads
  std::string out_dir = "runs/molecules";
  int64_t eval_every = 1;  // validate every this many epochs (and after the last)

  double learning_rate(double t) const;  // at fractional epoch t, as TrainConfig
  double resolved_lr_min() const { return lr_min < 0.0 ? lr / 10.0 : lr_min; }
};

struct MoleculeConfig {
  MoleculeDataConfig data;
  MoleculeModelConfig model;
  MoleculeTrainConfig train;

  void validate(const std::string& source = "config") const;
  std::string to_toml() const;  // parse() reads it back to the same config
  // Everything a resumed run must share with the run it continues (not epochs, threads,
  // out_dir, eval_every).
  std::string resume_fingerprint() const;
  static MoleculeConfig parse(const std::string& text, const std::string& source);
  static MoleculeConfig load(const std::string& path);
};

// The top-level `task` of a config file: "nbody" (the default when absent) or "molecules".
std::string config_task(const std::string& path);
// The file's TOML text without the top-level `task` key (for the N-body parser).
std::string config_text_without_task(const std::string& path);

}  // namespace se3t

// Training of molecule models (task = "molecules"): energies, or energies and forces, with
// Adam and a cosine or constant learning rate stepped every iteration, validation after every
// eval_every epochs, metric files, a learning curve, and atomic checkpoints.
//
// Loss per batch: energy_weight * L(y_pred - y) + force_weight * L((F_pred - F) / std), with
// L the mean absolute (l1) or mean squared (mse) error and y = (E - sum n_el e_el - mean) / std
// the standardised energy; forces are F = -dE/dx by autograd with the graph kept for the
// second backward pass.
//
// Reproducibility and interrupts as the N-body trainer: initialisation from train.seed, epoch
// e's order from (seed, e); SIGINT / SIGTERM finish the current step, write a valid
// checkpoint and return interrupted; --resume continues it.
//
// Files in out_dir: checkpoint.pt (training state; also a model file for predict / eval),
// best_model.pt (lowest validation energy MAE), config.toml, metrics.csv, metrics.jsonl,
// learning_curve.svg, test_metrics.json (after the last epoch, from best_model.pt).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "se3t/data/molecule_dataset.h"
#include "se3t/models/molecule_model.h"
#include "se3t/train/molecule_config.h"
#include "se3t/train/molecule_evaluate.h"
#include "se3t/train/trainer.h"

namespace se3t {

struct MoleculeSplits {
  std::vector<Molecule> train, valid, test;
};

// Reads the data of a config: one file split at random, or three files.
MoleculeSplits load_molecule_splits(const MoleculeDataConfig& config);

struct MoleculeEpoch {
  int64_t epoch = 0, step = 0;
  double lr = 0.0, train_loss = 0.0, valid_loss = NAN, valid_energy_mae = NAN,
         valid_force_mae = NAN, epoch_time_s = 0.0, elapsed_s = 0.0;
};

struct MoleculeTrainResult {
  bool interrupted = false;
  int64_t epochs_done = 0, steps = 0, threads = 0;
  double wall_s = 0.0;
  std::string out_dir, checkpoint;
  MoleculeMetrics test;  // num_molecules 0 when not evaluated
  std::vector<MoleculeEpoch> history;
};

// The loss of one batch (see above); the model's forward pass included.
at::Tensor molecule_loss(MoleculeModelImpl& model, const MoleculeBatch& batch,
                         const MoleculeTrainConfig& train, bool forces);

MoleculeTrainResult train_molecules(MoleculeConfig config, const TrainOverrides& overrides = {});

}  // namespace se3t

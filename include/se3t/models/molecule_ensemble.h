// Ensembles of independently trained molecule models (deep ensembles, Lakshminarayanan et al.
// 2017): the prediction is the mean of the members' energies and forces, and the members'
// spread (their standard deviation) is an uncertainty estimate. Models trained from different
// seeds overfit differently; their mean has the same bias and a smaller variance, which is
// what limits a small-data regression such as QM7.
//
// Members may differ in architecture and vocabulary: each builds its own batches and predicts
// in data units (its own reference energies and statistics), so only the units must agree.
// The mean of equivariant members is equivariant: energies stay invariant, forces rotate.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "se3t/data/extxyz.h"
#include "se3t/data/molecule_dataset.h"
#include "se3t/models/molecule_model.h"
#include "se3t/util/batch_rows.h"

namespace se3t {

struct EnsemblePrediction {
  at::Tensor energy;      // [G] float64, mean over members
  at::Tensor energy_std;  // [G] float64, population standard deviation over members (0 for one)
  at::Tensor forces;      // [N, 3] float64 mean -dE/dx; undefined unless forces were asked for
  at::Tensor stress;      // [G, 6] float64 mean Voigt stress (se3t/models/stress.h), zero rows
                          // for non-periodic frames; undefined unless asked for
};

class MoleculeEnsemble {
 public:
  // Throws se3t::Error for an empty list or an undefined member.
  explicit MoleculeEnsemble(std::vector<MoleculeModel> members);

  int64_t size() const { return static_cast<int64_t>(members_.size()); }
  const std::vector<MoleculeModel>& members() const { return members_; }

  // Predictions for molecules[indices] (evaluation mode, no graph kept). Throws se3t::Error
  // naming `source` for an element some member does not know. `stress` also predicts the
  // stress (and forces), from the same backward pass.
  EnsemblePrediction predict(const std::vector<Molecule>& molecules,
                             const std::vector<int64_t>& indices, bool forces,
                             const std::string& source = "<molecules>", bool stress = false) const;

 private:
  std::vector<MoleculeModel> members_;
};

// Loads every path with load_molecule_model (checkpoint.pt or best_model.pt of a molecule run).
MoleculeEnsemble load_molecule_ensemble(const std::vector<std::string>& paths);

// Predictions for frames (se3t predict): every frame's info["energy"] set to the predicted
// energy (a previous value kept as "energy_ref"), with more than one member also
// info["energy_std"], and, with `forces`, its forces replaced by the predicted -dE/dx and, for
// a periodic frame, info["stress"] set to the predicted stress (9 values of the 3x3 matrix, as
// ASE writes it; a previous value kept as "stress_ref").
// Throws for an empty list or an element a member does not know. `batch_rows` computes the
// batches' predictions (empty: in order here; se3t/distributed/shared_batches.h shares them
// among processes, with the same numbers bit for bit); every frame is then filled in order.
std::vector<Frame> predict_frames(const MoleculeEnsemble& ensemble, std::vector<Frame> frames,
                                  bool forces, int64_t batch_size = 64,
                                  const std::string& source = "<frames>",
                                  const BatchRows& batch_rows = {});

}  // namespace se3t

// Metrics of molecule models on a set of molecules: energy (and force) mean absolute and
// root-mean-square errors in data units, for one model or an ensemble (se3t eval, and the
// validation / test passes of training).
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "se3t/data/molecule_dataset.h"
#include "se3t/models/molecule_ensemble.h"
#include "se3t/models/molecule_model.h"
#include "se3t/tasks/molecule_loss.h"
#include "se3t/util/batch_rows.h"

namespace se3t {

struct MoleculeMetrics {
  double energy_mae = 0.0, energy_rmse = 0.0;  // data units (kcal/mol for QM7 / amons)
  double force_mae = NAN, force_rmse = NAN;    // per component; NaN without forces
  double stress_mae = NAN, stress_rmse = NAN;  // per Voigt component; NaN without stress
  double loss = NAN;                           // the training loss on this data (one model)
  double energy_std = NAN;  // an ensemble's mean spread over molecules (NaN for one model)
  int64_t num_molecules = 0, num_atoms = 0;
  std::string to_json() const;
};

// Metrics of `model` over `molecules` (eval mode; forces when `forces`, and the stress too
// when `loss` trains on it), with the training loss `loss`.
MoleculeMetrics evaluate_molecules(MoleculeModelImpl& model, const std::vector<Molecule>& molecules,
                                   const MoleculeLoss& loss, bool forces, int64_t batch_size = 64);

// evaluate_molecules in batches, so that processes can share them: the number of batches of n
// molecules, the row of partial sums of one batch, and the metrics of the rows of all batches
// (summed in batch order: the same sums as evaluate_molecules).
int64_t molecule_eval_batches(int64_t n, int64_t batch_size = 64);
std::vector<double> molecule_batch_sums(MoleculeModelImpl& model,
                                        const std::vector<Molecule>& molecules, int64_t batch,
                                        const MoleculeLoss& loss, bool forces,
                                        int64_t batch_size = 64);
MoleculeMetrics molecule_metrics(const std::vector<std::vector<double>>& rows, int64_t n,
                                 bool forces);

// Metrics of the ensemble's mean prediction (stress metrics when every molecule has a stress
// target); loss is NaN (each member has its own
// standardisation), energy_std the mean over molecules of the members' spread. `batch_rows`
// computes the batches' partial sums (empty: in order here; se3t/distributed/shared_batches.h
// shares them among processes, with the same metrics bit for bit).
MoleculeMetrics evaluate_molecules(const MoleculeEnsemble& ensemble,
                                   const std::vector<Molecule>& molecules, bool forces,
                                   int64_t batch_size = 64, const BatchRows& batch_rows = {});

}  // namespace se3t

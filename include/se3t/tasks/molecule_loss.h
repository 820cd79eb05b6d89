// The training loss of molecule models: energy_weight * L(y_pred - y) + force_weight *
// L((F_pred - F) / std) + stress_weight * L((sigma_pred - sigma) V / std), with L the mean
// absolute (l1) or mean squared (mse) error and y = (E - sum n_el e_el - mean) / std the
// standardised energy; forces are F = -dE/dx and the stress sigma = (1/V) dE/d(strain)
// (se3t/models/stress.h) by autograd with the graph kept for the second backward pass. The
// stress term compares V sigma / std = dy/d(strain), the standardised virial, per Voigt
// component.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

#include "se3t/models/molecule_model.h"
#include "se3t/util/fields.h"

namespace se3t {

struct MoleculeLoss {
  std::string loss = "l1";     // "l1" | "mse", on standardised energies (and forces)
  double energy_weight = 1.0;  // loss = energy_weight * L(E) + force_weight * L(F)
  double force_weight = 0.0;   // > 0 trains on forces too (every molecule must have them)
  double stress_weight = 0.0;  // > 0 trains on stress too (every frame periodic, with a stress)

  void visit(FieldVisitor& v);
  bool forces() const { return force_weight > 0.0; }
  bool stress() const { return stress_weight > 0.0; }
  // Whether the loss needs derivatives of the energy (forces or stress).
  bool derivatives() const { return forces() || stress(); }
};

// The share of a part of a batch in each term's normaliser: its molecules over the batch's
// (the energy term averages over molecules) and its atoms over the batch's (the force term
// averages over force components). 1, 1: the part is the whole batch.
struct MoleculeLossShare {
  double molecules = 1.0;
  double atoms = 1.0;
};

// The loss of one batch; the model's forward pass included. `forces`: the force term when
// force_weight > 0, the stress term when stress_weight > 0, and the energy term when
// energy_weight > 0; else the energy term alone. With a `share`, the loss of
// a part of a larger batch: each term's mean over the part times the part's share, so that the
// parts' losses sum to the batch's.
at::Tensor molecule_loss(MoleculeModelImpl& model, const MoleculeBatch& batch,
                         const MoleculeLoss& loss, bool forces,
                         const MoleculeLossShare& share = {});

}  // namespace se3t

#include "se3t/tasks/molecule_loss.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "se3t/models/stress.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

at::Tensor loss_fn(const at::Tensor& d, const std::string& kind, double share) {
  const at::Tensor mean = kind == "mse" ? d.square().mean() : d.abs().mean();
  return share == 1.0 ? mean : mean * share;
}

}  // namespace

void MoleculeLoss::visit(FieldVisitor& v) {
  v.field("loss", loss, "error on standardised energies (and forces)", {"l1", "mse"});
  v.field("energy_weight", energy_weight, "weight of the energy term", Range::at_least(0));
  v.field("force_weight", force_weight, "weight of the force term (> 0 trains on forces)",
          Range::at_least(0));
  v.field("stress_weight", stress_weight,
          "weight of the stress term (> 0 trains on the stress of periodic frames)",
          Range::at_least(0));
}

at::Tensor molecule_loss(MoleculeModelImpl& model, const MoleculeBatch& batch,
                         const MoleculeLoss& train, bool forces, const MoleculeLossShare& share) {
  const EnergyStats& s = model.stats();
  const at::Tensor ref = at::tensor(s.reference, at::kDouble);
  const at::ScalarType t = model.dtype();
  // Standardised target y = (E - sum n_el e_el - mean) / std, in the model's dtype.
  const at::Tensor y = ((batch.energy - batch.counts.matmul(ref) - s.mean) / s.std).to(t);
  if (!forces) {
    return train.energy_weight * loss_fn(model.forward(batch) - y, train.loss, share.molecules);
  }
  SE3T_CHECK(!train.forces() || batch.forces.defined(),
             "force training needs forces for every molecule");
  SE3T_CHECK(!train.stress() || (batch.stress.defined() && batch.graph.periodic()),
             "stress training needs a stress for every frame (periodic, with stress=...)");
  const at::Tensor pos = batch.graph.pos.to(t).detach().requires_grad_(true);
  std::vector<at::Tensor> inputs = {pos};
  at::Tensor pred;
  if (train.stress()) {
    // The strain of se3t/models/stress.h: x' = x (I + eps), cell' = cell (I + eps).
    const GraphBatch& g = batch.graph;
    const at::Tensor eps = at::zeros({g.num_graphs, 3, 3}, pos.options()).requires_grad_(true);
    const at::Tensor strain = 0.5 * (eps + eps.transpose(1, 2));
    const at::Tensor cell = g.cell.to(t);
    pred = model.forward_at(
        batch, pos + at::bmm(pos.unsqueeze(1), strain.index_select(0, g.graph_id)).squeeze(1),
        cell + at::bmm(cell, strain));
    inputs.push_back(eps);
  } else {
    MoleculeBatch b = batch;
    b.graph.pos = pos;
    pred = model.forward(b);
  }
  // F / std = -dy/dx: the force loss in the same standardised units as the energy loss. The
  // graph of the gradient is kept (create_graph) so the loss can be differentiated again.
  const std::vector<at::Tensor> grads =
      torch::autograd::grad({pred.sum()}, inputs, {}, true, true, /*allow_unused=*/true);
  at::Tensor loss = at::zeros({}, pred.options());
  if (train.forces()) {
    const at::Tensor f = (batch.forces / s.std).to(t);
    loss = loss + train.force_weight * loss_fn(-grads[0] - f, train.loss, share.atoms);
  }
  if (train.stress()) {
    // V sigma / std against dy/d(eps), Voigt components.
    const at::Tensor volume = at::linalg_det(batch.graph.cell.to(at::kDouble)).abs();
    const at::Tensor virial = (batch.stress * volume.unsqueeze(1) / s.std).to(t);
    loss = loss + train.stress_weight *
                      loss_fn(stress_to_voigt(grads[1]) - virial, train.loss, share.molecules);
  }
  if (train.energy_weight > 0.0)
    loss = loss + train.energy_weight * loss_fn(pred - y, train.loss, share.molecules);
  return loss;
}

}  // namespace se3t

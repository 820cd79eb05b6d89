#include "se3t/tasks/molecule_loss.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

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
  SE3T_CHECK(batch.forces.defined(), "force training needs forces for every molecule");
  const at::Tensor pos = batch.graph.pos.to(t).detach().requires_grad_(true);
  MoleculeBatch b = batch;
  b.graph.pos = pos;
  const at::Tensor pred = model.forward(b);
  // F / std = -dy/dx: the force loss in the same standardised units as the energy loss. The
  // graph of the gradient is kept (create_graph) so the loss can be differentiated again.
  const at::Tensor dy = torch::autograd::grad({pred.sum()}, {pos}, {}, true, true)[0];
  const at::Tensor f = (batch.forces / s.std).to(t);
  at::Tensor loss = train.force_weight * loss_fn(-dy - f, train.loss, share.atoms);
  if (train.energy_weight > 0.0)
    loss = loss + train.energy_weight * loss_fn(pred - y, train.loss, share.molecules);
  return loss;
}

}  // namespace se3t

#include "se3t/models/stress.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "se3t/util/check.h"

namespace se3t {

at::Tensor stress_to_voigt(const at::Tensor& m) {
  SE3T_CHECK(m.dim() >= 2 && m.size(-1) == 3 && m.size(-2) == 3,
             "stress_to_voigt: expected [..., 3, 3], got ", m.sizes());
  // Off-diagonal entries averaged, as ase.stress.full_3x3_to_voigt_6_stress reads them.
  auto at_ij = [&](int64_t i, int64_t j) { return m.select(-2, i).select(-1, j); };
  return at::stack({at_ij(0, 0), at_ij(1, 1), at_ij(2, 2), 0.5 * (at_ij(1, 2) + at_ij(2, 1)),
                    0.5 * (at_ij(0, 2) + at_ij(2, 0)), 0.5 * (at_ij(0, 1) + at_ij(1, 0))},
                   -1);
}

at::Tensor stress_from_voigt(const at::Tensor& v) {
  SE3T_CHECK(v.dim() >= 1 && v.size(-1) == 6, "stress_from_voigt: expected [..., 6], got ",
             v.sizes());
  auto c = [&](int64_t k) { return v.select(-1, k); };
  const at::Tensor rows[3] = {at::stack({c(0), c(5), c(4)}, -1), at::stack({c(5), c(1), c(3)}, -1),
                              at::stack({c(4), c(3), c(2)}, -1)};
  return at::stack({rows[0], rows[1], rows[2]}, -2);
}

EnergyForcesStress energy_forces_stress(MoleculeModelImpl& model, const MoleculeBatch& batch,
                                        bool create_graph) {
  const GraphBatch& g = batch.graph;
  SE3T_CHECK(g.periodic(),
             "energy_forces_stress: the batch has no cell; stress needs periodic frames (Lattice "
             "and pbc in the extended XYZ file)");
  const at::ScalarType t = model.dtype();
  const at::Tensor pos = g.pos.to(t).detach().requires_grad_(true);
  const at::Tensor cell = g.cell.to(t).detach();
  const at::Tensor eps = at::zeros({g.num_graphs, 3, 3}, pos.options()).requires_grad_(true);
  // Symmetric, so dE/d(eps) is the symmetric derivative (rotations carry no energy).
  const at::Tensor strain = 0.5 * (eps + eps.transpose(1, 2));
  const at::Tensor atom_strain = strain.index_select(0, g.graph_id);  // [N, 3, 3]
  const at::Tensor strained_pos = pos + at::bmm(pos.unsqueeze(1), atom_strain).squeeze(1);
  const at::Tensor strained_cell = cell + at::bmm(cell, strain);
  const at::Tensor y = model.forward_at(batch, strained_pos, strained_cell);
  const auto grads = torch::autograd::grad({y.sum()}, {pos, eps}, {}, /*retain_graph=*/create_graph,
                                           /*create_graph=*/create_graph);
  const EnergyStats& stats = model.stats();
  const at::Tensor ref = at::tensor(stats.reference, at::kDouble);
  EnergyForcesStress out;
  const at::Tensor yd = create_graph ? y.to(at::kDouble) : y.detach().to(at::kDouble);
  out.energy = batch.counts.matmul(ref) + stats.mean + stats.std * yd;
  out.forces = -stats.std * grads[0].to(at::kDouble);
  // V = (a x b) . c in float64; the zero cells of non-periodic graphs give zero rows.
  const at::Tensor volume = at::linalg_det(g.cell.detach().to(at::kDouble)).abs();
  const at::Tensor periodic = volume > 0;
  const at::Tensor safe_volume = at::where(periodic, volume, at::ones_like(volume));
  const at::Tensor de = stats.std * grads[1].to(at::kDouble);  // dE/d(eps), [G, 3, 3]
  const at::Tensor sigma =
      de / safe_volume.view({-1, 1, 1}) * periodic.to(at::kDouble).view({-1, 1, 1});
  out.stress = stress_to_voigt(sigma);
  return out;
}

}  // namespace se3t

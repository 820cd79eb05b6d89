#include "se3t/tasks/molecule_evaluate.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>

#include "se3t/models/stress.h"
#include "se3t/tasks/molecule_loss.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"

namespace se3t {
namespace {

// Sums of absolute and squared errors over batches.
struct ErrorSums {
  double ae = 0.0, se = 0.0, af = 0.0, sf = 0.0, loss = 0.0, spread = 0.0, as = 0.0, ss = 0.0;
  int64_t atoms = 0, stressed = 0;  // stressed: frames with a stress error summed

  // Predicted energies (and forces, when defined) against the targets.
  void add(const at::Tensor& energy, const at::Tensor& forces, const at::Tensor& energy_ref,
           const at::Tensor& forces_ref, int64_t num_atoms) {
    const at::Tensor d = energy - energy_ref;
    ae += d.abs().sum().item<double>();
    se += d.square().sum().item<double>();
    if (forces.defined()) {
      const at::Tensor df = forces - forces_ref;
      af += df.abs().sum().item<double>();
      sf += df.square().sum().item<double>();
    }
    atoms += num_atoms;
  }

  // Predicted stresses [G, 6] against the targets (Voigt components).
  void add_stress(const at::Tensor& stress, const at::Tensor& stress_ref) {
    const at::Tensor d = stress - stress_ref;
    as += d.abs().sum().item<double>();
    ss += d.square().sum().item<double>();
    stressed += d.size(0);
  }

  // One batch's sums as a row, and back (rows add up in the order given).
  std::vector<double> row() const {
    return {ae,
            se,
            af,
            sf,
            loss,
            spread,
            static_cast<double>(atoms),
            as,
            ss,
            static_cast<double>(stressed)};
  }
  void add_row(const std::vector<double>& r) {
    SE3T_CHECK(r.size() == 10, "molecule metrics: a row of ", r.size(), " sums, expected 10");
    ae += r[0];
    se += r[1];
    af += r[2];
    sf += r[3];
    loss += r[4];
    spread += r[5];
    atoms += static_cast<int64_t>(r[6]);
    as += r[7];
    ss += r[8];
    stressed += static_cast<int64_t>(r[9]);
  }

  MoleculeMetrics metrics(int64_t n, bool forces) const {
    MoleculeMetrics m;
    m.num_molecules = n;
    m.num_atoms = atoms;
    m.energy_mae = ae / static_cast<double>(n);
    m.energy_rmse = std::sqrt(se / static_cast<double>(n));
    if (forces) {
      m.force_mae = af / static_cast<double>(3 * atoms);
      m.force_rmse = std::sqrt(sf / static_cast<double>(3 * atoms));
    }
    if (stressed > 0) {
      m.stress_mae = as / static_cast<double>(6 * stressed);
      m.stress_rmse = std::sqrt(ss / static_cast<double>(6 * stressed));
    }
    return m;
  }
};

std::vector<int64_t> range(int64_t begin, int64_t end) {
  std::vector<int64_t> idx;
  for (int64_t i = begin; i < end; ++i) idx.push_back(i);
  return idx;
}

}  // namespace

std::string MoleculeMetrics::to_json() const {
  std::string s = "{\"energy_mae\": " + json_number(energy_mae) +
                  ", \"energy_rmse\": " + json_number(energy_rmse) +
                  ", \"force_mae\": " + json_number(force_mae) +
                  ", \"force_rmse\": " + json_number(force_rmse) +
                  ", \"stress_mae\": " + json_number(stress_mae) +
                  ", \"stress_rmse\": " + json_number(stress_rmse) +
                  ", \"loss\": " + json_number(loss);
  if (!std::isnan(energy_std)) s += ", \"energy_std\": " + json_number(energy_std);
  return s + ", \"num_molecules\": " + std::to_string(num_molecules) +
         ", \"num_atoms\": " + std::to_string(num_atoms) + "}";
}

int64_t molecule_eval_batches(int64_t n, int64_t batch_size) {
  SE3T_CHECK(batch_size >= 1, "evaluate: batch size must be >= 1");
  return (n + batch_size - 1) / batch_size;
}

std::vector<double> molecule_batch_sums(MoleculeModelImpl& model,
                                        const std::vector<Molecule>& molecules, int64_t batch,
                                        const MoleculeLoss& loss, bool forces, int64_t batch_size) {
  const int64_t n = static_cast<int64_t>(molecules.size());
  SE3T_CHECK(batch >= 0 && batch < molecule_eval_batches(n, batch_size), "evaluate: batch ", batch,
             " out of range");
  const bool was_training = model.is_training();
  model.eval();
  ErrorSums sums;
  const int64_t begin = batch * batch_size;
  const std::vector<int64_t> idx = range(begin, std::min(n, begin + batch_size));
  const MoleculeBatch b = model.batch(molecules, idx);
  const double weight = static_cast<double>(idx.size());
  if (forces && loss.stress()) {
    const EnergyForcesStress efs = energy_forces_stress(model, b, false);
    sums.add(efs.energy, b.forces.defined() ? efs.forces : at::Tensor(), b.energy, b.forces,
             b.graph.num_nodes());
    sums.add_stress(efs.stress, b.stress);
    sums.loss += molecule_loss(model, b, loss, true).item<double>() * weight;
  } else if (forces) {
    const EnergyForces ef = model.energy_and_forces(b, false);
    sums.add(ef.energy, ef.forces, b.energy, b.forces, b.graph.num_nodes());
    sums.loss += molecule_loss(model, b, loss, true).item<double>() * weight;
  } else {
    torch::NoGradGuard no_grad;
    sums.add(model.energy(b), at::Tensor(), b.energy, b.forces, b.graph.num_nodes());
    sums.loss += molecule_loss(model, b, loss, false).item<double>() * weight;
  }
  model.train(was_training);
  return sums.row();
}

MoleculeMetrics molecule_metrics(const std::vector<std::vector<double>>& rows, int64_t n,
                                 bool forces) {
  if (n == 0) return MoleculeMetrics{};
  ErrorSums sums;
  for (const std::vector<double>& r : rows) sums.add_row(r);
  MoleculeMetrics m = sums.metrics(n, forces);
  m.loss = sums.loss / static_cast<double>(n);
  return m;
}

MoleculeMetrics evaluate_molecules(MoleculeModelImpl& model, const std::vector<Molecule>& molecules,
                                   const MoleculeLoss& loss, bool forces, int64_t batch_size) {
  const int64_t n = static_cast<int64_t>(molecules.size());
  std::vector<std::vector<double>> rows;
  for (int64_t b = 0; b < molecule_eval_batches(n, batch_size); ++b) {
    rows.push_back(molecule_batch_sums(model, molecules, b, loss, forces, batch_size));
  }
  return molecule_metrics(rows, n, forces);
}

MoleculeMetrics evaluate_molecules(const MoleculeEnsemble& ensemble,
                                   const std::vector<Molecule>& molecules, bool forces,
                                   int64_t batch_size, const BatchRows& batch_rows) {
  const int64_t n = static_cast<int64_t>(molecules.size());
  if (n == 0) return MoleculeMetrics{};
  // Stress metrics when every frame has a stress target.
  const bool stress = std::all_of(molecules.begin(), molecules.end(),
                                  [](const Molecule& m) { return m.stress.has_value(); });
  const BatchRow row = [&](int64_t batch) {
    const int64_t begin = batch * batch_size;
    const std::vector<int64_t> idx = range(begin, std::min(n, begin + batch_size));
    const MoleculeTargets t = molecule_targets(molecules, idx);
    SE3T_CHECK(!forces || t.forces.defined(), "force metrics need forces for every molecule");
    const EnsemblePrediction p = ensemble.predict(molecules, idx, forces, "<molecules>", stress);
    ErrorSums sums;
    sums.add(p.energy, forces ? p.forces : at::Tensor(), t.energy, t.forces, t.num_atoms);
    if (stress) sums.add_stress(p.stress, t.stress);
    sums.spread = p.energy_std.sum().item<double>();
    return sums.row();
  };
  const int64_t batches = molecule_eval_batches(n, batch_size);
  ErrorSums sums;
  // Rows summed in batch order: 0 + x == x, so the same sums as accumulating batch by batch.
  for (const std::vector<double>& r :
       batch_rows ? batch_rows(batches, row) : rows_in_order(batches, row)) {
    sums.add_row(r);
  }
  MoleculeMetrics m = sums.metrics(n, forces);
  m.energy_std = sums.spread / static_cast<double>(n);
  return m;
}

}  // namespace se3t

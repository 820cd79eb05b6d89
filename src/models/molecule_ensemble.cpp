#include "se3t/models/molecule_ensemble.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>

#include "se3t/models/stress.h"
#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {

MoleculeEnsemble::MoleculeEnsemble(std::vector<MoleculeModel> members)
    : members_(std::move(members)) {
  SE3T_CHECK(!members_.empty(), "MoleculeEnsemble: no members");
  for (const MoleculeModel& m : members_) {
    SE3T_CHECK(!m.is_empty(), "MoleculeEnsemble: undefined member");
  }
}

EnsemblePrediction MoleculeEnsemble::predict(const std::vector<Molecule>& molecules,
                                             const std::vector<int64_t>& indices, bool forces,
                                             const std::string& source, bool stress) const {
  SE3T_CHECK(!indices.empty(), "MoleculeEnsemble: no molecules to predict (", source, ")");
  std::vector<at::Tensor> energies;
  at::Tensor force_sum, stress_sum;
  for (MoleculeModel member : members_) {  // a handle copy: prediction switches to eval mode
    MoleculeModelImpl& model = *member;
    const bool was_training = model.is_training();
    model.eval();
    const MoleculeBatch b = model.batch(molecules, indices);
    if (stress && b.graph.periodic()) {
      const EnergyForcesStress efs = energy_forces_stress(model, b, /*create_graph=*/false);
      energies.push_back(efs.energy.detach());
      force_sum = force_sum.defined() ? force_sum + efs.forces.detach() : efs.forces.detach();
      stress_sum = stress_sum.defined() ? stress_sum + efs.stress.detach() : efs.stress.detach();
    } else if (forces || stress) {
      const EnergyForces ef = model.energy_and_forces(b, /*create_graph=*/false);
      energies.push_back(ef.energy.detach());
      force_sum = force_sum.defined() ? force_sum + ef.forces.detach() : ef.forces.detach();
    } else {
      torch::NoGradGuard no_grad;
      energies.push_back(model.energy(b));
    }
    model.train(was_training);
  }
  const at::Tensor e = at::stack(energies);  // [M, G]
  EnsemblePrediction out;
  out.energy = e.mean(0);
  // Population standard deviation: the spread of these members, not an estimate for others.
  out.energy_std = size() > 1 ? e.std(0, /*unbiased=*/false) : at::zeros_like(out.energy);
  if (forces || stress) out.forces = force_sum / static_cast<double>(size());
  if (stress) {
    // A batch without a periodic frame has zero stress rows, as energy_forces_stress gives.
    out.stress = stress_sum.defined()
                     ? stress_sum / static_cast<double>(size())
                     : at::zeros({static_cast<int64_t>(indices.size()), 6}, at::kDouble);
  }
  return out;
}

MoleculeEnsemble load_molecule_ensemble(const std::vector<std::string>& paths) {
  SE3T_CHECK(!paths.empty(), "no model checkpoints given");
  std::vector<MoleculeModel> members;
  for (const std::string& p : paths) members.push_back(load_molecule_model(p));
  return MoleculeEnsemble(std::move(members));
}

std::vector<Frame> predict_frames(const MoleculeEnsemble& ensemble, std::vector<Frame> frames,
                                  bool forces, int64_t batch_size, const std::string& source,
                                  const BatchRows& batch_rows) {
  SE3T_CHECK(!frames.empty(), source, " holds no frames");
  SE3T_CHECK(batch_size >= 1, "predict: batch size must be >= 1");
  const std::vector<Molecule> mols = molecules_from_frames(frames, "", source);
  for (const MoleculeModel& m : ensemble.members()) m->vocabulary().check_known(mols, source);
  const int64_t n = static_cast<int64_t>(mols.size());
  const auto batch_indices = [&](int64_t batch) {
    std::vector<int64_t> idx;
    for (int64_t i = batch * batch_size; i < std::min(n, (batch + 1) * batch_size); ++i) {
      idx.push_back(i);
    }
    return idx;
  };
  // A batch's row: its energies, their spreads, then (with forces) its atoms' forces and its
  // frames' stresses.
  const BatchRow row = [&](int64_t batch) {
    const std::vector<int64_t> idx = batch_indices(batch);
    const EnsemblePrediction p = ensemble.predict(mols, idx, forces, source, forces);
    std::vector<double> r;
    for (const at::Tensor& t :
         {p.energy, p.energy_std, forces ? p.forces : at::Tensor(), p.stress}) {
      if (!t.defined()) continue;
      const at::Tensor c = t.to(at::kDouble).contiguous();
      r.insert(r.end(), c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    }
    return r;
  };
  const int64_t batches = (n + batch_size - 1) / batch_size;
  const std::vector<std::vector<double>> rows =
      batch_rows ? batch_rows(batches, row) : rows_in_order(batches, row);
  for (int64_t batch = 0; batch < batches; ++batch) {
    const std::vector<int64_t> idx = batch_indices(batch);
    const int64_t g = static_cast<int64_t>(idx.size());
    const double* ep = rows[batch].data();
    const double* sp = ep + g;
    const double* fp = sp + g;
    int64_t atoms = 0;
    for (int64_t i : idx) atoms += static_cast<int64_t>(frames[i].size());
    const int64_t expected = 2 * g + (forces ? 3 * atoms + 6 * g : 0);
    SE3T_CHECK(static_cast<int64_t>(rows[batch].size()) == expected, "predict: batch ", batch,
               " has ", rows[batch].size(), " numbers, expected ", expected);
    const double* stress = fp + 3 * atoms;
    int64_t row = 0;
    for (size_t j = 0; j < idx.size(); ++j) {
      Frame& fr = frames[idx[j]];
      SE3T_CHECK(std::isfinite(ep[j]), source, ": frame ", idx[j] + 1,
                 ": the model predicts a non-finite energy (", ep[j],
                 "); its parameters or this frame's geometry are not usable");
      // The reference survives a second prediction pass: an input that is itself a prediction
      // keeps its energy_ref, and its energy (a prediction) is replaced.
      const auto old = fr.info.find("energy");
      if (old != fr.info.end() && fr.info.count("energy_ref") == 0) {
        fr.info["energy_ref"] = old->second;
      }
      fr.info["energy"] = format_real(ep[j]);
      if (ensemble.size() > 1) {
        fr.info["energy_std"] = format_real(sp[j]);
      } else {
        fr.info.erase("energy_std");  // a spread from an earlier ensemble would be stale
      }
      if (forces) {
        fr.forces.resize(fr.size());
        for (size_t a = 0; a < fr.size(); ++a, ++row) {
          for (int d = 0; d < 3; ++d) {
            SE3T_CHECK(std::isfinite(fp[row * 3 + d]), source, ": frame ", idx[j] + 1,
                       ": the model predicts a non-finite force on atom ", a + 1);
            fr.forces[a][d] = fp[row * 3 + d];
          }
        }
        if (fr.periodic()) {
          const double* v = stress + 6 * j;
          for (int k = 0; k < 6; ++k) {
            SE3T_CHECK(std::isfinite(v[k]), source, ": frame ", idx[j] + 1,
                       ": the model predicts a non-finite stress");
          }
          const auto old_stress = fr.info.find("stress");
          if (old_stress != fr.info.end() && fr.info.count("stress_ref") == 0) {
            fr.info["stress_ref"] = old_stress->second;
          }
          // The symmetric 3x3 matrix from Voigt (xx, yy, zz, yz, xz, xy), row by row.
          const int voigt[3][3] = {{0, 5, 4}, {5, 1, 3}, {4, 3, 2}};
          std::string text;
          for (int k = 0; k < 9; ++k) text += (k ? " " : "") + format_real(v[voigt[k / 3][k % 3]]);
          fr.info["stress"] = text;
        }
      }
    }
  }
  return frames;
}

}  // namespace se3t

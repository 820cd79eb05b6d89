#include "se3t/models/molecule_ensemble.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>

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
                                             const std::string& source) const {
  SE3T_CHECK(!indices.empty(), "MoleculeEnsemble: no molecules to predict (", source, ")");
  std::vector<at::Tensor> energies;
  at::Tensor force_sum;
  for (MoleculeModel member : members_) {  // a handle copy: prediction switches to eval mode
    MoleculeModelImpl& model = *member;
    const bool was_training = model.is_training();
    model.eval();
    const MoleculeBatch b = model.batch(molecules, indices);
    if (forces) {
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
  if (forces) out.forces = force_sum / static_cast<double>(size());
  return out;
}

MoleculeEnsemble load_molecule_ensemble(const std::vector<std::string>& paths) {
  SE3T_CHECK(!paths.empty(), "no model checkpoints given");
  std::vector<MoleculeModel> members;
  for (const std::string& p : paths) members.push_back(load_molecule_model(p));
  return MoleculeEnsemble(std::move(members));
}

std::vector<Frame> predict_frames(const MoleculeEnsemble& ensemble, std::vector<Frame> frames,
                                  bool forces, int64_t batch_size, const std::string& source) {
  SE3T_CHECK(!frames.empty(), source, " holds no frames");
  SE3T_CHECK(batch_size >= 1, "predict: batch size must be >= 1");
  const std::vector<Molecule> mols = molecules_from_frames(frames, "", source);
  for (const MoleculeModel& m : ensemble.members()) m->vocabulary().check_known(mols, source);
  const int64_t n = static_cast<int64_t>(mols.size());
  for (int64_t begin = 0; begin < n; begin += batch_size) {
    std::vector<int64_t> idx;
    for (int64_t i = begin; i < std::min(n, begin + batch_size); ++i) idx.push_back(i);
    const EnsemblePrediction p = ensemble.predict(mols, idx, forces, source);
    const at::Tensor e = p.energy.contiguous(), s = p.energy_std.contiguous();
    const at::Tensor f = forces ? p.forces.contiguous() : at::Tensor();
    const double* ep = e.data_ptr<double>();
    const double* sp = s.data_ptr<double>();
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
        const double* fp = f.data_ptr<double>();
        fr.forces.resize(fr.size());
        for (size_t a = 0; a < fr.size(); ++a, ++row) {
          for (int d = 0; d < 3; ++d) {
            SE3T_CHECK(std::isfinite(fp[row * 3 + d]), source, ": frame ", idx[j] + 1,
                       ": the model predicts a non-finite force on atom ", a + 1);
            fr.forces[a][d] = fp[row * 3 + d];
          }
        }
      }
    }
  }
  return frames;
}

}  // namespace se3t

#include "common/molecule_testing.h"

#include <torch/utils.h>

#include <cmath>

#include "common/testing.h"
#include "se3t/data/elements.h"
#include "se3t/data/extxyz.h"
#include "se3t/util/text.h"

namespace se3t::testing {

std::vector<Molecule> random_molecules(int count, uint64_t seed) {
  at::Generator g = make_generator(seed);
  const int z[3] = {1, 6, 8};
  std::vector<Molecule> mols;
  for (int i = 0; i < count; ++i) {
    Molecule m;
    const int n = 3 + i % 4;
    const at::Tensor x = at::randn({n, 3}, g, at::kDouble) * 1.3;
    const at::Tensor k = at::randint(0, 3, {n}, g, at::kLong);
    for (int a = 0; a < n; ++a) {
      m.numbers.push_back(z[k[a].item<int64_t>()]);
      m.positions.push_back(
          {x[a][0].item<double>(), x[a][1].item<double>(), x[a][2].item<double>()});
    }
    m.numbers[0] = 6;  // every molecule has a carbon; the vocabulary is then {H, C, O} overall
    m.numbers[1] = 1;
    m.numbers[2] = 8;
    m.energy = -10.0 * n + at::randn({1}, g, at::kDouble).item<double>();
    m.name = "m" + std::to_string(i);
    mols.push_back(std::move(m));
  }
  return mols;
}

MoleculeModelOptions small_options(bool attention, const std::string& pooling,
                                   int64_t radial_basis) {
  MoleculeModelOptions o;
  o.radial_basis = radial_basis;
  o.radial_max = 4.0;
  o.backbone.type = attention ? "se3_transformer" : "tfn";
  o.backbone.num_layers = 2;
  o.backbone.num_degrees = 2;
  o.backbone.num_channels = 4;
  o.backbone.num_heads = 2;
  o.backbone.channels_div = 1;
  o.backbone.radial_hidden = 8;
  o.out_channels = 4;
  o.mlp_hidden = 8;
  o.pooling = pooling;
  return o;
}

MoleculeModel make_model(const std::vector<Molecule>& mols, const MoleculeModelOptions& o,
                         at::ScalarType dtype, uint64_t seed) {
  const ElementVocabulary vocab = ElementVocabulary::of(mols);
  torch::manual_seed(seed);
  MoleculeModel model(o, fit_energy_stats(mols, all_of(mols), vocab));
  // The model starts with a zero last layer (y = 0, zero forces): draw it at random, or the
  // force and equivariance checks would compare zeros.
  {
    torch::NoGradGuard ng;
    for (auto& p : model->named_parameters()) {
      if (p.key().rfind("mlp.2.", 0) == 0) p.value().normal_(0.0, 0.5);
    }
  }
  model->to(dtype);
  return model;
}

std::vector<int64_t> all_of(const std::vector<Molecule>& mols) {
  std::vector<int64_t> idx(mols.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  return idx;
}

void write_pair_potential_molecules(const std::string& path, int count, uint64_t seed,
                                    bool forces) {
  std::vector<Frame> frames;
  for (const Molecule& m : random_molecules(count, seed)) {
    Frame f;
    double e = -10.0 * static_cast<double>(m.size());
    std::vector<std::array<double, 3>> force(m.size(), {0.0, 0.0, 0.0});
    for (int64_t i = 0; i < m.size(); ++i) {
      f.species.push_back(element_symbol(m.numbers[i]));
      for (int64_t j = 0; j < i; ++j) {
        double d2 = 0.0;
        for (int k = 0; k < 3; ++k) d2 += std::pow(m.positions[i][k] - m.positions[j][k], 2);
        const double r = std::sqrt(d2);
        e += std::exp(-r);
        // -d exp(-r) / dx_i = exp(-r) (x_i - x_j) / r, and the opposite on j.
        for (int k = 0; k < 3; ++k) {
          const double fk = std::exp(-r) * (m.positions[i][k] - m.positions[j][k]) / r;
          force[i][k] += fk;
          force[j][k] -= fk;
        }
      }
    }
    f.positions = m.positions;
    if (forces) f.forces = force;
    f.info["energy"] = format_real(e);
    frames.push_back(f);
  }
  write_extxyz(path, frames);
}

}  // namespace se3t::testing

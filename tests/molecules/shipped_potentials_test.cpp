// The interatomic potentials shipped in models/ are the networks their configs describe,
// smooth (SiLU, smooth cutoff), equivariant, and reproduce the test errors recorded beside
// them in test_metrics.json (`se3t eval --split test`), recomputed here from the test frames.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "common/testing.h"
#include "se3t/data/molecule_dataset.h"
#include "se3t/models/molecule_model.h"
#include "se3t/models/stress.h"
#include "se3t/so3/rotation.h"
#include "se3t/tasks/molecule_task.h"
#include "se3t/util/text.h"

namespace se3t {
namespace {

struct Shipped {
  const char* name;    // of the test
  const char* dir;     // under models/
  const char* config;  // under configs/
  size_t every;        // recompute the metrics on every k-th test frame
};

class ShippedPotential : public ::testing::TestWithParam<Shipped> {};

TEST_P(ShippedPotential, IsItsConfigsSmoothNetworkWithItsRecordedTestErrors) {
  const Shipped s = GetParam();
  const std::string root = testing::source_dir() + "/";
  const MoleculeConfig config = MoleculeConfig::load(root + "configs/" + s.config);
  MoleculeModel model = load_molecule_model(root + "models/" + s.dir + "/model.pt");
  model->eval();
  const MoleculeModelOptions& o = model->options();
  EXPECT_EQ(o.to_text(), config.model_options().to_text());
  EXPECT_EQ(o.backbone.activation, "silu");
  EXPECT_TRUE(o.smooth_cutoff);
  EXPECT_GT(o.cutoff, 0.0);
  EXPECT_EQ(o.pooling, "sum");

  // Errors of energy, forces and (periodic frames that carry one) stress, summed here frame
  // by frame; a frame with a stress is evaluated once, by strain, as `se3t eval` does.
  const std::vector<Molecule> test = load_molecules(root + config.data.test_file, "energy");
  double e_abs = 0.0, f_abs = 0.0, s_abs = 0.0;
  int64_t frames = 0, components = 0, s_components = 0;
  for (size_t i = 0; i < test.size(); i += s.every) {
    const MoleculeBatch b = model->batch(test, {int64_t(i)});
    at::Tensor energy, forces;
    if (test[i].periodic() && test[i].stress) {
      const EnergyForcesStress p = energy_forces_stress(*model, b, false);
      energy = p.energy, forces = p.forces;
      const at::Tensor v = p.stress.contiguous();
      for (int c = 0; c < 6; ++c) s_abs += std::abs(v[0][c].item<double>() - (*test[i].stress)[c]);
      s_components += 6;
    } else {
      const EnergyForces p = model->energy_and_forces(b, false);
      energy = p.energy, forces = p.forces;
    }
    e_abs += std::abs(energy.item<double>() - test[i].energy);
    const double* f = forces.contiguous().data_ptr<double>();
    for (int64_t a = 0; a < test[i].size(); ++a) {
      for (int d = 0; d < 3; ++d) f_abs += std::abs(f[3 * a + d] - test[i].forces[a][d]);
    }
    ++frames;
    components += 3 * static_cast<int64_t>(test[i].size());
  }
  const std::string metrics = read_text(root + "models/" + s.dir + "/test_metrics.json");
  const double e_mae = e_abs / double(frames), f_mae = f_abs / double(components);
  const double s_mae = s_components > 0 ? s_abs / double(s_components) : 0.0;
  if (s.every == 1) {  // every frame: the same numbers
    EXPECT_NEAR(e_mae, testing::json_number_field(metrics, "energy_mae"), 1e-6 * e_mae);
    EXPECT_NEAR(f_mae, testing::json_number_field(metrics, "force_mae"), 1e-6 * f_mae);
    if (s_components > 0) {
      EXPECT_NEAR(s_mae, testing::json_number_field(metrics, "stress_mae"), 1e-6 * s_mae);
    }
  } else {  // a sample of the frames: the same errors within sampling noise
    EXPECT_NEAR(e_mae / testing::json_number_field(metrics, "energy_mae"), 1.0, 0.3);
    EXPECT_NEAR(f_mae / testing::json_number_field(metrics, "force_mae"), 1.0, 0.1);
    if (s_components > 0) {
      EXPECT_NEAR(s_mae / testing::json_number_field(metrics, "stress_mae"), 1.0, 0.3);
    }
  }
  std::printf("%s: test energy MAE %.4g, force MAE %.4g over %lld frames\n", s.dir, e_mae, f_mae,
              static_cast<long long>(frames));
  if (s_components > 0) std::printf("%s: test stress MAE %.4g\n", s.dir, s_mae);

  // The energy of a rotated frame is the same, its forces rotate (to the round-off of the
  // model's dtype).
  Molecule m = test[0], r = test[0];
  auto gen = testing::make_generator(5);
  const at::Tensor R = random_rotation(1, at::TensorOptions().dtype(at::kDouble), gen)[0];
  const bool periodic = m.periodic();
  for (int64_t a = 0; a < m.size(); ++a) {
    for (int i = 0; i < 3; ++i) {
      double x = 0.0;
      for (int j = 0; j < 3; ++j) x += R[i][j].item<double>() * m.positions[a][j];
      r.positions[a][i] = x;
    }
  }
  if (periodic) {  // the cell's rows rotate with the atoms
    for (int k = 0; k < 3; ++k) {
      for (int i = 0; i < 3; ++i) {
        double x = 0.0;
        for (int j = 0; j < 3; ++j) x += R[i][j].item<double>() * (*m.cell)[k][j];
        (*r.cell)[k][i] = x;
      }
    }
  }
  const EnergyForces a = model->energy_and_forces(model->batch({m}, {0}), false);
  const EnergyForces b = model->energy_and_forces(model->batch({r}, {0}), false);
  const double tol = model->dtype() == at::kDouble ? 1e-10 : 1e-4;
  EXPECT_NEAR(a.energy.item<double>(), b.energy.item<double>(), tol * model->stats().std);
  const at::Tensor rotated = a.forces.matmul(R.t());
  EXPECT_LT((rotated - b.forces).abs().max().item<double>(),
            tol * a.forces.abs().max().item<double>());
}

INSTANTIATE_TEST_SUITE_P(
    Models, ShippedPotential,
    ::testing::Values(Shipped{"Aspirin", "aspirin-xtb", "aspirin_xtb.toml", 10},
                      Shipped{"AspirinL2", "aspirin-xtb-l2", "aspirin_xtb_l2.toml", 10},
                      Shipped{"Water", "water-xtb", "water_xtb.toml", 1}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace se3t

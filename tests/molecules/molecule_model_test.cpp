// Molecule model: forces are -dE/dx (float64 finite differences), energies are invariant and
// forces rotate with the molecule, the loss decreases, model files round-trip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <torch/optim/adam.h>

#include "common/molecule_testing.h"
#include "common/testing.h"
#include "se3t/data/elements.h"
#include "se3t/data/extxyz.h"
#include "se3t/models/molecule_ensemble.h"
#include "se3t/models/molecule_model.h"
#include "se3t/so3/rotation.h"
#include "se3t/tasks/molecule_loss.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::all_of;
using testing::make_model;
using testing::random_molecules;
using testing::small_options;

// (attention, Gaussian radial basis size): forces must pass through the expansion too.
class ForcesTest : public ::testing::TestWithParam<std::tuple<bool, int64_t>> {
 protected:
  MoleculeModelOptions options() const {
    return small_options(std::get<0>(GetParam()), "sum", std::get<1>(GetParam()));
  }
};

TEST_P(ForcesTest, EqualFiniteDifferencesOfMinusEnergy) {
  const std::vector<Molecule> mols = random_molecules(3, 11);
  MoleculeModel model = make_model(mols, options());
  const MoleculeBatch b = model->batch(mols, all_of(mols));
  const EnergyForces ef = model->energy_and_forces(b, false);
  const int64_t n = b.graph.num_nodes();
  // Central differences of E in float64: error O(h^2) ~ 1e-10 relative to the forces.
  const double h = 1e-5;
  at::Tensor fd = at::zeros({n, 3}, at::kDouble);
  for (int64_t a = 0; a < n; ++a) {
    for (int d = 0; d < 3; ++d) {
      MoleculeBatch p = b, m = b;
      p.graph.pos = b.graph.pos.clone();
      m.graph.pos = b.graph.pos.clone();
      p.graph.pos[a][d] += h;
      m.graph.pos[a][d] -= h;
      torch::NoGradGuard ng;
      const double ep = model->energy(p).sum().item<double>();
      const double em = model->energy(m).sum().item<double>();
      fd[a][d] = -(ep - em) / (2 * h);
    }
  }
  const double scale = ef.forces.abs().max().item<double>();
  ASSERT_GT(scale, 1e-6);  // a zero force field would pass trivially
  EXPECT_LT(testing::max_abs_diff(ef.forces, fd) / scale, 1e-6);
  // Energies from both paths agree.
  torch::NoGradGuard ng;
  EXPECT_LT(testing::max_abs_diff(ef.energy, model->energy(b)), 1e-10);
}

TEST_P(ForcesTest, EnergyInvariantForcesRotate) {
  const std::vector<Molecule> mols = random_molecules(4, 12);
  MoleculeModel model = make_model(mols, options());
  const MoleculeBatch b = model->batch(mols, all_of(mols));
  const EnergyForces ef = model->energy_and_forces(b, false);
  ASSERT_GT(ef.forces.abs().max().item<double>(), 1e-6);
  at::Generator g = testing::make_generator(5);
  for (int trial = 0; trial < 3; ++trial) {
    const at::Tensor R = random_rotation(1, at::kDouble, g)[0];
    const at::Tensor t = at::randn({1, 3}, g, at::kDouble) * 5.0;
    MoleculeBatch rb = b;
    rb.graph.pos = b.graph.pos.matmul(R.t()) + t;  // x -> R x + t
    const EnergyForces r = model->energy_and_forces(rb, false);
    EXPECT_LT(testing::max_abs_diff(r.energy, ef.energy) / ef.energy.abs().max().item<double>(),
              1e-10);
    EXPECT_LT(testing::relative_error(r.forces, ef.forces.matmul(R.t())), 1e-9);
  }
}

INSTANTIATE_TEST_SUITE_P(AttentionAndTfn, ForcesTest,
                         ::testing::Combine(::testing::Values(true, false),
                                            ::testing::Values(int64_t{0}, int64_t{6})));

TEST(MoleculeModel, PoolingsAreInvariantAndSumIsExtensive) {
  const std::vector<Molecule> mols = random_molecules(2, 13);
  for (const char* pooling : {"avg", "max"}) {
    MoleculeModel model = make_model(mols, small_options(true, pooling));
    const MoleculeBatch b = model->batch(mols, all_of(mols));
    torch::NoGradGuard ng;
    const at::Tensor e = model->forward(b);
    MoleculeBatch rb = b;
    const at::Tensor R = random_rotation(1, at::kDouble, testing::make_generator(2))[0];
    rb.graph.pos = b.graph.pos.matmul(R.t());
    EXPECT_LT(testing::max_abs_diff(model->forward(rb), e), 1e-10) << pooling;
  }
  // Sum pooling: two far-apart copies in one molecule are not what a fully connected graph
  // sees, but a batch of [A, B] equals A and B predicted separately (molecules independent).
  MoleculeModel model = make_model(mols, small_options(true, "sum"));
  torch::NoGradGuard ng;
  const at::Tensor both = model->energy(model->batch(mols, {0, 1}));
  EXPECT_NEAR(both[0].item<double>(), model->energy(model->batch(mols, {0}))[0].item<double>(),
              1e-10);
  EXPECT_NEAR(both[1].item<double>(), model->energy(model->batch(mols, {1}))[0].item<double>(),
              1e-10);
}

TEST(MoleculeModel, SaveLoadRoundTripAndErrors) {
  const std::vector<Molecule> mols = random_molecules(3, 14);
  MoleculeModelOptions o = small_options(true, "sum", /*radial_basis=*/5);
  o.cutoff = 4.5;
  o.radial_max = 3.5;
  MoleculeModel model = make_model(mols, o, at::kFloat);
  const std::string path =
      (std::filesystem::temp_directory_path() / "se3t_molecule_model_test.pt").string();
  save_molecule_model(*model, path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  MoleculeModel loaded = load_molecule_model(path);
  EXPECT_EQ(loaded->options().to_text(), o.to_text());
  EXPECT_EQ(loaded->stats().to_text(), model->stats().to_text());
  torch::NoGradGuard ng;
  const at::Tensor a = model->energy(model->batch(mols, all_of(mols)));
  const at::Tensor b = loaded->energy(loaded->batch(mols, all_of(mols)));
  EXPECT_TRUE(at::equal(a, b));
  std::remove(path.c_str());
  EXPECT_THROW(load_molecule_model(path), Error);
  // Unknown element at prediction time.
  std::vector<Molecule> other = mols;
  other[0].numbers[0] = 17;
  EXPECT_THROW(loaded->batch(other, {0}), Error);
}

TEST(MoleculeTraining, LossDecreasesOnATinySet) {
  const std::vector<Molecule> mols = random_molecules(8, 15);
  MoleculeModel model = make_model(mols, small_options(true, "sum"), at::kFloat);
  MoleculeLoss tc;
  tc.force_weight = 0.0;
  tc.loss = "mse";
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(5e-3));
  const MoleculeBatch b = model->batch(mols, all_of(mols));
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 60; ++step) {
    opt.zero_grad();
    const at::Tensor loss = molecule_loss(*model, b, tc, false);
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
}

TEST(MoleculeTraining, ForceLossBackpropagatesToParameters) {
  // The force term alone must produce parameter gradients (the graph of dE/dx is kept), and
  // they must match a float64 finite difference of the loss in one parameter.
  std::vector<Molecule> mols = random_molecules(2, 16);
  for (Molecule& m : mols) {
    for (size_t a = 0; a < m.numbers.size(); ++a) m.forces.push_back({0.3, -0.2, 0.1 * a});
  }
  MoleculeModel model = make_model(mols, small_options(false, "sum"));
  MoleculeLoss tc;
  tc.energy_weight = 0.0;
  tc.force_weight = 1.0;
  tc.loss = "mse";
  const MoleculeBatch b = model->batch(mols, all_of(mols));
  ASSERT_TRUE(b.forces.defined());
  model->zero_grad();
  molecule_loss(*model, b, tc, true).backward();
  at::Tensor w;  // the MLP's last weight matrix
  for (const auto& q : model->named_parameters()) {
    if (q.key().find("mlp") != std::string::npos && q.value().dim() == 2) w = q.value();
  }
  ASSERT_TRUE(w.defined());
  const at::Tensor grad = w.grad().clone();
  ASSERT_GT(grad.abs().max().item<double>(), 0.0);
  const double h = 1e-6;
  {
    torch::NoGradGuard ng;
    w[0][0] += h;
  }
  const double lp = molecule_loss(*model, b, tc, true).item<double>();
  {
    torch::NoGradGuard ng;
    w[0][0] -= 2 * h;
  }
  const double lm = molecule_loss(*model, b, tc, true).item<double>();
  const double fd = (lp - lm) / (2 * h);
  EXPECT_NEAR(grad[0][0].item<double>(), fd, 1e-6 * std::max(1.0, std::abs(fd)));
}

}  // namespace
}  // namespace se3t

namespace se3t {
namespace {

TEST(Predict, WritesFramesTheReaderReadsBack) {
  std::vector<Molecule> mols = random_molecules(5, 17);
  MoleculeModel model = make_model(mols, small_options(true, "sum"));
  std::vector<Frame> frames;
  for (const Molecule& m : mols) {
    Frame f;
    for (int z : m.numbers) f.species.push_back(element_symbol(z));
    f.positions = m.positions;
    f.info["energy"] = "1.5";
    frames.push_back(f);
  }
  const MoleculeEnsemble one({model});
  const std::vector<Frame> out = predict_frames(one, frames, true, 2, "test");
  const std::string path =
      (std::filesystem::temp_directory_path() / "se3t_predict_test.extxyz").string();
  write_extxyz(path, out);
  const std::vector<Frame> back = read_extxyz(path);
  std::remove(path.c_str());
  ASSERT_EQ(back.size(), frames.size());
  const MoleculeBatch b = model->batch(mols, all_of(mols));
  const EnergyForces ef = model->energy_and_forces(b, false);
  int64_t row = 0;
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_NEAR(*back[i].number("energy"), ef.energy[i].item<double>(), 1e-9);
    EXPECT_EQ(*back[i].number("energy_ref"), 1.5);
    ASSERT_TRUE(back[i].has_forces());
    for (size_t a = 0; a < back[i].size(); ++a, ++row) {
      // Batches of 2 there, of 5 here: sums in another order, so equal to rounding.
      for (int d = 0; d < 3; ++d) {
        EXPECT_NEAR(back[i].forces[a][d], ef.forces[row][d].item<double>(), 1e-12);
      }
    }
  }
  // Errors: no frames, an unknown element.
  EXPECT_THROW(predict_frames(one, {}, false), Error);
  frames[1].species[0] = "Cl";
  try {
    predict_frames(one, frames, false, 64, "input.extxyz");
    FAIL() << "no error for Cl";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("Cl"), std::string::npos) << msg;
    EXPECT_NE(msg.find("input.extxyz"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace se3t

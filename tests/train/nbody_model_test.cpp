// The N-body model and the evaluation: the Linear baseline against a hand computation on a
// tiny generated split, the model's equivariance, and the data directory layout.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <filesystem>

#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/data/nbody_files.h"
#include "se3t/models/nbody_model.h"
#include "se3t/so3/rotation.h"
#include "se3t/so3/wigner_d.h"
#include "se3t/tasks/nbody_evaluate.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::TempDir;

NBodyOptions small_protocol() {
  NBodyOptions o = NBodyOptions::paper();
  o.num_frames = 12;
  o.num_train = 4;
  o.num_valid = 0;
  o.num_test = 6;
  o.input_frame = 2;
  o.target_frame = 7;
  return o;
}

TEST(LinearBaseline, EqualsHandComputationOnGeneratedSplit) {
  TempDir dir("linear");
  const NBodyOptions o = small_protocol();
  generate_nbody_data(dir.str(), "paper", o, 5);
  const NBodySplit test = load_nbody_split(dir.str(), "test");
  ASSERT_EQ(test.num_sims(), 6);
  const double t = nbody_interval(nbody_data_options(dir.str(), "egnn"), 2, 7);
  EXPECT_DOUBLE_EQ(t, 5 * 100 * 0.001);  // 500 steps of dt = 0.001

  // By hand from the raw [sims, frames, 3, n] arrays.
  const auto loc = test.loc.accessor<double, 4>();
  const auto vel = test.vel.accessor<double, 4>();
  double se_pos = 0, se_vel = 0;
  int64_t count = 0;
  for (int64_t s = 0; s < 6; ++s) {
    for (int64_t d = 0; d < 3; ++d) {
      for (int64_t i = 0; i < 5; ++i) {
        const double pred_x = loc[s][2][d][i] + vel[s][2][d][i] * 0.5;
        const double pred_v = vel[s][2][d][i];
        se_pos += (pred_x - loc[s][7][d][i]) * (pred_x - loc[s][7][d][i]);
        se_vel += (pred_v - vel[s][7][d][i]) * (pred_v - vel[s][7][d][i]);
        ++count;
      }
    }
  }
  const NBodyDataset data(test, 2, 7);
  EvalOptions eo;
  eo.batch_size = 4;  // two batches, the second partial
  const NBodyMetrics m = evaluate_nbody(linear_predictor(t), data, eo);
  EXPECT_EQ(m.num_samples, 6);
  EXPECT_NEAR(m.mse_position, se_pos / count, 1e-14);
  EXPECT_NEAR(m.mse_velocity, se_vel / count, 1e-14);
  EXPECT_NEAR(m.loss, 0.5 * (se_pos + se_vel) / count, 1e-14);
  EXPECT_LT(m.equivariance_error_position, 1e-14);  // the baseline is exactly equivariant
  EXPECT_GT(m.mse_position, 0.0);
}

TEST(LinearBaseline, SpreadInputFramesAsThePapersCode) {
  // Simulation i of m starts at frame floor(last * i / m), last = frames - offset (12 - 5).
  const NBodyOptions o = small_protocol();
  const NBodySplit split = generate_nbody_dataset(o, 6, 3);
  const auto loc = split.loc.accessor<double, 4>();
  const auto vel = split.vel.accessor<double, 4>();
  double se_pos = 0;
  for (int64_t s = 0; s < 6; ++s) {
    const int64_t f = 7 * s / 6, g = f + 5;
    for (int64_t d = 0; d < 3; ++d) {
      for (int64_t i = 0; i < 5; ++i) {
        const double e = loc[s][f][d][i] + vel[s][f][d][i] * 0.5 - loc[s][g][d][i];
        se_pos += e * e;
      }
    }
  }
  EvalOptions eo;
  eo.spread_input_frames = true;
  eo.batch_size = 5;
  const NBodyDataset data(split, 2, 7);
  EXPECT_EQ(input_frame_range(data), (std::pair<int64_t, int64_t>(0, 7)));
  const NBodyMetrics m = evaluate_nbody(linear_predictor(0.5), data, eo);
  EXPECT_NEAR(m.mse_position, se_pos / 90, 1e-14);
}

TEST(LinearBaseline, ExactForFreeParticles) {
  // No forces (one particle, walls off): x_T = x_0 + v_0 t holds to rounding.
  NBodyOptions o = small_protocol();
  o.num_particles = 1;
  o.box_size = 0;
  const NBodyDataset data(generate_nbody_dataset(o, 3, 2), 2, 7);
  const NBodyMetrics m = evaluate_nbody(linear_predictor(nbody_interval(o, 2, 7)), data);
  EXPECT_LT(m.mse_position, 1e-24);
  EXPECT_EQ(m.mse_velocity, 0.0);
}

TEST(NBodyModel, VelocityIsATypeOneFeature) {
  // se3t's type-1 basis is Cartesian: D^1(R) = R, so a vector enters as it is.
  const at::Tensor R = random_rotation(5, at::kDouble, testing::make_generator(1));
  EXPECT_LT(testing::max_abs_diff(wigner_D(1, R), R), 1e-12);
}

TEST(NBodyModel, PredictionsAreEquivariant) {
  BackboneOptions spec;
  spec.num_layers = 2;
  spec.num_degrees = 3;
  spec.num_channels = 4;
  spec.num_heads = 2;
  NBodyModel model(nbody_network(spec));
  model->to(at::kDouble);
  const NBodyDataset data(generate_nbody_dataset(small_protocol(), 4, 9), 2, 7);
  std::vector<int64_t> all = {0, 1, 2, 3};
  const NBodyBatch batch = data.batch(all);
  const NBodyPrediction p = model->forward(batch);
  EXPECT_EQ(p.pos.sizes(), (std::vector<int64_t>{20, 3}));
  const at::Tensor R = random_rotation(1, at::kDouble, testing::make_generator(4))[0];
  const at::Tensor b = at::tensor({0.3, -1.2, 2.0}, at::kDouble);
  const NBodyPrediction q = model->forward(transform_batch(batch, R, b));
  EXPECT_LT(testing::relative_error(q.pos, at::matmul(p.pos, R.t()) + b), 1e-12);
  EXPECT_LT(testing::relative_error(q.vel, at::matmul(p.vel, R.t())), 1e-12);
  EvalOptions eo;
  eo.rotations = 3;
  EXPECT_LT(evaluate_nbody(model_predictor(model), data, eo).equivariance_error_position, 1e-12);
  // Systems in one batch do not interact: each one alone gives the same prediction.
  const NBodyPrediction one = model->forward(data.batch({2}));
  EXPECT_LT(testing::max_abs_diff(one.pos, p.pos.narrow(0, 10, 5)), 1e-12);
}

TEST(NBodyModel, RejectsWrongNetworks) {
  SE3TransformerOptions o = nbody_network(BackboneOptions());
  o.fiber_out = Fiber({{1, 1}});
  EXPECT_THROW(NBodyModel{o}, Error);
  o = nbody_network(BackboneOptions());
  o.edge_dim = 0;
  EXPECT_THROW(NBodyModel{o}, Error);
}

TEST(NBodyData, InfoRoundTripsAndMismatchesAreReported) {
  TempDir dir("info");
  const NBodyOptions o = small_protocol();
  const NBodyDataInfo info = generate_nbody_data(dir.str(), "egnn", o, 8);
  EXPECT_EQ(info.tag, "charged5_initvel1small");
  EXPECT_TRUE(std::filesystem::exists(dir / "loc_train_charged5_initvel1small.npy"));
  EXPECT_FALSE(std::filesystem::exists(dir / "loc_valid_charged5_initvel1small.npy"));
  const auto back = read_nbody_info(dir.str());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->to_text(), info.to_text());
  EXPECT_EQ(load_nbody_split(dir.str(), "test").num_sims(), 6);
  EXPECT_THROW(load_nbody_split(dir.str(), "valid"), Error);
  EXPECT_THROW(load_nbody_split(dir.str(), "dev"), Error);
  // The test split is simulations 4.. of the seed: the same as generating them directly.
  const NBodySplit direct = generate_nbody_dataset(o, 6, 8, 4);
  EXPECT_TRUE(at::equal(load_nbody_split(dir.str(), "test").loc, direct.loc));
  // A directory without se3t_nbody.txt is read by file name.
  std::filesystem::remove(dir / "se3t_nbody.txt");
  EXPECT_EQ(load_nbody_split(dir.str(), "train").num_sims(), 4);
}

}  // namespace
}  // namespace se3t

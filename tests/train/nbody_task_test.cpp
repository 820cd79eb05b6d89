// The N-body task: its data, its monitoring without a validation split, the Linear baseline,
// model files and the epoch plan.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

#include "common/expect_error.h"
#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/train/checkpoint.h"
#include "se3t/train/fit.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::quiet;
using testing::TempDir;
using testing::tiny_nbody_config;

class NBodyTraining : public ::testing::Test {
 protected:
  TempDir dir_{"nbody_task"};
};

// What is the N-body task's own (the loop is tested on every task in fit_test.cpp): the data
// set generated with its description, the test split monitored when the protocol has no
// validation split (it never selects a model), the Linear baseline, data of other settings.
TEST_F(NBodyTraining, GeneratesDataAndMonitorsTestWithoutSelecting) {
  NBodyTask task(tiny_nbody_config(dir_ / "data", dir_ / "run"));
  const FitResult r = fit(task, quiet());
  ASSERT_EQ(r.history.size(), 4u);
  EXPECT_EQ(r.steps, 4 * 3);
  EXPECT_LT(r.history.back().valid_loss, r.history.front().valid_loss);
  EXPECT_EQ(r.test.count, 8);
  EXPECT_TRUE(std::isfinite(r.test.values[0]));
  EXPECT_NE(r.test.json.find("\"equivariance_error_position\""), std::string::npos);
  // No validation split: nothing is selected on the test split, the last model is tested.
  EXPECT_FALSE(fs::exists(dir_ / "run/best_model.pt"));
  EXPECT_EQ(r.test_model, dir_ / "run/checkpoint.pt");
  EXPECT_EQ(r.history.back().valid_loss, r.test.loss);
  // The checkpoint is a save_model file too.
  EXPECT_NO_THROW(load_model(dir_ / "run/checkpoint.pt"));
  EXPECT_NO_THROW(NBodyConfig::parse(testing::read_text(dir_ / "run/config.toml"), "config.toml"));
  EXPECT_TRUE(fs::exists(dir_ / "data/se3t_nbody.txt"));
  EXPECT_TRUE(fs::exists(dir_ / "data/loc_train_charged5.npy"));
  EXPECT_TRUE(fs::exists(dir_ / "data/charges_test_charged5.npy"));
  // Data generated with other settings is not silently reused.
  NBodyConfig more = tiny_nbody_config(dir_ / "data", dir_ / "run2");
  more.data.num_train = 30;
  NBodyTask other(more);
  EXPECT_THROW(fit(other, quiet()), Error);
}

TEST_F(NBodyTraining, LinearBaselineIsEvaluatedNotTrained) {
  NBodyConfig c = tiny_nbody_config(dir_ / "data", dir_ / "linear");
  c.model.type = "linear";
  NBodyTask task(c);
  const FitResult r = fit(task, quiet());
  EXPECT_EQ(r.steps, 0);
  ASSERT_EQ(r.history.size(), 1u);
  EXPECT_TRUE(std::isfinite(r.history[0].train_loss));
  EXPECT_EQ(r.test.count, 8);
  EXPECT_FALSE(fs::exists(dir_ / "linear/checkpoint.pt"));
  EXPECT_TRUE(fs::exists(dir_ / "linear/test_metrics.json"));
  // The Linear prediction on the test split, computed directly.
  const NBodyData& d = task.data();
  EvalOptions eo;
  const NBodyMetrics m = evaluate_nbody(
      linear_predictor(nbody_interval(d.options, c.data.input_frame, c.data.target_frame)), *d.test,
      eo);
  EXPECT_EQ(r.test.values[0], m.mse_position);
}

// save_model round-trips, and a save that cannot happen is an se3t::Error that names the file,
// with no temporary file left behind and the previous checkpoint untouched.
TEST_F(NBodyTraining, SaveModelIsAtomic) {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, 1}};
  o.fiber_hidden = Fiber::uniform(1, 4);
  o.fiber_out = Fiber{{0, 1}};
  o.num_layers = 1;
  SE3Transformer net(o);
  const std::string path = dir_ / "model.pt";
  save_model(*net, path);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  const auto before = testing::read_text(path);
  SE3Transformer loaded = load_model(path);
  EXPECT_EQ(loaded->options().to_text(), o.to_text());
  // A directory in the way of the temporary file makes the write fail.
  fs::create_directory(path + ".tmp");
  fs::create_directory(path + ".tmp/x");
  try {
    save_model(*net, path);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.pt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::read_text(path), before);
}

// A float64 model loads as float64 with the same parameters (not float32 reinterpretations of
// the stored bytes), so it computes the same outputs.
TEST_F(NBodyTraining, LoadModelKeepsTheSavedDtype) {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, 1}};
  o.fiber_hidden = Fiber::uniform(1, 4);
  o.fiber_out = Fiber{{1, 1}};
  o.num_layers = 1;
  SE3Transformer net(o);
  net->to(torch::kFloat64);
  const std::string path = dir_ / "model64.pt";
  save_model(*net, path);
  SE3Transformer loaded = load_model(path);
  for (const auto& p : loaded->named_parameters()) {
    EXPECT_EQ(p.value().scalar_type(), torch::kFloat64) << p.key();
  }
  const torch::Tensor pos = torch::randn({6, 3}, torch::kFloat64);
  const GraphBatch g = fully_connected_graph(pos, torch::zeros({6}, torch::kLong), 1);
  const Features in{{0, torch::randn({6, 1, 1}, torch::kFloat64)}};
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(loaded->forward(g, in).at(1), net->forward(g, in).at(1)));
}

TEST(EpochPlan, DependsOnlyOnSeedAndEpoch) {
  const NBodyOptions o = [] {
    NBodyOptions x;
    x.num_frames = 12;
    return x;
  }();
  const NBodyDataset data(generate_nbody_dataset(o, 10, 1), 0, 5);
  const EpochPlan a = epoch_plan(4, 2, data, true), b = epoch_plan(4, 2, data, true);
  EXPECT_EQ(a.sims, b.sims);
  EXPECT_EQ(a.input_frames, b.input_frames);
  EXPECT_NE(epoch_plan(4, 3, data, true).sims, a.sims);
  std::vector<int64_t> sorted = a.sims;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(sorted[i], i);
  for (int64_t f : a.input_frames) {
    EXPECT_GE(f, 0);
    EXPECT_LE(f, 12 - 5 - 1);
  }
  for (int64_t f : epoch_plan(4, 2, data, false).input_frames) EXPECT_EQ(f, 0);
}

// The augmentation flags are fair coins drawn after the order and the frames, which stay those
// of a plan without augmentation (a run that turns one on sees the same samples).
TEST(EpochPlan, AugmentationFlagsAreCoinsDrawnAfterTheOrder) {
  NBodyOptions o;
  o.num_frames = 12;
  const NBodyDataset data(generate_nbody_dataset(o, 200, 1), 0, 5);
  const EpochPlan plain = epoch_plan(4, 2, data, true);
  EXPECT_EQ(plain.reversed, std::vector<uint8_t>(200, 0));
  EXPECT_EQ(plain.flipped, std::vector<uint8_t>(200, 0));
  const EpochPlan a = epoch_plan(4, 2, data, true, {true, true});
  EXPECT_EQ(a.sims, plain.sims);
  EXPECT_EQ(a.input_frames, plain.input_frames);
  const auto ones = [](const std::vector<uint8_t>& v) { return std::count(v.begin(), v.end(), 1); };
  // 200 fair coins: 100 +- 7 heads; outside 60..140 has probability ~1e-8.
  EXPECT_EQ(ones(a.reversed) + std::count(a.reversed.begin(), a.reversed.end(), 0), 200);
  EXPECT_GT(ones(a.reversed), 60);
  EXPECT_LT(ones(a.reversed), 140);
  EXPECT_GT(ones(a.flipped), 60);
  EXPECT_LT(ones(a.flipped), 140);
  EXPECT_NE(a.reversed, a.flipped);
  EXPECT_EQ(epoch_plan(4, 2, data, true, {true, true}).reversed, a.reversed);
  EXPECT_NE(epoch_plan(4, 3, data, true, {true, true}).reversed, a.reversed);
  EXPECT_EQ(epoch_plan(4, 2, data, true, {false, true}).reversed, plain.reversed);
}

// residual = true: the position change is v_0 t + network, with t the data's interval, and the
// interval travels with the model file (se3t eval rebuilds the same predictor from it).
TEST_F(NBodyTraining, ResidualModelPredictsForceFreeMotionPlusTheNetwork) {
  NBodyConfig c = tiny_nbody_config(dir_ / "data", dir_ / "run");
  c.train.epochs = 1;
  c.head.residual = true;
  NBodyTask task(c);
  const FitResult r = fit(task, quiet());
  ASSERT_EQ(r.epochs_done, 1);
  const double t = nbody_interval(task.data().options, c.data.input_frame, c.data.target_frame);
  EXPECT_GT(t, 0.0);
  NBodyModel loaded = load_nbody_model(dir_ / "run/checkpoint.pt");
  EXPECT_EQ(loaded->residual_interval(), t);
  const NBodyBatch b = task.data().test->batch({0, 1});
  torch::NoGradGuard no_grad;
  const NBodyPrediction with = loaded->forward_delta(b);
  loaded->set_residual_interval(0.0);
  const NBodyPrediction without = loaded->forward_delta(b);
  EXPECT_TRUE(at::allclose(with.pos - without.pos, t * b.vel.to(at::kFloat), 1e-6, 1e-6));
  EXPECT_TRUE(at::equal(with.vel, without.vel));
  // A config without the residual refuses the file rather than predicting without it.
  NBodyConfig plain = c;
  plain.head.residual = false;
  plain.train.out_dir = dir_ / "run2";
  NBodyTask other(plain);
  other.load_data(nullptr);
  other.build_model();
  testing::expect_error([&] { load_model_file(dir_ / "run/checkpoint.pt", other); },
                        {"residual interval", "none"});
}

// velocity_weight w: training loss and the validation loss that selects the epoch are
// (MSE position + w MSE velocity) / (1 + w); 0 is EGNN's position-only loss.
// The augmentations reach the loss: the same model and samples give another loss with them on.
TEST_F(NBodyTraining, AugmentationsChangeTheTrainingSamples) {
  auto first_batch_loss = [&](bool reversal, bool flip) {
    NBodyConfig c = tiny_nbody_config(dir_ / "data", dir_ / "run");
    c.loss.time_reversal = reversal;
    c.loss.charge_flip = flip;
    NBodyTask task(c);
    task.load_data(nullptr);
    torch::manual_seed(5);
    task.build_model();
    task.begin_epoch(c.train.seed, 0);
    torch::NoGradGuard no_grad;
    return task.batch_loss(0, 8, 0, 8).item<double>();
  };
  const double plain = first_batch_loss(false, false);
  EXPECT_EQ(first_batch_loss(false, false), plain);
  EXPECT_NE(first_batch_loss(true, false), plain);
  EXPECT_NE(first_batch_loss(false, true), plain);
  // A fit with both trains.
  NBodyConfig c = tiny_nbody_config(dir_ / "data8", dir_ / "run_aug", /*num_valid=*/8);
  c.loss.time_reversal = c.loss.charge_flip = true;
  NBodyTask task(c);
  const FitResult r = fit(task, quiet());
  EXPECT_LT(r.history.back().valid_loss, r.history.front().valid_loss);
}

TEST_F(NBodyTraining, VelocityWeightSetsTheLossAndTheSelection) {
  NBodyConfig c = tiny_nbody_config(dir_ / "data", dir_ / "run", /*num_valid=*/8);
  c.train.epochs = 2;
  c.loss.velocity_weight = 0.0;
  NBodyTask task(c);
  const FitResult r = fit(task, quiet());
  ASSERT_EQ(r.history.size(), 2u);
  for (const EpochRecord& e : r.history) EXPECT_EQ(e.valid_loss, e.valid[0]);  // mse_position
  c.loss.velocity_weight = 3.0;
  c.train.out_dir = dir_ / "run3";
  NBodyTask task3(c);
  const FitResult r3 = fit(task3, quiet());
  for (const EpochRecord& e : r3.history) {
    EXPECT_DOUBLE_EQ(e.valid_loss, (e.valid[0] + 3.0 * e.valid[1]) / 4.0);
  }
}

}  // namespace
}  // namespace se3t

// Training: the loss goes down, checkpoints are atomic, and resuming an interrupted run
// (at an epoch boundary, mid-epoch, or after a real SIGINT) reproduces the uninterrupted run
// bit for bit.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <csignal>
#include <filesystem>

#include "common/testing.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/train/checkpoint.h"
#include "se3t/train/nbody_data.h"
#include "se3t/train/trainer.h"
#include "se3t/util/check.h"
#include "train_testing.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::tiny_config;

TrainOverrides quiet() {
  TrainOverrides o;
  o.verbose = false;
  return o;
}

// Parameters of a checkpoint, by name.
std::vector<std::pair<std::string, at::Tensor>> parameters_of(const std::string& path) {
  SE3Transformer net = load_model(path);
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& p : net->named_parameters()) out.emplace_back(p.key(), p.value());
  return out;
}

void expect_identical(const std::string& a, const std::string& b) {
  const auto pa = parameters_of(a), pb = parameters_of(b);
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].first, pb[i].first);
    EXPECT_TRUE(at::equal(pa[i].second, pb[i].second)) << pa[i].first;
  }
}

class Trainer : public ::testing::Test {
 protected:
  TempDir dir_{"trainer"};
};

TEST_F(Trainer, LossDecreasesAndFilesAreWritten) {
  Config c = tiny_config(dir_ / "data", dir_ / "run");
  c.train.epochs = 6;
  const TrainResult r = train_nbody(c, quiet());
  ASSERT_EQ(r.history.size(), 6u);
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.steps, 6 * 3);
  EXPECT_LT(r.history.back().train_loss, 0.7 * r.history.front().train_loss);
  EXPECT_LT(r.history.back().valid_loss, r.history.front().valid_loss);
  EXPECT_EQ(r.test.num_samples, 8);
  EXPECT_TRUE(std::isfinite(r.test.mse_position));
  EXPECT_LT(r.test.equivariance_error_position, 1e-5);  // float32 model
  for (const char* f : {"checkpoint.pt", "config.toml", "metrics.csv", "metrics.jsonl",
                        "learning_curve.svg", "test_metrics.json"}) {
    EXPECT_TRUE(fs::exists(dir_ / ("run/" + std::string(f)))) << f;
  }
  // Atomic writes leave no temporary files behind.
  for (const auto& e : fs::directory_iterator(dir_ / "run")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
  const std::string csv = testing::read_text(dir_ / "run/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);  // header + 6 epochs
  EXPECT_EQ(csv.rfind("epoch,step,lr,train_loss,valid_loss", 0), 0u);
  const std::string svg = testing::read_text(dir_ / "run/learning_curve.svg");
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // The checkpoint is a save_model file too.
  EXPECT_NO_THROW(load_model(dir_ / "run/checkpoint.pt"));
  EXPECT_NO_THROW(Config::parse(testing::read_text(dir_ / "run/config.toml"), "config.toml"));
  // The data set was generated with its description.
  EXPECT_TRUE(fs::exists(dir_ / "data/se3t_nbody.txt"));
  EXPECT_TRUE(fs::exists(dir_ / "data/loc_train_charged5.npy"));
  EXPECT_TRUE(fs::exists(dir_ / "data/charges_test_charged5.npy"));
}

TEST_F(Trainer, ResumeIsBitExact) {
  const Config c = tiny_config(dir_ / "data", dir_ / "full");
  train_nbody(c, quiet());  // 4 epochs of 3 steps, uninterrupted

  // Stopped after epoch 2, then resumed to 4.
  TrainOverrides stop = quiet();
  stop.out_dir = dir_ / "boundary";
  stop.stop_after_steps = 6;
  const TrainResult first = train_nbody(c, stop);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.epochs_done, 2);
  TrainOverrides resume = quiet();
  resume.out_dir = dir_ / "boundary";
  resume.resume = true;
  const TrainResult second = train_nbody(c, resume);
  EXPECT_FALSE(second.interrupted);
  EXPECT_EQ(second.epochs_done, 4);
  EXPECT_EQ(second.steps, 12);
  expect_identical(dir_ / "full/checkpoint.pt", dir_ / "boundary/checkpoint.pt");

  // Stopped in the middle of epoch 2 (step 4 of 12), resumed twice.
  stop.out_dir = resume.out_dir = dir_ / "mid";
  stop.stop_after_steps = 4;
  EXPECT_TRUE(train_nbody(c, stop).interrupted);
  resume.stop_after_steps = 5;
  EXPECT_TRUE(train_nbody(c, resume).interrupted);
  resume.stop_after_steps = -1;
  const TrainResult third = train_nbody(c, resume);
  EXPECT_EQ(third.steps, 12);
  expect_identical(dir_ / "full/checkpoint.pt", dir_ / "mid/checkpoint.pt");
  // The metric history (losses) agrees with the uninterrupted run.
  const TrainResult full = [&] {
    TrainOverrides o = quiet();
    o.resume = true;  // already finished: only re-evaluates
    return train_nbody(c, o);
  }();
  ASSERT_EQ(full.history.size(), third.history.size());
  for (size_t i = 0; i < full.history.size(); ++i) {
    EXPECT_EQ(full.history[i].train_loss, third.history[i].train_loss) << i;
    EXPECT_EQ(full.history[i].valid_loss, third.history[i].valid_loss) << i;
  }
  EXPECT_EQ(full.test.mse_position, third.test.mse_position);
}

TEST_F(Trainer, SigintWritesACheckpointAndResumes) {
  const Config c = tiny_config(dir_ / "data", dir_ / "full");
  train_nbody(c, quiet());
  TrainOverrides o = quiet();
  o.out_dir = dir_ / "sig";
  o.on_step = [](int64_t step) {
    if (step == 5) std::raise(SIGINT);  // as Ctrl-C during step 5
  };
  const TrainResult r = train_nbody(c, o);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.steps, 5);
  o.on_step = nullptr;
  o.resume = true;
  EXPECT_FALSE(train_nbody(c, o).interrupted);
  expect_identical(dir_ / "full/checkpoint.pt", dir_ / "sig/checkpoint.pt");
}

TEST_F(Trainer, RefusesToOverwriteOrResumeAnotherConfig) {
  Config c = tiny_config(dir_ / "data", dir_ / "run");
  c.train.epochs = 1;
  train_nbody(c, quiet());
  EXPECT_THROW(train_nbody(c, quiet()), Error);  // checkpoint exists, no --resume
  TrainOverrides o = quiet();
  o.resume = true;
  Config other = c;
  other.model.num_channels = 2;
  EXPECT_THROW(train_nbody(other, o), Error);
  other = c;
  other.train.lr = 1e-2;
  EXPECT_THROW(train_nbody(other, o), Error);
  o.out_dir = dir_ / "nothing";
  EXPECT_THROW(train_nbody(c, o), Error);  // --resume without a checkpoint
  // Data generated with other settings is not silently reused.
  Config more = c;
  more.data.num_train = 30;
  more.train.out_dir = dir_ / "run2";
  EXPECT_THROW(train_nbody(more, quiet()), Error);
}

// save_model round-trips, and a save that cannot happen is an se3t::Error that names the file,
// with no temporary file left behind and the previous checkpoint untouched.
TEST_F(Trainer, SaveModelIsAtomic) {
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

}  // namespace
}  // namespace se3t

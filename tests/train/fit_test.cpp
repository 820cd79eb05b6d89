// The one training loop, run on every task (N-body and molecules) with the same tests: the
// files of a run, bit-exact resume after a stop at an epoch boundary, mid-epoch and after a
// real SIGINT, refusing to overwrite a run or to resume another config, the best model chosen
// on validation, and test metrics equal to the best model's.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>

#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/train/checkpoint.h"
#include "se3t/train/fit.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::quiet;
using testing::TempDir;

// Element-wise equality, NaN (a metric the task does not measure) equal to NaN.
bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  }
  return true;
}

class Fit : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Task> task(const std::string& out) const {
    return testing::tiny_task(GetParam(), dir_.str(), dir_ / out);
  }
  FitResult run(const std::string& out, FitOptions o = quiet()) const { return fit(*task(out), o); }
  // The parameters of a model file, by name, read into a freshly built task.
  std::vector<std::pair<std::string, at::Tensor>> parameters_of(const std::string& file) const {
    std::unique_ptr<Task> t = task("unused");
    t->load_data(nullptr);
    t->build_model();
    load_model_file(file, *t);
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const auto& p : t->module().named_parameters()) out.emplace_back(p.key(), p.value());
    return out;
  }
  void expect_identical(const std::string& a, const std::string& b) const {
    const auto pa = parameters_of(a), pb = parameters_of(b);
    ASSERT_EQ(pa.size(), pb.size());
    ASSERT_FALSE(pa.empty());
    for (size_t i = 0; i < pa.size(); ++i) {
      EXPECT_EQ(pa[i].first, pb[i].first);
      EXPECT_TRUE(at::equal(pa[i].second, pb[i].second)) << pa[i].first;
    }
  }
  TempDir dir_{"fit"};
};

TEST_P(Fit, WritesItsFilesAndLearns) {
  const FitResult r = run("run");
  const int64_t epochs = task("x")->config().train.epochs;
  ASSERT_EQ(static_cast<int64_t>(r.history.size()), epochs);
  EXPECT_FALSE(r.interrupted);
  EXPECT_LT(r.history.back().train_loss, r.history.front().train_loss);
  for (const EpochRecord& e : r.history) {
    EXPECT_TRUE(std::isfinite(e.train_loss));
    EXPECT_TRUE(std::isfinite(e.valid_loss));
    EXPECT_TRUE(std::isfinite(e.valid[0]));
  }
  EXPECT_GT(r.test.count, 0);
  for (const char* f : {"checkpoint.pt", "best_model.pt", "config.toml", "metrics.csv",
                        "metrics.jsonl", "learning_curve.svg", "test_metrics.json"}) {
    EXPECT_TRUE(fs::exists(dir_ / ("run/" + std::string(f)))) << f;
  }
  // Atomic writes leave no temporary files behind.
  for (const auto& e : fs::directory_iterator(dir_ / "run")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
  // The task's metric names are the columns.
  const std::string csv = testing::read_text(dir_ / "run/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), epochs + 1);
  std::string header = "epoch,step,lr,train_loss,valid_loss";
  for (const std::string& n : task("x")->metric_names()) header += ",valid_" + n;
  EXPECT_EQ(csv.rfind(header + ",epoch_time_s,elapsed_s\n", 0), 0u) << csv;
  const std::string svg = testing::read_text(dir_ / "run/learning_curve.svg");
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  // config.toml is the run's config, read back by the task's own parser.
  std::unique_ptr<Task> t = task("x");
  EXPECT_EQ(t->resume_fingerprint_of(testing::read_text(dir_ / "run/config.toml"), "config.toml"),
            t->config().resume_fingerprint());
  const std::string json = testing::read_text(dir_ / "run/test_metrics.json");
  EXPECT_NE(json.find("\"split\": \"test\""), std::string::npos) << json;
  EXPECT_NE(json.find("best_model.pt"), std::string::npos) << json;
}

TEST_P(Fit, BestModelIsChosenOnValidationAndTested) {
  FitOptions o = quiet();
  o.epochs = 5;
  const FitResult r = run("run", o);
  // best_model.pt is the epoch of lowest validation loss: evaluated again it gives that loss.
  double best = INFINITY;
  for (const EpochRecord& e : r.history) best = std::min(best, e.valid_loss);
  std::unique_ptr<Task> t = task("unused");
  t->load_data(nullptr);
  t->build_model();
  load_model_file(dir_ / "run/best_model.pt", *t);
  EXPECT_DOUBLE_EQ(t->evaluate(Split::kValid).loss, best);
  // The reported test metrics are the best model's, not the last one's.
  EXPECT_EQ(r.test_model, dir_ / "run/best_model.pt");
  const Metrics test = t->evaluate(Split::kTest);
  EXPECT_EQ(test.loss, r.test.loss);
  EXPECT_TRUE(same_values(test.values, r.test.values));
  EXPECT_EQ(test.count, r.test.count);
}

TEST_P(Fit, ResumeIsBitExact) {
  const FitResult full = run("full");  // uninterrupted
  const int64_t steps = full.steps;
  const int64_t per_epoch = steps / static_cast<int64_t>(full.history.size());

  // Stopped after epoch 2, then resumed.
  FitOptions stop = quiet();
  stop.stop_after_steps = 2 * per_epoch;
  const FitResult first = run("boundary", stop);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.epochs_done, 2);
  FitOptions resume = quiet();
  resume.resume = true;
  const FitResult second = run("boundary", resume);
  EXPECT_FALSE(second.interrupted);
  EXPECT_EQ(second.steps, steps);
  expect_identical(dir_ / "full/checkpoint.pt", dir_ / "boundary/checkpoint.pt");

  // Stopped in the middle of an epoch, resumed twice.
  stop.stop_after_steps = per_epoch + 1;
  EXPECT_TRUE(run("mid", stop).interrupted);
  resume.stop_after_steps = per_epoch;
  EXPECT_TRUE(run("mid", resume).interrupted);
  resume.stop_after_steps = -1;
  const FitResult third = run("mid", resume);
  EXPECT_EQ(third.steps, steps);
  expect_identical(dir_ / "full/checkpoint.pt", dir_ / "mid/checkpoint.pt");
  expect_identical(dir_ / "full/best_model.pt", dir_ / "mid/best_model.pt");
  // The metric history and the test metrics agree with the uninterrupted run.
  ASSERT_EQ(full.history.size(), third.history.size());
  for (size_t i = 0; i < full.history.size(); ++i) {
    EXPECT_EQ(full.history[i].train_loss, third.history[i].train_loss) << i;
    EXPECT_EQ(full.history[i].valid_loss, third.history[i].valid_loss) << i;
    EXPECT_TRUE(same_values(full.history[i].valid, third.history[i].valid)) << i;
  }
  EXPECT_EQ(full.test.loss, third.test.loss);
  EXPECT_TRUE(same_values(full.test.values, third.test.values));
}

TEST_P(Fit, SigintWritesACheckpointAndResumes) {
  run("full");
  FitOptions o = quiet();
  o.on_step = [](int64_t step) {
    if (step == 5) std::raise(SIGINT);  // as Ctrl-C during step 5
  };
  const FitResult r = run("sig", o);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.steps, 5);
  EXPECT_EQ(r.test.count, 0);
  EXPECT_FALSE(fs::exists(dir_ / "sig/test_metrics.json"));
  o.on_step = nullptr;
  o.resume = true;
  EXPECT_FALSE(run("sig", o).interrupted);
  expect_identical(dir_ / "full/checkpoint.pt", dir_ / "sig/checkpoint.pt");
}

TEST_P(Fit, RefusesToOverwriteOrResumeAnotherConfig) {
  FitOptions o = quiet();
  o.epochs = 1;
  run("run", o);
  const std::string before = testing::read_text(dir_ / "run/checkpoint.pt");
  EXPECT_THROW(run("run", o), Error);  // a checkpoint is there, and no --resume
  o.resume = true;
  {
    std::unique_ptr<Task> other = task("run");
    other->config().model.num_channels = 2;
    EXPECT_THROW(fit(*other, o), Error);
  }
  {
    std::unique_ptr<Task> other = task("run");
    other->config().train.lr = 1e-2;
    try {
      fit(*other, o);
      ADD_FAILURE() << "resumed with another lr";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("config differs"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(testing::read_text(dir_ / "run/checkpoint.pt"), before);
  EXPECT_THROW(run("nothing", o), Error);  // --resume without a checkpoint
  // Epochs, threads and the output directory may change on resume.
  o.epochs = 2;
  EXPECT_EQ(run("run", o).epochs_done, 2);
}

TEST_P(Fit, SeedOverrideIsTheConfigSeed) {
  FitOptions o = quiet();
  o.epochs = 1;
  o.seed = 7;
  run("override", o);
  std::unique_ptr<Task> seven = task("seven");
  seven->config().train.seed = 7;
  FitOptions one = quiet();
  one.epochs = 1;
  fit(*seven, one);
  expect_identical(dir_ / "seven/checkpoint.pt", dir_ / "override/checkpoint.pt");
  EXPECT_NE(testing::read_text(dir_ / "override/config.toml").find("seed = 7"), std::string::npos);
}

// [train].ema_decay: validation, the checkpoint's and best model's weights and the test are
// the exponential moving average of the weights the optimizer stepped, recomputed here in
// float64 from the live weights seen after every step.
TEST_P(Fit, WeightAverageIsTheMovingAverageOfTheSteppedWeights) {
  constexpr double kDecay = 0.8;
  std::unique_ptr<Task> t = task("ema");
  t->config().train.ema_decay = kDecay;
  // The average starts at the initial weights, those fit builds from the seed.
  std::vector<at::Tensor> average, live;
  {
    std::unique_ptr<Task> init = task("unused");
    init->load_data(nullptr);
    torch::manual_seed(init->config().train.seed);
    init->build_model();
    for (const at::Tensor& p : init->module().parameters())
      average.push_back(p.detach().to(at::kDouble).clone());
  }
  FitOptions o = quiet();
  o.epochs = 2;
  o.on_step = [&](int64_t step) {
    live.clear();
    for (const at::Tensor& p : t->module().parameters())
      live.push_back(p.detach().to(at::kDouble).clone());
    const double d = std::min(kDecay, (1.0 + double(step)) / (10.0 + double(step)));
    for (size_t i = 0; i < live.size(); ++i) average[i] = d * average[i] + (1.0 - d) * live[i];
  };
  const FitResult r = fit(*t, o);
  ASSERT_EQ(r.history.size(), 2u);
  ASSERT_FALSE(live.empty());

  std::unique_ptr<Task> saved = task("unused");
  saved->load_data(nullptr);
  saved->build_model();
  load_model_file(dir_ / "ema/checkpoint.pt", *saved);
  const std::vector<at::Tensor> params = saved->module().parameters();
  ASSERT_EQ(params.size(), average.size());
  double moved = 0.0;
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor p = params[i].detach().to(at::kDouble);
    EXPECT_LT((p - average[i]).abs().max().item<double>(),
              1e-5 * (1.0 + average[i].abs().max().item<double>()))
        << i;
    moved = std::max(moved, (p - live[i]).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-6);  // the averaged weights are not the live ones
  // The last validation is the averaged weights' (the checkpoint's model entries).
  EXPECT_DOUBLE_EQ(saved->evaluate(Split::kValid).loss, r.history.back().valid_loss);

  // Resuming needs the same setting.
  for (double other : {0.0, 0.9}) {
    std::unique_ptr<Task> again = task("ema");
    again->config().train.ema_decay = other;
    FitOptions resume = quiet();
    resume.resume = true;
    resume.epochs = 3;
    EXPECT_THROW(fit(*again, resume), Error) << other;
  }
  std::unique_ptr<Task> plain = task("plain");
  FitOptions one = quiet();
  one.epochs = 1;
  fit(*plain, one);
  std::unique_ptr<Task> averaged = task("plain");
  averaged->config().train.ema_decay = kDecay;
  FitOptions resume = quiet();
  resume.resume = true;
  resume.epochs = 2;
  try {
    fit(*averaged, resume);
    ADD_FAILURE() << "resumed a run without an average with one";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("without a weight average"), std::string::npos)
        << e.what();
  }
}

TEST_P(Fit, ResumeWithWeightAverageIsBitExact) {
  const auto averaged = [&](const std::string& out) {
    std::unique_ptr<Task> t = task(out);
    t->config().train.ema_decay = 0.9;
    return t;
  };
  FitOptions o = quiet();
  o.epochs = 3;
  const FitResult full = fit(*averaged("full"), o);
  const int64_t per_epoch = full.steps / 3;
  FitOptions stop = o;
  stop.stop_after_steps = per_epoch + 1;  // mid-epoch
  EXPECT_TRUE(fit(*averaged("mid"), stop).interrupted);
  FitOptions resume = o;
  resume.resume = true;
  const FitResult rest = fit(*averaged("mid"), resume);
  EXPECT_EQ(rest.steps, full.steps);
  expect_identical(dir_ / "full/checkpoint.pt", dir_ / "mid/checkpoint.pt");
  expect_identical(dir_ / "full/best_model.pt", dir_ / "mid/best_model.pt");
  ASSERT_EQ(full.history.size(), rest.history.size());
  for (size_t i = 0; i < full.history.size(); ++i)
    EXPECT_EQ(full.history[i].valid_loss, rest.history[i].valid_loss) << i;
  EXPECT_EQ(full.test.loss, rest.test.loss);
}

INSTANTIATE_TEST_SUITE_P(Tasks, Fit, ::testing::Values("nbody", "molecules"));

}  // namespace
}  // namespace se3t

#include "se3t/train/checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/serialize/archive.h>

#include <filesystem>
#include <mutex>
#include <vector>

#include "se3t/util/check.h"
#include "se3t/util/save_archive.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {
namespace {

constexpr int64_t kVersion = 2;

// History rows: epoch, step, lr, train_loss, valid_loss, the task's metrics, epoch_time_s,
// elapsed_s.
at::Tensor history_tensor(const std::vector<EpochRecord>& h, size_t num_metrics) {
  const int64_t width = 7 + static_cast<int64_t>(num_metrics);
  at::Tensor t = at::empty({static_cast<int64_t>(h.size()), width}, at::kDouble);
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < h.size(); ++i) {
    const EpochRecord& r = h[i];
    int64_t k = 0;
    a[i][k++] = static_cast<double>(r.epoch);
    a[i][k++] = static_cast<double>(r.step);
    a[i][k++] = r.lr;
    a[i][k++] = r.train_loss;
    a[i][k++] = r.valid_loss;
    for (size_t m = 0; m < num_metrics; ++m) a[i][k++] = m < r.valid.size() ? r.valid[m] : NAN;
    a[i][k++] = r.epoch_time_s;
    a[i][k++] = r.elapsed_s;
  }
  return t;
}

std::vector<EpochRecord> history_from(const at::Tensor& t, size_t num_metrics,
                                      const std::string& path) {
  SE3T_CHECK(t.dim() == 2 && t.size(1) == 7 + static_cast<int64_t>(num_metrics) &&
                 t.scalar_type() == at::kDouble,
             "checkpoint '", path, "': malformed metric history");
  std::vector<EpochRecord> h(t.size(0));
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < h.size(); ++i) {
    EpochRecord& r = h[i];
    int64_t k = 0;
    r.epoch = static_cast<int64_t>(a[i][k++]);
    r.step = static_cast<int64_t>(a[i][k++]);
    r.lr = a[i][k++];
    r.train_loss = a[i][k++];
    r.valid_loss = a[i][k++];
    for (size_t m = 0; m < num_metrics; ++m) r.valid.push_back(a[i][k++]);
    r.epoch_time_s = a[i][k++];
    r.elapsed_s = a[i][k++];
  }
  return h;
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ",") + n;
  return s;
}

void load_archive(torch::serialize::InputArchive& archive, const std::string& path) {
  SE3T_CHECK(std::filesystem::is_regular_file(path), "checkpoint '", path, "' does not exist");
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    SE3T_CHECK(false, "cannot read checkpoint '", path, "': ", e.what_without_backtrace());
  }
}

c10::IValue read_value(torch::serialize::InputArchive& a, const std::string& key,
                       const std::string& path) {
  c10::IValue v;
  SE3T_CHECK(a.try_read(key, v), "checkpoint '", path, "': training state lacks '", key, "'");
  return v;
}

}  // namespace

void save_checkpoint(const std::string& path, Task& task, const torch::optim::Optimizer& optimizer,
                     const TrainState& state, WeightAverage* average) {
  // An archive refers to the tensors written into it until it is saved: the live weights are
  // copied, and the module holds the averaged ones until the file is written.
  std::vector<at::Tensor> live;
  if (average) {
    for (const at::Tensor& p : task.module().parameters()) live.push_back(p.detach().clone());
  }
  const AveragedWeights averaged(average);
  torch::serialize::OutputArchive archive;
  task.write_model(archive);
  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  archive.write("train_optimizer", opt);

  const std::vector<std::string> names = task.metric_names();
  torch::serialize::OutputArchive s;
  s.write("version", c10::IValue(kVersion));
  s.write("epoch", c10::IValue(state.epoch));
  s.write("step_in_epoch", c10::IValue(state.step_in_epoch));
  s.write("global_step", c10::IValue(state.global_step));
  s.write("epoch_loss_sum", c10::IValue(state.epoch_loss_sum));
  s.write("epoch_samples", c10::IValue(state.epoch_samples));
  s.write("epoch_time_s", c10::IValue(state.epoch_time_s));
  s.write("elapsed_s", c10::IValue(state.elapsed_s));
  s.write("best_valid", c10::IValue(state.best_valid));
  s.write("config", c10::IValue(state.config_toml));
  s.write("metric_names", c10::IValue(joined(names)));
  s.write("history", history_tensor(state.history, names.size()));
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    s.write("torch_rng", gen.get_state());
  }
  if (average) {
    torch::serialize::OutputArchive w;
    for (size_t i = 0; i < live.size(); ++i) w.write(std::to_string(i), live[i]);
    s.write("live_weights", w);
  }
  archive.write("train_state", s);
  save_archive_atomic(archive, path, "checkpoint");
}

TrainState load_checkpoint(const std::string& path, Task& task, torch::optim::Optimizer& optimizer,
                           WeightAverage* average) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  torch::serialize::InputArchive s;
  SE3T_CHECK(archive.try_read("train_state", s), "checkpoint '", path,
             "' has no training state (a model file, not a training checkpoint)");
  c10::IValue version;
  const int64_t v = s.try_read("version", version) && version.isInt() ? version.toInt() : 0;
  SE3T_CHECK(v == kVersion, "checkpoint '", path, "' holds training state version ", v,
             v == 0 ? " (none: a molecule run of an older se3t)" : "",
             ", and this se3t resumes version ", kVersion,
             " only; its model still loads for se3t eval and predict, but the run cannot be "
             "resumed: start a new one");
  task.read_model(archive, path);
  check_parameters_finite(task.module(), path);
  torch::serialize::InputArchive live;
  const bool has_live = s.try_read("live_weights", live);
  SE3T_CHECK(has_live || !average, "checkpoint '", path,
             "' was trained without a weight average ([train].ema_decay = 0): resume it with "
             "ema_decay = 0, or start a new run");
  SE3T_CHECK(!has_live || average, "checkpoint '", path,
             "' was trained with a weight average ([train].ema_decay > 0): resume it with the "
             "same ema_decay");
  if (average) {
    average->reset();  // the model entries: the averaged weights
    torch::NoGradGuard no_grad;
    const std::vector<at::Tensor> params = task.module().parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      at::Tensor t;
      SE3T_CHECK(live.try_read(std::to_string(i), t) && t.sizes() == params[i].sizes(),
                 "checkpoint '", path, "': malformed live weights");
      params[i].detach().copy_(t);
    }
    check_parameters_finite(task.module(), path);
  }
  torch::serialize::InputArchive opt;
  SE3T_CHECK(archive.try_read("train_optimizer", opt), "checkpoint '", path,
             "' has no optimizer state");
  optimizer.load(opt);

  TrainState st;
  st.epoch = read_value(s, "epoch", path).toInt();
  st.step_in_epoch = read_value(s, "step_in_epoch", path).toInt();
  st.global_step = read_value(s, "global_step", path).toInt();
  st.epoch_loss_sum = read_value(s, "epoch_loss_sum", path).toDouble();
  st.epoch_samples = read_value(s, "epoch_samples", path).toInt();
  st.epoch_time_s = read_value(s, "epoch_time_s", path).toDouble();
  st.elapsed_s = read_value(s, "elapsed_s", path).toDouble();
  st.best_valid = read_value(s, "best_valid", path).toDouble();
  st.config_toml = read_value(s, "config", path).toStringRef();
  const std::vector<std::string> names = task.metric_names();
  const std::string stored = read_value(s, "metric_names", path).toStringRef();
  SE3T_CHECK(stored == joined(names), "checkpoint '", path, "' records the metrics '", stored,
             "', but this task reports '", joined(names), "'");
  at::Tensor history, rng;
  s.read("history", history);
  s.read("torch_rng", rng);
  st.history = history_from(history, names.size(), path);
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(rng);
  return st;
}

std::string checkpoint_config(const std::string& path) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  torch::serialize::InputArchive s;
  if (!archive.try_read("train_state", s)) return "";
  c10::IValue v;
  return s.try_read("config", v) && v.isString() ? v.toStringRef() : "";
}

void save_model_file(const std::string& path, Task& task) {
  torch::serialize::OutputArchive archive;
  task.write_model(archive);
  save_archive_atomic(archive, path, "model");
}

void load_model_file(const std::string& path, Task& task) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  task.read_model(archive, path);
  check_parameters_finite(task.module(), path);
}

}  // namespace se3t

#include "se3t/train/checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize/archive.h>

#include <cstdio>
#include <filesystem>
#include <mutex>

#include "se3t/util/check.h"
#include "se3t/util/save_archive.h"

namespace se3t {
namespace {

constexpr int64_t kVersion = 1;
constexpr int64_t kRecordFields = 9;

at::Tensor history_tensor(const std::vector<EpochRecord>& h) {
  at::Tensor t = at::empty({static_cast<int64_t>(h.size()), kRecordFields}, at::kDouble);
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < h.size(); ++i) {
    const EpochRecord& r = h[i];
    const double v[kRecordFields] = {static_cast<double>(r.epoch),
                                     static_cast<double>(r.step),
                                     r.lr,
                                     r.train_loss,
                                     r.valid_loss,
                                     r.valid_mse_position,
                                     r.valid_mse_velocity,
                                     r.epoch_time_s,
                                     r.elapsed_s};
    for (int64_t k = 0; k < kRecordFields; ++k) a[i][k] = v[k];
  }
  return t;
}

std::vector<EpochRecord> history_from(const at::Tensor& t) {
  SE3T_CHECK(t.dim() == 2 && t.size(1) == kRecordFields && t.scalar_type() == at::kDouble,
             "checkpoint: malformed metric history");
  std::vector<EpochRecord> h(t.size(0));
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < h.size(); ++i) {
    h[i] = {static_cast<int64_t>(a[i][0]),
            static_cast<int64_t>(a[i][1]),
            a[i][2],
            a[i][3],
            a[i][4],
            a[i][5],
            a[i][6],
            a[i][7],
            a[i][8]};
  }
  return h;
}

void load_archive(torch::serialize::InputArchive& archive, const std::string& path) {
  SE3T_CHECK(std::filesystem::exists(path), "checkpoint '", path, "' does not exist");
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    SE3T_CHECK(false, "cannot read checkpoint '", path, "': ", e.what_without_backtrace());
  }
}

c10::IValue read_value(torch::serialize::InputArchive& a, const std::string& key,
                       const std::string& path) {
  c10::IValue v;
  SE3T_CHECK(a.try_read(key, v), "checkpoint '", path, "' has no '", key,
             "' (not a training checkpoint: written by save_model, or damaged)");
  return v;
}

}  // namespace

void save_checkpoint(const std::string& path, NBodyModelImpl& model,
                     const torch::optim::Optimizer& optimizer, const TrainState& state) {
  torch::serialize::OutputArchive archive;
  // The network at the top level, exactly as save_model writes it.
  archive.write("se3t_options", c10::IValue(model.options().to_text()));
  model.network()->save(archive);

  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  archive.write("train_optimizer", opt);

  torch::serialize::OutputArchive s;
  s.write("version", c10::IValue(kVersion));
  s.write("epoch", c10::IValue(state.epoch));
  s.write("step_in_epoch", c10::IValue(state.step_in_epoch));
  s.write("global_step", c10::IValue(state.global_step));
  s.write("epoch_loss_sum", c10::IValue(state.epoch_loss_sum));
  s.write("epoch_samples", c10::IValue(state.epoch_samples));
  s.write("epoch_time_s", c10::IValue(state.epoch_time_s));
  s.write("elapsed_s", c10::IValue(state.elapsed_s));
  s.write("data_seed", c10::IValue(static_cast<int64_t>(state.data_seed)));
  s.write("config", c10::IValue(state.config_toml));
  s.write("history", history_tensor(state.history));
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    s.write("torch_rng", gen.get_state());
  }
  archive.write("train_state", s);

  save_archive_atomic(archive, path, "checkpoint");
}

TrainState load_checkpoint(const std::string& path, NBodyModelImpl& model,
                           torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  const c10::IValue text = read_value(archive, "se3t_options", path);
  SE3T_CHECK(text.isString(), "checkpoint '", path, "': malformed model options");
  const SE3TransformerOptions stored = SE3TransformerOptions::from_text(text.toStringRef());
  SE3T_CHECK(stored.to_text() == model.options().to_text(), "checkpoint '", path,
             "' holds a different network:\n", stored.to_text(), "but the config builds:\n",
             model.options().to_text());

  torch::serialize::InputArchive s;
  SE3T_CHECK(archive.try_read("train_state", s), "checkpoint '", path,
             "' has no training state (written by save_model?)");
  TrainState st;
  const int64_t version = read_value(s, "version", path).toInt();
  SE3T_CHECK(version == kVersion, "checkpoint '", path, "' has version ", version,
             ", this se3t reads version ", kVersion);
  st.epoch = read_value(s, "epoch", path).toInt();
  st.step_in_epoch = read_value(s, "step_in_epoch", path).toInt();
  st.global_step = read_value(s, "global_step", path).toInt();
  st.epoch_loss_sum = read_value(s, "epoch_loss_sum", path).toDouble();
  st.epoch_samples = read_value(s, "epoch_samples", path).toInt();
  st.epoch_time_s = read_value(s, "epoch_time_s", path).toDouble();
  st.elapsed_s = read_value(s, "elapsed_s", path).toDouble();
  st.data_seed = static_cast<uint64_t>(read_value(s, "data_seed", path).toInt());
  st.config_toml = read_value(s, "config", path).toStringRef();
  at::Tensor history, rng;
  s.read("history", history);
  s.read("torch_rng", rng);
  st.history = history_from(history);

  model.network()->load(archive);
  torch::serialize::InputArchive opt;
  SE3T_CHECK(archive.try_read("train_optimizer", opt), "checkpoint '", path,
             "' has no optimizer state");
  optimizer.load(opt);
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng);
  }
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

NBodyModel load_nbody_model(const std::string& path) {
  SE3T_CHECK(std::filesystem::exists(path), "checkpoint '", path, "' does not exist");
  return NBodyModel(load_model(path));
}

}  // namespace se3t

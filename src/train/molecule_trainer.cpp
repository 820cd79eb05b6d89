#include "se3t/train/molecule_trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/autograd.h>
#include <torch/optim/adam.h>
#include <torch/serialize/archive.h>
#include <torch/utils.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <mutex>
#include <random>
#include <sstream>

#include "se3t/train/json.h"
#include "se3t/train/metrics.h"
#include "se3t/train/progress.h"
#include "se3t/train/stop_signals.h"
#include "se3t/train/threads.h"
#include "se3t/util/check.h"
#include "se3t/util/save_archive.h"

namespace se3t {
namespace fs = std::filesystem;

namespace {

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

std::string out_path(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

// Epoch e's order of the training molecules, from (seed, e) alone.
std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, int64_t n) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(epoch), static_cast<uint32_t>(epoch >> 32), 0x3017u};
  const uint64_t s = std::mt19937_64(seq)();
  return random_split(n, {n}, s)[0];
}

at::Tensor loss_fn(const at::Tensor& d, const std::string& kind) {
  return kind == "mse" ? d.square().mean() : d.abs().mean();
}

std::vector<Molecule> take(const std::vector<Molecule>& all, const std::vector<int64_t>& idx) {
  std::vector<Molecule> out;
  out.reserve(idx.size());
  for (int64_t i : idx) out.push_back(all[i]);
  return out;
}

struct State {
  int64_t epoch = 0, step_in_epoch = 0, global_step = 0, epoch_samples = 0;
  double epoch_loss_sum = 0.0, epoch_time_s = 0.0, elapsed_s = 0.0;
  double best_valid = std::numeric_limits<double>::infinity();
  std::string config_toml;
  std::vector<MoleculeEpoch> history;
};

constexpr int64_t kFields = 9;

void save_state(const std::string& path, MoleculeModelImpl& model,
                const torch::optim::Optimizer& optimizer, const State& st) {
  torch::serialize::OutputArchive archive;
  write_molecule_model(model, archive);
  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  archive.write("train_optimizer", opt);
  torch::serialize::OutputArchive s;
  s.write("epoch", c10::IValue(st.epoch));
  s.write("step_in_epoch", c10::IValue(st.step_in_epoch));
  s.write("global_step", c10::IValue(st.global_step));
  s.write("epoch_samples", c10::IValue(st.epoch_samples));
  s.write("epoch_loss_sum", c10::IValue(st.epoch_loss_sum));
  s.write("epoch_time_s", c10::IValue(st.epoch_time_s));
  s.write("elapsed_s", c10::IValue(st.elapsed_s));
  s.write("best_valid", c10::IValue(st.best_valid));
  s.write("config", c10::IValue(st.config_toml));
  at::Tensor h = at::empty({static_cast<int64_t>(st.history.size()), kFields}, at::kDouble);
  for (size_t i = 0; i < st.history.size(); ++i) {
    const MoleculeEpoch& r = st.history[i];
    const double v[kFields] = {static_cast<double>(r.epoch),
                               static_cast<double>(r.step),
                               r.lr,
                               r.train_loss,
                               r.valid_loss,
                               r.valid_energy_mae,
                               r.valid_force_mae,
                               r.epoch_time_s,
                               r.elapsed_s};
    for (int64_t k = 0; k < kFields; ++k) h[i][k] = v[k];
  }
  s.write("history", h);
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    s.write("torch_rng", gen.get_state());
  }
  archive.write("train_state", s);
  save_archive_atomic(archive, path, "checkpoint");
}

State load_state(const std::string& path, MoleculeModelImpl& model,
                 torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    SE3T_CHECK(false, "cannot read checkpoint '", path, "': ", e.what_without_backtrace());
  }
  torch::serialize::InputArchive s, opt;
  SE3T_CHECK(archive.try_read("train_state", s) && archive.try_read("train_optimizer", opt),
             "checkpoint '", path, "' has no training state");
  c10::IValue stats;
  SE3T_CHECK(archive.try_read("se3t_energy_stats", stats) && stats.isString() &&
                 stats.toStringRef() == model.stats().to_text(),
             "checkpoint '", path, "' was trained with other energy statistics (data changed?)");
  model.load(archive);
  optimizer.load(opt);
  auto get = [&](const char* key) {
    c10::IValue v;
    SE3T_CHECK(s.try_read(key, v), "checkpoint '", path, "': missing '", key, "'");
    return v;
  };
  State st;
  st.epoch = get("epoch").toInt();
  st.step_in_epoch = get("step_in_epoch").toInt();
  st.global_step = get("global_step").toInt();
  st.epoch_samples = get("epoch_samples").toInt();
  st.epoch_loss_sum = get("epoch_loss_sum").toDouble();
  st.epoch_time_s = get("epoch_time_s").toDouble();
  st.elapsed_s = get("elapsed_s").toDouble();
  st.best_valid = get("best_valid").toDouble();
  st.config_toml = get("config").toStringRef();
  at::Tensor h, rng;
  s.read("history", h);
  s.read("torch_rng", rng);
  SE3T_CHECK(h.dim() == 2 && h.size(1) == kFields, "checkpoint '", path, "': bad history");
  auto a = h.accessor<double, 2>();
  for (int64_t i = 0; i < h.size(0); ++i) {
    st.history.push_back({static_cast<int64_t>(a[i][0]), static_cast<int64_t>(a[i][1]), a[i][2],
                          a[i][3], a[i][4], a[i][5], a[i][6], a[i][7], a[i][8]});
  }
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(rng);
  return st;
}

void write_history(const std::string& dir, const std::vector<MoleculeEpoch>& history) {
  std::ostringstream csv, jsonl;
  csv << "epoch,step,lr,train_loss,valid_loss,valid_energy_mae,valid_force_mae,epoch_time_s,"
         "elapsed_s\n";
  std::vector<EpochRecord> curve;
  for (const MoleculeEpoch& r : history) {
    auto num = [](double x) { return std::isfinite(x) ? fmt("%.10g", x) : std::string(); };
    csv << r.epoch << "," << r.step << "," << num(r.lr) << "," << num(r.train_loss) << ","
        << num(r.valid_loss) << "," << num(r.valid_energy_mae) << "," << num(r.valid_force_mae)
        << "," << num(r.epoch_time_s) << "," << num(r.elapsed_s) << "\n";
    jsonl << "{\"epoch\": " << r.epoch << ", \"step\": " << r.step
          << ", \"lr\": " << json_number(r.lr) << ", \"train_loss\": " << json_number(r.train_loss)
          << ", \"valid_loss\": " << json_number(r.valid_loss)
          << ", \"valid_energy_mae\": " << json_number(r.valid_energy_mae)
          << ", \"valid_force_mae\": " << json_number(r.valid_force_mae)
          << ", \"epoch_time_s\": " << json_number(r.epoch_time_s)
          << ", \"elapsed_s\": " << json_number(r.elapsed_s) << "}\n";
    EpochRecord e;
    e.epoch = r.epoch;
    e.step = r.step;
    e.lr = r.lr;
    e.train_loss = r.train_loss;
    e.valid_loss = r.valid_loss;
    e.epoch_time_s = r.epoch_time_s;
    e.elapsed_s = r.elapsed_s;
    curve.push_back(e);
  }
  write_file_atomic(out_path(dir, "metrics.csv"), csv.str());
  write_file_atomic(out_path(dir, "metrics.jsonl"), jsonl.str());
  write_file_atomic(out_path(dir, "learning_curve.svg"), learning_curve_svg(curve));
}

}  // namespace

MoleculeSplits load_molecule_splits(const MoleculeDataConfig& c) {
  MoleculeSplits s;
  if (!c.train_file.empty()) {
    s.train = load_molecules(c.train_file, c.energy_key);
    if (!c.valid_file.empty()) s.valid = load_molecules(c.valid_file, c.energy_key);
    if (!c.test_file.empty()) s.test = load_molecules(c.test_file, c.energy_key);
    return s;
  }
  const std::vector<Molecule> all = c.format == "qm9" ? load_qm9_directory(c.file, c.energy_key)
                                                      : load_molecules(c.file, c.energy_key);
  const int64_t n = static_cast<int64_t>(all.size());
  const int64_t rest = n - c.num_train - c.num_valid;
  SE3T_CHECK(rest >= 0, c.file, " holds ", n,
             " molecules, fewer than num_train + num_valid = ", c.num_train + c.num_valid);
  const int64_t num_test = c.num_test < 0 ? rest : c.num_test;
  const auto parts = random_split(n, {c.num_train, c.num_valid, num_test}, c.split_seed);
  s.train = take(all, parts[0]);
  s.valid = take(all, parts[1]);
  s.test = take(all, parts[2]);
  return s;
}

at::Tensor molecule_loss(MoleculeModelImpl& model, const MoleculeBatch& batch,
                         const MoleculeTrainConfig& train, bool forces) {
  const EnergyStats& s = model.stats();
  const at::Tensor ref = at::tensor(s.reference, at::kDouble);
  const at::ScalarType t = model.dtype();
  // Standardised target y = (E - sum n_el e_el - mean) / std, in the model's dtype.
  const at::Tensor y = ((batch.energy - batch.counts.matmul(ref) - s.mean) / s.std).to(t);
  if (!forces) return train.energy_weight * loss_fn(model.forward(batch) - y, train.loss);
  SE3T_CHECK(batch.forces.defined(), "force training needs forces for every molecule");
  const at::Tensor pos = batch.graph.pos.to(t).detach().requires_grad_(true);
  MoleculeBatch b = batch;
  b.graph.pos = pos;
  const at::Tensor pred = model.forward(b);
  // F / std = -dy/dx: the force loss in the same standardised units as the energy loss. The
  // graph of the gradient is kept (create_graph) so the loss can be differentiated again.
  const at::Tensor dy = torch::autograd::grad({pred.sum()}, {pos}, {}, true, true)[0];
  const at::Tensor f = (batch.forces / s.std).to(t);
  at::Tensor loss = train.force_weight * loss_fn(-dy - f, train.loss);
  if (train.energy_weight > 0.0) loss = loss + train.energy_weight * loss_fn(pred - y, train.loss);
  return loss;
}

MoleculeTrainResult train_molecules(MoleculeConfig config, const TrainOverrides& ov) {
  const auto t_start = std::chrono::steady_clock::now();
  if (!ov.out_dir.empty()) config.train.out_dir = ov.out_dir;
  if (!ov.data_dir.empty()) config.data.file = ov.data_dir;
  if (ov.epochs >= 0) config.train.epochs = ov.epochs;
  if (ov.threads >= 0) config.train.threads = ov.threads;
  if (ov.seed) config.train.seed = *ov.seed;
  config.validate("(after command-line overrides)");
  const MoleculeTrainConfig& tc = config.train;
  std::ostream& log = std::cerr;
  const bool verbose = ov.verbose;
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };

  MoleculeTrainResult result;
  result.out_dir = tc.out_dir;
  result.threads = configure_threads(tc.threads);
  std::error_code ec;
  fs::create_directories(tc.out_dir, ec);
  SE3T_CHECK(!ec, "cannot create output directory ", tc.out_dir, ": ", ec.message());
  const std::string ckpt_path = out_path(tc.out_dir, "checkpoint.pt");
  const std::string best_path = out_path(tc.out_dir, "best_model.pt");
  if (!ov.resume) {
    SE3T_CHECK(!fs::exists(ckpt_path), "output directory ", tc.out_dir,
               " already holds a checkpoint.pt: pass --resume to continue that run, or choose "
               "another --out");
  } else {
    SE3T_CHECK(fs::exists(ckpt_path), "--resume: no checkpoint.pt in ", tc.out_dir);
  }

  const MoleculeSplits data = load_molecule_splits(config.data);
  SE3T_CHECK(!data.train.empty(), "no training molecules");
  const bool forces = tc.force_weight > 0.0;
  if (forces) {
    for (const auto* split : {&data.train, &data.valid, &data.test}) {
      for (const Molecule& m : *split) {
        SE3T_CHECK(m.has_forces(), "[train].force_weight > 0 but molecule ", m.name,
                   " has no forces");
      }
    }
  }
  const ElementVocabulary vocab = ElementVocabulary::of(data.train);
  vocab.check_known(data.valid, "validation split");
  vocab.check_known(data.test, "test split");
  std::vector<int64_t> all_train(data.train.size());
  for (size_t i = 0; i < all_train.size(); ++i) all_train[i] = static_cast<int64_t>(i);
  const EnergyStats stats =
      fit_energy_stats(data.train, all_train, vocab, config.data.fit_reference);
  if (verbose) {
    log << "se3t train: molecules, " << data.train.size() << " train / " << data.valid.size()
        << " valid / " << data.test.size() << " test, " << vocab.size() << " elements, residual "
        << "mean " << fmt("%.4g", stats.mean) << " std " << fmt("%.4g", stats.std)
        << (forces ? ", energy + forces" : ", energy") << ", " << result.threads
        << " thread(s), output in " << tc.out_dir << "\n";
  }

  torch::manual_seed(tc.seed);
  MoleculeModel model(config.model.options(config.data.cutoff), stats);
  torch::optim::Adam optimizer(model->parameters(),
                               torch::optim::AdamOptions(tc.lr).weight_decay(tc.weight_decay));
  State st;
  st.config_toml = config.to_toml();
  if (ov.resume) {
    st = load_state(ckpt_path, *model, optimizer);
    const std::string then = MoleculeConfig::parse(st.config_toml, ckpt_path).resume_fingerprint();
    SE3T_CHECK(then == config.resume_fingerprint(), "--resume: the config differs from the one ",
               ckpt_path, " was trained with (only train.epochs, threads, out_dir and eval_every",
               " may change)");
    st.config_toml = config.to_toml();
    if (verbose) log << "se3t train: resuming at epoch " << st.epoch + 1 << "\n";
  }
  write_file_atomic(out_path(tc.out_dir, "config.toml"), config.to_toml());

  const int64_t n_train = static_cast<int64_t>(data.train.size());
  const int64_t steps_per_epoch = (n_train + tc.batch_size - 1) / tc.batch_size;
  ProgressBar bar(verbose && stderr_is_tty());
  StopSignals signals;
  int64_t steps_this_run = 0;
  bool stop = false;
  model->train();
  const auto t_loop = std::chrono::steady_clock::now();
  while (st.epoch < tc.epochs && !stop) {
    const int64_t epoch = st.epoch;
    const std::vector<int64_t> order = epoch_order(tc.seed, epoch, n_train);
    const auto t_epoch = std::chrono::steady_clock::now();
    const double epoch_before = st.epoch_time_s, elapsed_before = st.elapsed_s;
    const std::string label =
        "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(tc.epochs);
    bar.start();
    const int64_t first_step = st.step_in_epoch;
    double lr = tc.lr;
    for (int64_t step = st.step_in_epoch; step < steps_per_epoch; ++step) {
      lr = tc.learning_rate(static_cast<double>(epoch) +
                            static_cast<double>(step) / static_cast<double>(steps_per_epoch));
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      }
      const int64_t begin = step * tc.batch_size, end = std::min(n_train, begin + tc.batch_size);
      const std::vector<int64_t> idx(order.begin() + begin, order.begin() + end);
      const MoleculeBatch batch = model->batch(data.train, idx);
      optimizer.zero_grad();
      const at::Tensor loss = molecule_loss(*model, batch, tc, forces);
      loss.backward();
      optimizer.step();
      const double lv = loss.item<double>();
      SE3T_CHECK(std::isfinite(lv), "training diverged: loss ", lv, " at epoch ", epoch + 1,
                 ", step ", step + 1, " (lower [train].lr)");
      st.epoch_loss_sum += lv * static_cast<double>(end - begin);
      st.epoch_samples += end - begin;
      st.step_in_epoch = step + 1;
      ++st.global_step;
      ++steps_this_run;
      st.epoch_time_s = epoch_before + seconds_since(t_epoch);
      st.elapsed_s = elapsed_before + seconds_since(t_epoch);
      if (ov.on_step) ov.on_step(st.global_step);
      if (bar.enabled()) {
        const double per_step = seconds_since(t_loop) / static_cast<double>(steps_this_run);
        const double left =
            per_step * static_cast<double>(tc.epochs * steps_per_epoch - st.global_step);
        bar.update(label, step + 1 - first_step, steps_per_epoch - first_step,
                   "loss " + fmt("%.5f", st.epoch_loss_sum / st.epoch_samples) + " lr " +
                       fmt("%.2e", lr) + " | run ETA " + format_duration(left) + ", epoch");
      }
      if (StopSignals::requested() ||
          (ov.stop_after_steps >= 0 && steps_this_run >= ov.stop_after_steps)) {
        stop = true;
        break;
      }
    }
    if (stop && st.step_in_epoch < steps_per_epoch) break;

    MoleculeEpoch r;
    r.epoch = epoch + 1;
    r.step = st.global_step;
    r.lr = lr;
    r.train_loss = st.epoch_samples > 0 ? st.epoch_loss_sum / st.epoch_samples : NAN;
    const bool validate =
        !data.valid.empty() && ((epoch + 1) % tc.eval_every == 0 || epoch + 1 == tc.epochs);
    if (validate) {
      if (bar.enabled()) bar.update(label, 1, 1, "validating");
      const MoleculeMetrics v = evaluate_molecules(*model, data.valid, tc, forces);
      r.valid_loss = v.loss;
      r.valid_energy_mae = v.energy_mae;
      r.valid_force_mae = v.force_mae;
      // Best model by the validation loss (energy and forces as the training weights them).
      if (v.loss < st.best_valid) {
        st.best_valid = v.loss;
        save_molecule_model(*model, best_path);
      }
    }
    r.epoch_time_s = epoch_before + seconds_since(t_epoch);
    r.elapsed_s = elapsed_before + seconds_since(t_epoch);
    st.history.push_back(r);
    st.epoch = epoch + 1;
    st.step_in_epoch = 0;
    st.epoch_loss_sum = 0.0;
    st.epoch_samples = 0;
    st.epoch_time_s = 0.0;
    st.elapsed_s = r.elapsed_s;
    save_state(ckpt_path, *model, optimizer, st);
    write_history(tc.out_dir, st.history);
    bar.clear();
    if (verbose) {
      log << label << "  train " << fmt("%.5f", r.train_loss);
      if (validate) {
        log << "  valid " << fmt("%.5f", r.valid_loss) << " (energy MAE "
            << fmt("%.4f", r.valid_energy_mae);
        if (forces) log << ", force MAE " << fmt("%.4f", r.valid_force_mae);
        log << ")";
      }
      log << "  lr " << fmt("%.2e", lr) << "  " << format_duration(r.epoch_time_s) << "  ("
          << format_duration(r.elapsed_s) << ")\n";
    }
  }

  result.steps = st.global_step;
  result.epochs_done = st.epoch;
  result.history = st.history;
  result.checkpoint = ckpt_path;
  if (stop) {
    bar.clear();
    if (st.step_in_epoch > 0) save_state(ckpt_path, *model, optimizer, st);
    result.interrupted = true;
    if (verbose) {
      log << "se3t train: stopped at epoch " << st.epoch + 1 << ", step " << st.step_in_epoch
          << "; checkpoint written to " << ckpt_path << " (continue with --resume)\n";
    }
  } else if (!data.test.empty()) {
    // Test metrics of the best validated model (the last one when there is no validation).
    MoleculeModel best = fs::exists(best_path) ? load_molecule_model(best_path) : model;
    if (verbose) log << "se3t train: evaluating on the test split\n";
    result.test = evaluate_molecules(*best, data.test, tc, forces);
    std::string json = result.test.to_json();
    json.insert(1, "\"task\": \"molecules\", \"split\": \"test\", \"model\": " +
                       json_string(fs::exists(best_path) ? best_path : ckpt_path) +
                       ", \"epochs\": " + std::to_string(st.epoch) +
                       ", \"train_time_s\": " + json_number(st.elapsed_s, 6) + ", ");
    write_file_atomic(out_path(tc.out_dir, "test_metrics.json"), json + "\n");
  }
  result.wall_s = seconds_since(t_start);
  return result;
}

}  // namespace se3t

#include "se3t/train/fit.h"

#include <ATen/ATen.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>

#include "se3t/distributed/data_parallel.h"
#include "se3t/nn/radial_precision.h"
#include "se3t/train/checkpoint.h"
#include "se3t/train/weight_average.h"
#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"
#include "se3t/util/progress.h"
#include "se3t/util/run_lock.h"
#include "se3t/util/stop_signals.h"
#include "se3t/util/text.h"
#include "se3t/util/threads.h"

namespace se3t {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// Every file a run writes into its output directory (--overwrite removes exactly these).
constexpr const char* kRunFiles[] = {"checkpoint.pt",    "best_model.pt", "config.toml",
                                     "metrics.csv",      "metrics.jsonl", "learning_curve.svg",
                                     "test_metrics.json"};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string out_path(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

// "valid 0.01234 (mse_position 0.00123, mse_velocity 0.0456)"
std::string metrics_line(const std::string& split, const Metrics& m,
                         const std::vector<std::string>& names) {
  std::string s = split + " " + format("%.6g", m.loss);
  std::string inner;
  for (size_t k = 0; k < names.size() && k < m.values.size(); ++k) {
    if (!std::isfinite(m.values[k])) continue;
    inner += (inner.empty() ? "" : ", ") + names[k] + " " + format("%.5g", m.values[k]);
  }
  return inner.empty() ? s : s + " (" + inner + ")";
}

void write_test_metrics(const std::string& dir, Task& task, const FitResult& r,
                        const TrainState& st) {
  std::string json = r.test.json;
  json.insert(1, "\"task\": " + json_string(task.config().task()) +
                     ", \"split\": \"test\", \"model\": " + json_string(r.test_model) +
                     ", \"epochs\": " + std::to_string(st.epoch) + ", \"train_time_s\": " +
                     json_number(st.elapsed_s, 6) + ", " + task.test_header());
  write_file_atomic(out_path(dir, "test_metrics.json"), json + "\n");
}

// A task without parameters (a baseline): its metrics on every split, no training.
FitResult evaluate_only(Task& task, FitResult result, const Clock::time_point t_start,
                        distributed::DataParallel& dp) {
  const std::string& dir = task.config().train.out_dir;
  EpochRecord r;
  r.train_loss = dp.evaluate(task, Split::kTrain).loss;
  if (!task.validation_split().empty()) {
    const Metrics v = dp.evaluate(task, Split::kValid);
    r.valid_loss = v.loss;
    r.valid = v.values;
  }
  result.history = {r};
  if (dp.is_root()) write_metrics(dir, task.config().task(), task.metric_names(), result.history);
  if (task.has_test()) {
    result.test = dp.evaluate(task, Split::kTest);
    if (dp.is_root()) write_test_metrics(dir, task, result, TrainState{});
  }
  result.wall_s = seconds_since(t_start);
  return result;
}

}  // namespace

FitResult fit(Task& task, const FitOptions& opt) {
  const auto t_start = Clock::now();
  ExperimentConfig& config = task.config();
  TrainConfig& tc = config.train;
  if (!opt.out_dir.empty()) tc.out_dir = opt.out_dir;
  if (!opt.data.empty()) config.set_data_path(opt.data);
  if (opt.epochs >= 0) tc.epochs = opt.epochs;
  if (opt.threads >= 0) tc.threads = opt.threads;
  if (opt.seed) tc.seed = *opt.seed;
  config.validate("(after command-line overrides)");
  std::ostream& log = std::cerr;
  distributed::DataParallel dp(opt.communicator, tc.grad_bucket_mb);
  const bool verbose = opt.verbose && dp.is_root();

  FitResult result;
  result.out_dir = tc.out_dir;
  result.threads = configure_threads(tc.threads);
  // The run's precision for its layers, the process's own restored when fit returns.
  const RadialPrecisionScope precision_scope(parse_radial_precision(tc.precision));
  // Held until fit() returns: a second run into the same directory is refused. In a
  // data-parallel job rank 0 alone writes there, and holds the lock.
  std::optional<RunLock> lock;
  if (dp.is_root()) lock.emplace(tc.out_dir, "training run");
  const std::string ckpt_path = out_path(tc.out_dir, "checkpoint.pt");
  const std::string best_path = out_path(tc.out_dir, "best_model.pt");
  if (opt.resume) {
    SE3T_CHECK(fs::exists(ckpt_path), "--resume: no checkpoint.pt in ", tc.out_dir);
  } else if (dp.is_root()) {
    // A run killed before its first checkpoint left its config, metric headers and perhaps
    // the first epoch's best_model.pt (written just before checkpoint.pt): nothing --resume
    // could continue, and a new run writes the same files again, so it is replaced. One with
    // a checkpoint or test metrics is kept unless --overwrite.
    std::string found;
    for (const char* name : {"checkpoint.pt", "test_metrics.json"}) {
      if (fs::exists(out_path(tc.out_dir, name)))
        found += (found.empty() ? "" : ", ") + std::string(name);
    }
    SE3T_CHECK(found.empty() || opt.overwrite, "output directory ", tc.out_dir,
               " already holds a run (", found,
               "): pass --resume to continue it, --overwrite to "
               "replace it, or choose another --out");
    if (verbose && fs::exists(out_path(tc.out_dir, "config.toml")) && !opt.overwrite) {
      log << "se3t train: " << tc.out_dir
          << " holds a run stopped before its first checkpoint: starting it again\n";
    }
    for (const char* name : kRunFiles) fs::remove(out_path(tc.out_dir, name));
  }

  // Rank 0 first: it generates missing data before the others read it.
  if (dp.is_root()) task.load_data(verbose ? &log : nullptr);
  dp.barrier();
  if (!dp.is_root()) task.load_data(nullptr);
  if (verbose) {
    log << "se3t train: " << task.describe() << ", " << result.threads << " thread(s)"
        << (dp.distributed() ? " in each of " + std::to_string(dp.size()) + " processes" : "")
        << ", output in " << tc.out_dir << "\n";
    if (tc.precision != "float32") {
      log << "se3t train: radial weights in "
          << radial_precision_name(effective_radial_precision(default_radial_precision()))
          << (bf16_radial_available() ? "" : " (this CPU has no AVX512-BF16)") << "\n";
    }
  }
  torch::manual_seed(tc.seed);
  task.build_model();
  torch::nn::Module& model = task.module();
  if (model.parameters().empty()) return evaluate_only(task, result, t_start, dp);
  if (tc.dtype == "float64") model.to(at::kDouble);

  torch::optim::Adam optimizer(model.parameters(),
                               torch::optim::AdamOptions(tc.lr).weight_decay(tc.weight_decay));
  // The averaged weights validate, select and are saved (se3t/train/weight_average.h).
  std::optional<WeightAverage> average;
  if (tc.ema_decay > 0.0) average.emplace(model, tc.ema_decay);
  WeightAverage* const avg = average ? &*average : nullptr;
  TrainState st;
  if (opt.resume) {
    st = load_checkpoint(ckpt_path, task, optimizer, avg);
    const std::string fingerprint = config.resume_fingerprint();
    const std::string then = task.resume_fingerprint_of(st.config_toml, ckpt_path);
    SE3T_CHECK(then == fingerprint, "--resume: the config differs from the one ", ckpt_path,
               " was trained with (only train.epochs, threads, out_dir and eval_every may "
               "change).\nCheckpoint:\n",
               then, "\nNow:\n", fingerprint);
    if (verbose && st.epoch >= tc.epochs) {
      log << "se3t train: " << ckpt_path << " has finished all " << st.epoch
          << " epochs (raise --epochs to train further)\n";
    } else if (verbose) {
      log << "se3t train: resuming " << ckpt_path << " at epoch " << st.epoch + 1 << ", step "
          << st.step_in_epoch << " of the epoch (" << st.global_step << " steps done)\n";
    }
  }
  dp.broadcast_module(model);  // the same start on every process
  if (average && !opt.resume) average->reset();
  st.config_toml = config.to_toml();
  if (dp.is_root()) write_file_atomic(out_path(tc.out_dir, "config.toml"), st.config_toml);

  const std::vector<std::string> names = task.metric_names();
  const std::string validation = task.validation_split();
  // A protocol without a validation split monitors its test split, which never selects.
  const bool selects_best = validation == "valid";
  const int64_t n_train = task.num_train();
  SE3T_CHECK(n_train > 0, "no training samples");
  const int64_t steps_per_epoch = (n_train + tc.batch_size - 1) / tc.batch_size;
  ProgressBar bar(verbose && stderr_is_tty());
  StopSignals signals;
  int64_t steps_this_run = 0;
  bool stop = false;
  model.train();
  const auto t_loop = Clock::now();
  while (st.epoch < tc.epochs && !stop) {
    const int64_t epoch = st.epoch;
    task.begin_epoch(tc.seed, epoch);
    const auto t_epoch = Clock::now();
    const double epoch_time_before = st.epoch_time_s, elapsed_before = st.elapsed_s;
    const std::string label =
        "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(tc.epochs);
    bar.start();
    const int64_t first_step = st.step_in_epoch;
    double lr = tc.learning_rate(static_cast<double>(epoch) +
                                 static_cast<double>(st.step_in_epoch) / steps_per_epoch);
    for (int64_t step = st.step_in_epoch; step < steps_per_epoch; ++step) {
      lr = tc.learning_rate(static_cast<double>(epoch) +
                            static_cast<double>(step) / static_cast<double>(steps_per_epoch));
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      }
      const int64_t begin = step * tc.batch_size;
      const int64_t end = std::min(n_train, begin + tc.batch_size);
      optimizer.zero_grad();
      const double loss_value =
          dp.forward_backward(task, model, begin, end, StopSignals::requested());
      optimizer.step();
      if (average) average->update(st.global_step + 1);
      SE3T_CHECK(std::isfinite(loss_value), "training diverged: loss ", loss_value, " at epoch ",
                 epoch + 1, ", step ", step + 1, " (lower [train].lr)");
      st.epoch_loss_sum += loss_value * static_cast<double>(end - begin);
      st.epoch_samples += end - begin;
      st.step_in_epoch = step + 1;
      ++st.global_step;
      ++steps_this_run;
      st.epoch_time_s = epoch_time_before + seconds_since(t_epoch);
      st.elapsed_s = elapsed_before + seconds_since(t_epoch);
      if (opt.on_step) opt.on_step(st.global_step);
      if (bar.enabled()) {
        // Whole-run estimate from this invocation's pace (validation time not included).
        const double per_step = seconds_since(t_loop) / static_cast<double>(steps_this_run);
        const double left =
            per_step * static_cast<double>(tc.epochs * steps_per_epoch - st.global_step);
        bar.update(label, step + 1 - first_step, steps_per_epoch - first_step,
                   "loss " + format("%.5f", st.epoch_loss_sum / st.epoch_samples) + " lr " +
                       format("%.2e", lr) + " | run ETA " + format_duration(left) + ", epoch");
      }
      if (dp.stop_agreed(StopSignals::requested()) ||
          (opt.stop_after_steps >= 0 && steps_this_run >= opt.stop_after_steps)) {
        stop = true;
        break;
      }
    }
    if (stop && st.step_in_epoch < steps_per_epoch) break;  // mid-epoch: saved below

    // End of the epoch: validation, best model, checkpoint, metric files.
    EpochRecord r;
    r.epoch = epoch + 1;
    r.step = st.global_step;
    r.lr = lr;
    r.train_loss = st.epoch_samples > 0 ? st.epoch_loss_sum / st.epoch_samples : NAN;
    r.valid.assign(names.size(), NAN);
    Metrics v;
    const bool validate =
        !validation.empty() && ((epoch + 1) % tc.eval_every == 0 || epoch + 1 == tc.epochs);
    if (validate) {
      if (bar.enabled()) bar.update(label, 1, 1, "validating");
      const AveragedWeights averaged(avg);
      v = dp.evaluate(task, Split::kValid);
      r.valid_loss = v.loss;
      r.valid = v.values;
      if (selects_best && v.loss < st.best_valid) {
        st.best_valid = v.loss;
        if (dp.is_root()) save_model_file(best_path, task);
      }
    }
    if (dp.distributed()) {
      distributed::DataParallel::Timings t = dp.take_timings();
      r.rank_compute_s = std::move(t.compute_s);
      r.rank_comm_s = std::move(t.comm_s);
    }
    r.epoch_time_s = epoch_time_before + seconds_since(t_epoch);
    r.elapsed_s = elapsed_before + seconds_since(t_epoch);
    st.history.push_back(r);
    st.epoch = epoch + 1;
    st.step_in_epoch = 0;
    st.epoch_loss_sum = 0.0;
    st.epoch_samples = 0;
    st.epoch_time_s = 0.0;
    st.elapsed_s = r.elapsed_s;
    if (dp.is_root()) {
      save_checkpoint(ckpt_path, task, optimizer, st, avg);
      write_metrics(tc.out_dir, config.task(), names, st.history);
    }
    bar.clear();
    if (verbose) {
      log << label << "  train " << format("%.6g", r.train_loss);
      if (validate) log << "  " << metrics_line(validation, v, names);
      log << "  lr " << format("%.2e", lr) << "  " << format_duration(r.epoch_time_s) << " ("
          << format_duration(r.elapsed_s) << ")\n";
    }
  }

  result.steps = st.global_step;
  result.epochs_done = st.epoch;
  result.history = st.history;
  result.checkpoint = ckpt_path;
  if (stop) {
    bar.clear();
    if (st.step_in_epoch > 0 && dp.is_root()) save_checkpoint(ckpt_path, task, optimizer, st, avg);
    result.interrupted = true;
    if (verbose) {
      log << "se3t train: stopped at epoch " << st.epoch + 1 << ", step " << st.step_in_epoch
          << " of " << steps_per_epoch << "; checkpoint written to " << ckpt_path
          << " (continue with --resume)\n";
    }
  } else if (task.has_test()) {
    // The best model on validation (the last one when nothing selects).
    result.test_model =
        dp.root_decides(selects_best && fs::exists(best_path)) ? best_path : ckpt_path;
    const bool best = result.test_model == best_path;
    if (best) {
      if (dp.is_root()) load_model_file(best_path, task);  // averaged weights, if averaged
      dp.broadcast_module(model);
    }
    if (verbose) log << "se3t train: evaluating " << result.test_model << " on the test split\n";
    const AveragedWeights averaged(best ? nullptr : avg);  // the checkpoint's model entries
    result.test = dp.evaluate(task, Split::kTest);
    if (dp.is_root()) write_test_metrics(tc.out_dir, task, result, st);
  }
  result.wall_s = seconds_since(t_start);
  return result;
}

}  // namespace se3t

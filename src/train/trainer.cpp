#include "se3t/train/trainer.h"

#include <ATen/ATen.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>

#include "se3t/train/checkpoint.h"
#include "se3t/train/metrics.h"
#include "se3t/train/nbody_data.h"
#include "se3t/train/progress.h"
#include "se3t/train/stop_signals.h"
#include "se3t/train/threads.h"
#include "se3t/util/check.h"

namespace se3t {
namespace fs = std::filesystem;

namespace {

// ---- data order ---------------------------------------------------------------------------

// Uniform integer in [0, n) by rejection (no library distribution: portable across standard
// libraries).
uint64_t uniform_below(std::mt19937_64& g, uint64_t n) {
  const uint64_t limit =
      std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t x;
  do {
    x = g();
  } while (x >= limit);
  return x % n;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

std::string out_path(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

at::Tensor train_loss(NBodyModelImpl& model, const NBodyBatch& batch) {
  const NBodyPrediction d = model.forward_delta(batch);
  const at::ScalarType t = model.dtype();
  const at::Tensor dpos = (batch.target_pos - batch.pos).to(t);
  const at::Tensor dvel = (batch.target_vel - batch.vel).to(t);
  // The paper's loss: MSE over the stacked [N, 2, 3] (position change, velocity change).
  return 0.5 * ((d.pos - dpos).square().mean() + (d.vel - dvel).square().mean());
}

void write_test_metrics(const std::string& dir, const Config& config, const NBodyMetrics& m) {
  std::string json = m.to_json();
  json.insert(1, "\"model\": \"" + config.model.type + "\", \"split\": \"test\", " +
                     "\"input_frame\": " + std::to_string(config.data.input_frame) +
                     ", \"target_frame\": " + std::to_string(config.data.target_frame) +
                     ", \"frames\": \"" + config.data.eval_frames + "\", ");
  write_file_atomic(out_path(dir, "test_metrics.json"), json + "\n");
}

}  // namespace

EpochPlan epoch_plan(uint64_t seed, int64_t epoch, const NBodyDataset& train, bool random_frames) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(epoch), static_cast<uint32_t>(epoch >> 32), 0x5e37u};
  std::mt19937_64 g(seq);
  EpochPlan p;
  const int64_t n = train.size();
  p.sims.resize(n);
  for (int64_t i = 0; i < n; ++i) p.sims[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    std::swap(p.sims[i], p.sims[uniform_below(g, static_cast<uint64_t>(i) + 1)]);
  }
  p.input_frames.assign(n, train.input_frame());
  if (random_frames) {
    const auto [lo, hi] = input_frame_range(train);
    for (int64_t i = 0; i < n; ++i) {
      p.input_frames[i] = lo + static_cast<int64_t>(uniform_below(g, hi - lo));
    }
  }
  return p;
}

TrainResult train_nbody(Config config, const TrainOverrides& ov) {
  const auto t_start = std::chrono::steady_clock::now();
  if (!ov.out_dir.empty()) config.train.out_dir = ov.out_dir;
  if (!ov.data_dir.empty()) config.data.dir = ov.data_dir;
  if (ov.epochs >= 0) config.train.epochs = ov.epochs;
  if (ov.threads >= 0) config.train.threads = ov.threads;
  if (ov.seed) config.train.seed = *ov.seed;
  config.validate("(after command-line overrides)");
  const TrainConfig& tc = config.train;
  std::ostream& log = std::cerr;
  const bool verbose = ov.verbose;

  TrainResult result;
  result.out_dir = tc.out_dir;
  result.threads = configure_threads(tc.threads);
  std::error_code ec;
  fs::create_directories(tc.out_dir, ec);
  SE3T_CHECK(!ec, "cannot create output directory ", tc.out_dir, ": ", ec.message());
  const std::string ckpt_path = out_path(tc.out_dir, "checkpoint.pt");
  if (!ov.resume) {
    SE3T_CHECK(!fs::exists(ckpt_path), "output directory ", tc.out_dir,
               " already holds a checkpoint.pt: pass --resume to continue that run, or choose "
               "another --out");
  } else {
    SE3T_CHECK(fs::exists(ckpt_path), "--resume: no checkpoint.pt in ", tc.out_dir);
  }

  ProgressBar bar(verbose && stderr_is_tty());
  NBodyProgress gen_progress;
  if (verbose) {
    gen_progress = [&bar](const std::string& split, int64_t done, int64_t total) {
      bar.update("simulating " + split, done, total, "");
      if (done == total) bar.clear();
    };
  }
  const NBodyData data = prepare_nbody_data(config.data, verbose ? &log : nullptr, gen_progress);
  const NBodyDataset& train = *data.train;
  // Validation (no rotations: cheap) and test evaluation settings.
  EvalOptions valid_eval;
  valid_eval.rotations = 0;
  valid_eval.spread_input_frames = config.data.eval_frames == "spread";
  EvalOptions test_eval;
  test_eval.spread_input_frames = valid_eval.spread_input_frames;
  if (verbose) {
    log << "se3t train: " << config.model.type << ", " << train.size() << " training simulations"
        << (config.data.random_input_frame ? " (random input frames)" : "") << ", frames "
        << config.data.input_frame << " -> " << config.data.target_frame
        << (config.data.eval_frames == "spread"
                ? " (evaluated on input frames spread over the trajectory)"
                : "")
        << ", " << result.threads << " thread(s), output in " << tc.out_dir << "\n";
  }

  if (config.model.is_linear()) {
    // Nothing to train: evaluate the baseline on the validation and test splits.
    const double t =
        nbody_interval(data.options, config.data.input_frame, config.data.target_frame);
    EpochRecord r;
    if (data.validation) {
      const NBodyMetrics v = evaluate_nbody(linear_predictor(t), *data.validation, valid_eval);
      r.valid_loss = v.loss;
      r.valid_mse_position = v.mse_position;
      r.valid_mse_velocity = v.mse_velocity;
    }
    r.train_loss = evaluate_nbody(linear_predictor(t), train, valid_eval).loss;
    result.history = {r};
    write_metrics(tc.out_dir, result.history);
    if (data.test) {
      result.test = evaluate_nbody(linear_predictor(t), *data.test, test_eval);
      write_test_metrics(tc.out_dir, config, result.test);
    }
    result.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return result;
  }

  torch::manual_seed(tc.seed);
  NBodyModel model(config.model.spec().options());
  torch::optim::Adam optimizer(model->parameters(),
                               torch::optim::AdamOptions(tc.lr).weight_decay(tc.weight_decay));
  TrainState st;
  st.data_seed = tc.seed;
  st.config_toml = config.to_toml();
  if (ov.resume) {
    st = load_checkpoint(ckpt_path, *model, optimizer);
    const std::string then = Config::parse(st.config_toml, ckpt_path).resume_fingerprint();
    SE3T_CHECK(then == config.resume_fingerprint(), "--resume: the config differs from the one ",
               ckpt_path, " was trained with (only train.epochs, threads, out_dir and eval_every",
               " may change).\nCheckpoint:\n", then, "\nNow:\n", config.resume_fingerprint());
    st.config_toml = config.to_toml();
    if (verbose && st.epoch >= tc.epochs) {
      log << "se3t train: " << ckpt_path << " has finished all " << st.epoch
          << " epochs (raise --epochs to train further)\n";
    } else if (verbose) {
      log << "se3t train: resuming " << ckpt_path << " at epoch " << st.epoch + 1 << ", step "
          << st.step_in_epoch << " of the epoch (" << st.global_step << " steps done)\n";
    }
  }
  write_file_atomic(out_path(tc.out_dir, "config.toml"), config.to_toml());

  const int64_t n_train = train.size();
  const int64_t steps_per_epoch = (n_train + tc.batch_size - 1) / tc.batch_size;
  const bool tty = bar.enabled();
  StopSignals signals;
  int64_t steps_this_run = 0;
  bool stop = false;
  model->train();
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };

  const auto t_loop = std::chrono::steady_clock::now();
  while (st.epoch < tc.epochs && !stop) {
    const int64_t epoch = st.epoch;
    const EpochPlan plan = epoch_plan(st.data_seed, epoch, train, config.data.random_input_frame);
    const auto t_epoch = std::chrono::steady_clock::now();
    const double epoch_time_before = st.epoch_time_s;
    const double elapsed_before = st.elapsed_s;
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
      const std::vector<int64_t> sims(plan.sims.begin() + begin, plan.sims.begin() + end);
      const std::vector<int64_t> frames(plan.input_frames.begin() + begin,
                                        plan.input_frames.begin() + end);
      const NBodyBatch batch = train.batch_at(sims, frames);
      optimizer.zero_grad();
      const at::Tensor loss = train_loss(*model, batch);
      loss.backward();
      optimizer.step();
      const double loss_value = loss.item<double>();
      SE3T_CHECK(std::isfinite(loss_value), "training diverged: loss ", loss_value, " at epoch ",
                 epoch + 1, ", step ", step + 1, " (lower [train].lr)");
      st.epoch_loss_sum += loss_value * static_cast<double>(end - begin);
      st.epoch_samples += end - begin;
      st.step_in_epoch = step + 1;
      ++st.global_step;
      ++steps_this_run;
      st.epoch_time_s = epoch_time_before + seconds_since(t_epoch);
      st.elapsed_s = elapsed_before + seconds_since(t_epoch);
      if (ov.on_step) ov.on_step(st.global_step);
      if (tty) {
        // Whole-run estimate from this invocation's pace (validation time not included).
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
    if (stop && st.step_in_epoch < steps_per_epoch) break;  // mid-epoch: saved below

    // End of the epoch: validation, metrics, checkpoint.
    EpochRecord r;
    r.epoch = epoch + 1;
    r.step = st.global_step;
    r.lr = lr;
    r.train_loss = st.epoch_samples > 0 ? st.epoch_loss_sum / st.epoch_samples : NAN;
    r.valid_loss = r.valid_mse_position = r.valid_mse_velocity = NAN;
    const bool validate =
        data.validation && ((epoch + 1) % tc.eval_every == 0 || epoch + 1 == tc.epochs);
    if (validate) {
      if (tty) bar.update(label, 1, 1, "validating");
      const NBodyMetrics v = evaluate_nbody(model_predictor(model), *data.validation, valid_eval);
      r.valid_loss = v.loss;
      r.valid_mse_position = v.mse_position;
      r.valid_mse_velocity = v.mse_velocity;
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
    save_checkpoint(ckpt_path, *model, optimizer, st);
    write_metrics(tc.out_dir, st.history);
    bar.clear();
    if (verbose) {
      log << label << "  train " << fmt("%.6f", r.train_loss);
      if (validate) {
        log << "  " << data.validation_split << " " << fmt("%.6f", r.valid_loss) << " (pos "
            << fmt("%.5f", r.valid_mse_position) << ", vel " << fmt("%.5f", r.valid_mse_velocity)
            << ")";
      }
      log << "  lr " << fmt("%.2e", lr) << "  " << format_duration(r.epoch_time_s) << "\n";
    }
  }

  result.steps = st.global_step;
  result.epochs_done = st.epoch;
  result.history = st.history;
  result.checkpoint = ckpt_path;
  if (stop) {
    bar.clear();
    if (st.step_in_epoch > 0) save_checkpoint(ckpt_path, *model, optimizer, st);
    result.interrupted = true;
    if (verbose) {
      log << "se3t train: stopped at epoch " << st.epoch + 1 << ", step " << st.step_in_epoch
          << " of " << steps_per_epoch << "; checkpoint written to " << ckpt_path
          << " (continue with --resume)\n";
    }
  } else if (data.test) {
    if (verbose) log << "se3t train: evaluating on the test split\n";
    result.test = evaluate_nbody(model_predictor(model), *data.test, test_eval);
    write_test_metrics(tc.out_dir, config, result.test);
  }
  result.wall_s = seconds_since(t_start);
  return result;
}

}  // namespace se3t

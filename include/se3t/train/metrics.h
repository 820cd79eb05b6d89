// Metric files of a training run: metrics.csv, metrics.jsonl and learning_curve.svg, all
// rewritten from the full history after every epoch (each atomically), so they always agree
// with the checkpoint, also after an interrupted and resumed run. The columns are the task's:
// epoch, step, lr, train_loss, valid_loss, valid_<name> for each of the task's metric names,
// epoch_time_s, elapsed_s; metrics.jsonl adds the per-process timings of data-parallel runs.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace se3t {

// One epoch of a run. Validation fields are NaN for epochs without validation.
struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  int64_t step = 0;   // optimizer steps so far
  double lr = 0.0;    // learning rate of the epoch's last step
  double train_loss = NAN;
  double valid_loss = NAN;
  std::vector<double> valid;  // the task's named metrics on the validation split
  double epoch_time_s = 0.0;
  double elapsed_s = 0.0;
  // Data-parallel runs: each process's seconds of computation (forward and backward) and of
  // gradient communication in the epoch (metrics.jsonl only; not kept across a resume).
  std::vector<double> rank_compute_s, rank_comm_s;
};

void write_metrics(const std::string& out_dir, const std::string& task,
                   const std::vector<std::string>& metric_names,
                   const std::vector<EpochRecord>& history);

// The learning curve as a self-contained SVG document: train and validation loss against the
// epoch, on a logarithmic loss axis.
std::string learning_curve_svg(const std::string& title, const std::vector<EpochRecord>& history);

}  // namespace se3t

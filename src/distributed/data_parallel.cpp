#include "se3t/distributed/data_parallel.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>

#include "se3t/util/check.h"

namespace se3t::distributed {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

std::pair<int64_t, int64_t> batch_part(int64_t begin, int64_t end, int rank, int size) {
  const int64_t n = end - begin;
  return {begin + n * rank / size, begin + n * (rank + 1) / size};
}

DataParallel::DataParallel(std::shared_ptr<Communicator> comm, double bucket_mb)
    : comm_(std::move(comm)), bucket_mb_(bucket_mb) {}

void DataParallel::broadcast_module(torch::nn::Module& module) {
  if (!comm_) return;
  torch::NoGradGuard no_grad;
  for (at::Tensor t : module.parameters()) comm_->broadcast(t);
  for (at::Tensor t : module.buffers()) comm_->broadcast(t);
}

void DataParallel::barrier() {
  if (comm_) comm_->barrier();
}

bool DataParallel::root_decides(bool value) {
  if (!comm_) return value;
  at::Tensor t = at::full({1}, value ? 1 : 0, at::kLong);
  comm_->broadcast(t);
  return t.item<int64_t>() != 0;
}

double DataParallel::forward_backward(Task& task, torch::nn::Module& module, int64_t begin,
                                      int64_t end, bool stop_requested) {
  auto t = Clock::now();
  if (!comm_) {
    const at::Tensor loss = task.batch_loss(begin, end);
    loss.backward();
    compute_s_ += seconds_since(t);
    return loss.item<double>();
  }
  const auto [lo, hi] = batch_part(begin, end, rank(), size());
  double part_loss = 0.0;
  if (hi > lo) {  // a batch smaller than the job leaves some processes without samples
    const at::Tensor loss = task.batch_loss(lo, hi, begin, end);
    loss.backward();
    part_loss = loss.item<double>();
  }
  compute_s_ += seconds_since(t);
  t = Clock::now();
  if (!buckets_) buckets_ = std::make_unique<GradientBuckets>(module.parameters(), bucket_mb_);
  at::Tensor scalars = at::tensor({part_loss, stop_requested ? 1.0 : 0.0}, at::kDouble);
  buckets_->all_reduce(*comm_, scalars);
  comm_s_ += seconds_since(t);
  stop_ = scalars[1].item<double>() > 0.0;
  return scalars[0].item<double>();
}

Metrics DataParallel::evaluate(Task& task, Split split) {
  if (!comm_) return task.evaluate(split);
  const int64_t n = task.eval_batches(split);
  std::vector<std::vector<double>> mine;
  for (int64_t b = rank(); b < n; b += size()) mine.push_back(task.eval_batch(split, b));
  // The row length is the task's; a process without batches learns it from the others.
  at::Tensor width = at::zeros({1}, at::kLong);
  if (!mine.empty()) width[0] = static_cast<int64_t>(mine.front().size());
  at::Tensor widths = at::zeros({size()}, at::kLong);
  widths[rank()] = width[0];
  comm_->all_reduce_sum(widths);
  const int64_t w = widths.max().item<int64_t>();
  // Each batch's row is non-zero on one process only: the sum over processes is that row,
  // exactly (x + 0 == x), so the task sums the same rows in the same order as one process.
  at::Tensor all = at::zeros({n, w}, at::kDouble);
  int64_t k = 0;
  for (int64_t b = rank(); b < n; b += size(), ++k) {
    SE3T_CHECK(static_cast<int64_t>(mine[k].size()) == w, "distributed evaluation: rows of ",
               mine[k].size(), " and ", w, " sums");
    for (int64_t j = 0; j < w; ++j) all[b][j] = mine[k][j];
  }
  comm_->all_reduce_sum(all);
  std::vector<std::vector<double>> rows(n);
  const double* p = all.data_ptr<double>();
  for (int64_t b = 0; b < n; ++b) rows[b].assign(p + b * w, p + (b + 1) * w);
  return task.eval_metrics(split, rows);
}

DataParallel::Timings DataParallel::take_timings() {
  Timings out;
  if (!comm_) {
    out.compute_s = {compute_s_};
    out.comm_s = {0.0};
  } else {
    at::Tensor t = at::zeros({2, size()}, at::kDouble);
    t[0][rank()] = compute_s_;
    t[1][rank()] = comm_s_;
    comm_->all_reduce_sum(t);
    const double* p = t.data_ptr<double>();
    out.compute_s.assign(p, p + size());
    out.comm_s.assign(p + size(), p + 2 * size());
  }
  compute_s_ = comm_s_ = 0.0;
  return out;
}

}  // namespace se3t::distributed

#include "se3t/distributed/data_parallel.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>

#include "se3t/distributed/shared_batches.h"

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
  // Every batch's row of partial sums, bit for bit, in batch order: the task sums the same rows
  // in the same order as one process.
  return task.eval_metrics(split,
                           shared_batch_rows(comm_.get(), task.eval_batches(split),
                                             [&](int64_t b) { return task.eval_batch(split, b); }));
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

// Data-parallel training in the one training loop (se3t/train/fit.h). Every process holds the
// whole model and data and follows the same epoch order (Task::begin_epoch); batch [begin, end)
// is cut into contiguous parts, one per process, each computing the loss of its part as its
// share of the batch's loss (Task::batch_loss with the batch's bounds). The gradients, summed
// over processes in buckets (se3t/distributed/gradient_buckets.h), are then the gradient of the
// whole batch's loss, and every process takes the same optimizer step: the run equals the
// single-process run up to the reassociation of the sums, whatever the number of processes.
// Evaluation shares the split's batches round robin and reduces each batch's partial sums
// (Task::eval_batch) in batch order, so metrics equal the single-process ones exactly.
//
// Without a communicator, everything is the single-process computation itself.
#pragma once
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "se3t/distributed/communicator.h"
#include "se3t/distributed/gradient_buckets.h"
#include "se3t/train/task.h"

namespace se3t::distributed {

// Part `rank` of `size` of the batch [begin, end): contiguous, sizes differing by at most one.
std::pair<int64_t, int64_t> batch_part(int64_t begin, int64_t end, int rank, int size);

class DataParallel {
 public:
  // comm may be null: a single process.
  DataParallel(std::shared_ptr<Communicator> comm, double bucket_mb);

  bool distributed() const { return comm_ != nullptr; }
  int rank() const { return comm_ ? comm_->rank() : 0; }
  int size() const { return comm_ ? comm_->size() : 1; }
  // The process that writes files and logs.
  bool is_root() const { return rank() == 0; }

  // Every process's parameters and buffers become rank 0's.
  void broadcast_module(torch::nn::Module& module);
  void barrier();
  // Rank 0's `value` on every process (a decision from files only rank 0 may see).
  bool root_decides(bool value);

  // Forward and backward of this process's part of batch [begin, end) of the epoch's order;
  // the module's gradients then hold the whole batch's. Returns the whole batch's loss.
  // `stop_requested`: this process's wish to stop, exchanged with the gradients.
  double forward_backward(Task& task, torch::nn::Module& module, int64_t begin, int64_t end,
                          bool stop_requested);
  // Whether to stop after the step: a single process's own `stop_requested` now; in a job,
  // whether any process asked when the step's gradients were exchanged (the same on all).
  bool stop_agreed(bool stop_requested) const { return comm_ ? stop_ : stop_requested; }

  // The task's metrics on a split, its batches shared among the processes.
  Metrics evaluate(Task& task, Split split);

  // Seconds of computation (forward and backward) and of communication (gradient all-reduce)
  // of every process since the last call, gathered on every process; every process calls it.
  struct Timings {
    std::vector<double> compute_s, comm_s;
  };
  Timings take_timings();

 private:
  std::shared_ptr<Communicator> comm_;
  double bucket_mb_;
  std::unique_ptr<GradientBuckets> buckets_;
  double compute_s_ = 0.0, comm_s_ = 0.0;
  bool stop_ = false;
};

}  // namespace se3t::distributed

// Gradients summed over the processes of a data-parallel job, coalesced into buckets: the
// parameters' gradients are copied into a few flat tensors of at most bucket_mb megabytes (one
// dtype each, in parameter order), each all-reduced as one message, and copied back. Fewer,
// larger messages amortise the per-collective latency (PyTorch's DDP buckets at 25 MB too).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "se3t/distributed/communicator.h"

namespace se3t::distributed {

class GradientBuckets {
 public:
  GradientBuckets(std::vector<at::Tensor> parameters, double bucket_mb);

  // Sums every parameter's gradient over the processes (an undefined gradient counts as zero);
  // a parameter whose gradient is undefined on every process keeps it undefined, as in a single
  // process. `scalars` (float64, one per process entry) is summed in the same exchange.
  void all_reduce(Communicator& comm, at::Tensor& scalars);

  int64_t num_buckets() const { return static_cast<int64_t>(buckets_.size()); }

 private:
  std::vector<at::Tensor> params_;
  std::vector<std::vector<size_t>> buckets_;  // parameter indices of each bucket
};

}  // namespace se3t::distributed

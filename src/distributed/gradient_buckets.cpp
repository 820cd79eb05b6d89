#include "se3t/distributed/gradient_buckets.h"

#include <ATen/ATen.h>

#include "se3t/util/check.h"

namespace se3t::distributed {

GradientBuckets::GradientBuckets(std::vector<at::Tensor> parameters, double bucket_mb)
    : params_(std::move(parameters)) {
  SE3T_CHECK(bucket_mb > 0, "gradient buckets must hold more than 0 MB");
  const double limit = bucket_mb * 1024.0 * 1024.0;
  double bytes = 0.0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const double size = static_cast<double>(params_[i].numel() * params_[i].element_size());
    const bool fits = !buckets_.empty() &&
                      params_[buckets_.back().front()].scalar_type() == params_[i].scalar_type() &&
                      bytes + size <= limit;
    if (!fits) {
      buckets_.emplace_back();
      bytes = 0.0;
    }
    buckets_.back().push_back(i);
    bytes += size;
  }
}

void GradientBuckets::all_reduce(Communicator& comm, at::Tensor& scalars) {
  SE3T_CHECK(scalars.scalar_type() == at::kDouble && scalars.dim() == 1,
             "gradient buckets: scalars must be a float64 vector");
  // Which parameters have a gradient somewhere, with the scalars: one small message.
  const int64_t n = static_cast<int64_t>(params_.size());
  at::Tensor head = at::zeros({n + scalars.numel()}, at::kDouble);
  for (int64_t i = 0; i < n; ++i) {
    if (params_[i].grad().defined()) head[i] = 1.0;
  }
  head.slice(0, n).copy_(scalars);
  comm.all_reduce_sum(head);
  scalars.copy_(head.slice(0, n));
  const std::vector<double> has(head.data_ptr<double>(), head.data_ptr<double>() + n);

  for (const std::vector<size_t>& bucket : buckets_) {
    int64_t total = 0;
    for (size_t i : bucket) total += params_[i].numel();
    at::Tensor flat = at::zeros({total}, params_[bucket.front()].options());
    int64_t offset = 0;
    for (size_t i : bucket) {
      const int64_t k = params_[i].numel();
      const at::Tensor& g = params_[i].grad();
      if (g.defined()) flat.slice(0, offset, offset + k).copy_(g.reshape({k}));
      offset += k;
    }
    comm.all_reduce_sum(flat);
    offset = 0;
    for (size_t i : bucket) {
      const int64_t k = params_[i].numel();
      const at::Tensor sum = flat.slice(0, offset, offset + k).view(params_[i].sizes());
      offset += k;
      if (has[i] == 0.0) continue;
      at::Tensor& g = params_[i].mutable_grad();
      if (g.defined()) {
        g.copy_(sum);
      } else {
        g = sum.clone();
      }
    }
  }
}

}  // namespace se3t::distributed

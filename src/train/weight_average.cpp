#include "se3t/train/weight_average.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>

#include "se3t/util/check.h"

namespace se3t {

WeightAverage::WeightAverage(torch::nn::Module& module, double decay)
    : parameters_(module.parameters()), decay_(decay) {
  SE3T_CHECK(decay >= 0.0 && decay < 1.0, "weight average: decay ", decay, " is not in [0, 1)");
  reset();
}

void WeightAverage::reset() {
  torch::NoGradGuard no_grad;
  average_.clear();
  for (const at::Tensor& p : parameters_) average_.push_back(p.detach().clone());
}

double WeightAverage::decay_at(int64_t step) const {
  const double t = static_cast<double>(std::max<int64_t>(step, 0));
  return std::min(decay_, (1.0 + t) / (10.0 + t));
}

void WeightAverage::update(int64_t step) {
  torch::NoGradGuard no_grad;
  const double d = decay_at(step);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    // a + (1 - d) (p - a) = d a + (1 - d) p
    average_[i].lerp_(parameters_[i].detach(), 1.0 - d);
  }
}

void WeightAverage::swap() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const at::Tensor live = parameters_[i].detach().clone();
    parameters_[i].detach().copy_(average_[i]);
    average_[i].copy_(live);
  }
}

}  // namespace se3t

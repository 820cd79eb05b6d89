// LinearSE3: linear self-interaction, f_out^l = W^l f_in^l per degree, mixing channels only
// (docs/design.md, Layers). A bias is allowed for degree 0 alone: adding a constant to l >= 1
// would break equivariance.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "se3t/nn/features.h"

namespace se3t {

struct LinearSE3Options {
  LinearSE3Options(Fiber fiber_in, Fiber fiber_out)
      : fiber_in_(std::move(fiber_in)), fiber_out_(std::move(fiber_out)) {}
  TORCH_ARG(Fiber, fiber_in);
  TORCH_ARG(Fiber, fiber_out);   // each output degree must be present in fiber_in
  TORCH_ARG(bool, bias) = true;  // degree-0 bias
};

class LinearSE3Impl : public torch::nn::Module {
 public:
  explicit LinearSE3Impl(const LinearSE3Options& options);
  Features forward(const Features& features);
  const LinearSE3Options& options() const { return options_; }

 private:
  LinearSE3Options options_;
  std::map<int64_t, at::Tensor> weights_;  // degree -> [C_out, C_in]
  at::Tensor bias_;                        // [C_out of degree 0] or undefined
};
TORCH_MODULE(LinearSE3);

}  // namespace se3t

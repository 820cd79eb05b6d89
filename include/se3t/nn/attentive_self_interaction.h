// AttentiveSelfInteraction (the paper's Section 3.3): channel-mixing weights per node and
// degree, w^l_i = MLP(f^l_i . f^l_i) of the invariant inner products of the node's own
// channels (a C_in x C_in Gram matrix), applied as f_out^l = w^l_i f_in^l.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "se3t/nn/activation.h"
#include "se3t/nn/features.h"

namespace se3t {

struct AttentiveSelfInteractionOptions {
  AttentiveSelfInteractionOptions(Fiber fiber_in, Fiber fiber_out)
      : fiber_in_(std::move(fiber_in)), fiber_out_(std::move(fiber_out)) {}
  TORCH_ARG(Fiber, fiber_in);
  TORCH_ARG(Fiber, fiber_out);  // each output degree must be present in fiber_in
  TORCH_ARG(int64_t, hidden) = 32;
  TORCH_ARG(Activation, activation) = Activation::kReLU;  // of the MLP (se3t/nn/activation.h)
};

class AttentiveSelfInteractionImpl : public torch::nn::Module {
 public:
  explicit AttentiveSelfInteractionImpl(const AttentiveSelfInteractionOptions& options);
  Features forward(const Features& features);
  const AttentiveSelfInteractionOptions& options() const { return options_; }

 private:
  AttentiveSelfInteractionOptions options_;
  std::map<int64_t, torch::nn::Sequential> mlps_;
};
TORCH_MODULE(AttentiveSelfInteraction);

}  // namespace se3t

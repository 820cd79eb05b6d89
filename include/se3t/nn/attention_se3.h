// AttentionSE3: multi-head SE(3)-equivariant graph attention (the paper's eq. 10-11):
//   q_i = LinearSE3(f_i),   (k_ij, v_ij) = one ConvSE3 on x_ij and f_j,
//   alpha_ij = softmax_{j in N(i)}(q_i . k_ij / sqrt(d_head))  per head,
//   out_i = sum_j alpha_ij v_ij.
// The dot product runs over all degrees of a head; it is invariant, so out is equivariant.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "se3t/nn/conv_se3.h"
#include "se3t/nn/linear_se3.h"

namespace se3t {

struct AttentionSE3Options {
  AttentionSE3Options(Fiber fiber_in, Fiber fiber_value)
      : fiber_in_(std::move(fiber_in)), fiber_value_(std::move(fiber_value)) {}
  TORCH_ARG(Fiber, fiber_in);
  TORCH_ARG(Fiber, fiber_value);  // output fiber
  TORCH_ARG(int64_t, num_heads) = 1;
  // Keys and queries carry the value degrees that are also input degrees, with
  // value channels / channels_div channels (NVIDIA's "channels_div").
  TORCH_ARG(int64_t, channels_div) = 2;
  TORCH_ARG(int64_t, edge_dim) = 0;
  TORCH_ARG(int64_t, radial_hidden) = 32;
  TORCH_ARG(Activation, activation) = Activation::kReLU;  // of the radial MLPs
  // Replace the softmax by uniform weights 1/|N(i)| (for ablations and tests).
  TORCH_ARG(bool, uniform_attention) = false;
  // Reference composition or the fused kernels (the key/value convolution's radial
  // contraction and the segment softmax + weighted sum); kAuto follows the process default.
  TORCH_ARG(KernelPath, kernel) = KernelPath::kAuto;
};

class AttentionSE3Impl : public torch::nn::Module {
 public:
  explicit AttentionSE3Impl(const AttentionSE3Options& options);
  Features forward(const Features& features, const EdgeGeometry& geometry);
  // The same, also returning the attention weights alpha [E, num_heads].
  Features forward(const Features& features, const EdgeGeometry& geometry, at::Tensor* alpha);

  const AttentionSE3Options& options() const { return options_; }
  const Fiber& fiber_key() const { return fiber_key_; }

 private:
  AttentionSE3Options options_;
  Fiber fiber_key_;
  ConvSE3 key_value_{nullptr};  // output channels per degree: values first, then keys
  LinearSE3 query_{nullptr};
};
TORCH_MODULE(AttentionSE3);

}  // namespace se3t

// AttentionBlockSE3: the paper's GSE3Res block: attention (or, for a Tensor Field Network, a
// ConvSE3 in its place), then the skip connection (concatenate or add the block input), then
// a self-interaction projection (linear or attentive) to the output fiber.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "se3t/nn/attention_se3.h"
#include "se3t/nn/attentive_self_interaction.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/linear_se3.h"

namespace se3t {

enum class Skip { kCat, kAdd };
enum class SelfInteraction { kLinear, kAttentive };
// Channels of an attention block's values. kPaper (the paper's and NVIDIA's layout): values
// and keys both have C / channels_div channels and the projection maps (C / div + C_in) -> C.
// kWide: values keep the C output channels (keys C / div), ~1.5x the kernel work for div = 2.
enum class ValueLayout { kPaper, kWide };

Skip parse_skip(const std::string& name);                         // "cat" | "add"
SelfInteraction parse_self_interaction(const std::string& name);  // "linear" | "attentive"
ValueLayout parse_value_layout(const std::string& name);          // "paper" | "wide"
std::string to_string(Skip s);
std::string to_string(SelfInteraction s);
std::string to_string(ValueLayout v);

struct AttentionBlockSE3Options {
  AttentionBlockSE3Options(Fiber fiber_in, Fiber fiber_out)
      : fiber_in_(std::move(fiber_in)), fiber_out_(std::move(fiber_out)) {}
  TORCH_ARG(Fiber, fiber_in);
  TORCH_ARG(Fiber, fiber_out);
  TORCH_ARG(bool, attention) = true;  // false: ConvSE3 in place of attention (TFN block)
  TORCH_ARG(int64_t, num_heads) = 1;
  TORCH_ARG(int64_t, channels_div) = 2;
  TORCH_ARG(int64_t, edge_dim) = 0;
  TORCH_ARG(int64_t, radial_hidden) = 32;
  TORCH_ARG(Activation, activation) = Activation::kReLU;  // of the radial MLPs
  TORCH_ARG(Skip, skip) = Skip::kCat;
  TORCH_ARG(SelfInteraction, self_interaction) = SelfInteraction::kLinear;
  TORCH_ARG(ValueLayout, value_layout) = ValueLayout::kPaper;  // attention blocks only
};

class AttentionBlockSE3Impl : public torch::nn::Module {
 public:
  explicit AttentionBlockSE3Impl(const AttentionBlockSE3Options& options);
  Features forward(const Features& features, const EdgeGeometry& geometry);
  const AttentionBlockSE3Options& options() const { return options_; }

 private:
  AttentionBlockSE3Options options_;
  AttentionSE3 attention_{nullptr};
  ConvSE3 conv_{nullptr};
  LinearSE3 linear_{nullptr};
  AttentiveSelfInteraction attentive_{nullptr};
};
TORCH_MODULE(AttentionBlockSE3);

}  // namespace se3t

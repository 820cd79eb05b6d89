// RadialProfile: the learned radial functions phi^{lk}_J(|x|) of the kernels (docs/design.md,
// Layers): Linear -> LayerNorm -> ReLU -> Linear -> LayerNorm -> ReLU -> Linear (or SiLU for
// ReLU, se3t/nn/activation.h).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "se3t/nn/activation.h"

namespace se3t {

struct RadialProfileOptions {
  RadialProfileOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);   // 1 (the distance) + edge attribute width
  TORCH_ARG(int64_t, out_features);  // all radial weights of a layer
  TORCH_ARG(int64_t, hidden) = 32;   // the paper's width
  TORCH_ARG(Activation, activation) = Activation::kReLU;
};

class RadialProfileImpl : public torch::nn::Module {
 public:
  explicit RadialProfileImpl(const RadialProfileOptions& options);
  // [E, in_features] -> [E, out_features]
  at::Tensor forward(const at::Tensor& radial_input);
  // The last hidden activation, [E, hidden]: forward(x) = hidden(x) final_weight()^T +
  // final_bias(). The fused kernel path applies the final layer itself (per edge block).
  at::Tensor hidden(const at::Tensor& radial_input);
  const at::Tensor& final_weight() const { return fc3->weight; }  // [out_features, hidden]
  const at::Tensor& final_bias() const { return fc3->bias; }      // [out_features]
  const RadialProfileOptions& options() const { return options_; }

 private:
  RadialProfileOptions options_;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
};
TORCH_MODULE(RadialProfile);

}  // namespace se3t

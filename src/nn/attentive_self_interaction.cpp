#include "se3t/nn/attentive_self_interaction.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

#include <cmath>

#include "se3t/util/check.h"

namespace se3t {

AttentiveSelfInteractionImpl::AttentiveSelfInteractionImpl(
    const AttentiveSelfInteractionOptions& options)
    : options_(options) {
  for (const auto& [l, c_out] : options.fiber_out().entries()) {
    const int64_t c_in = options.fiber_in().channels(l);
    SE3T_CHECK(c_in > 0, "AttentiveSelfInteraction: output degree ", l,
               " is missing from the input fiber ", options.fiber_in().str());
    torch::nn::Sequential mlp(torch::nn::Linear(c_in * c_in, options.hidden()));
    if (options.activation() == Activation::kReLU) {
      mlp->push_back(torch::nn::ReLU());
    } else {
      mlp->push_back(torch::nn::SiLU());
    }
    mlp->push_back(torch::nn::Linear(options.hidden(), c_out * c_in));
    mlps_.emplace(l, register_module("mlp_" + std::to_string(l), mlp));
  }
}

Features AttentiveSelfInteractionImpl::forward(const Features& features) {
  check_features(features, fiber_of(features), -1, "AttentiveSelfInteraction: features");
  Features out;
  for (auto& [l, mlp] : mlps_) {
    auto it = features.find(l);
    const int64_t c_in = options_.fiber_in().channels(l), c_out = options_.fiber_out().channels(l);
    SE3T_CHECK(it != features.end() && it->second.size(1) == c_in,
               "AttentiveSelfInteraction: expected degree ", l, " with ", c_in,
               " channels, got fiber ", fiber_of(features).str());
    const at::Tensor& f = it->second;  // [N, C_in, 2l+1]
    const int64_t n = f.size(0);
    // Invariant Gram matrix of the node's channels, scaled by 1/(2l+1) to be O(1) per degree.
    const at::Tensor gram = at::matmul(f, f.transpose(1, 2)) / double(2 * l + 1);
    const at::Tensor w = mlp->forward(gram.reshape({n, c_in * c_in})).view({n, c_out, c_in}) /
                         std::sqrt(double(c_in));
    out[l] = at::bmm(w, f);
  }
  return out;
}

}  // namespace se3t

#include "se3t/nn/linear_se3.h"

#include <ATen/ATen.h>

#include <cmath>

#include "se3t/util/check.h"

namespace se3t {

LinearSE3Impl::LinearSE3Impl(const LinearSE3Options& options) : options_(options) {
  for (const auto& [l, c_out] : options.fiber_out().entries()) {
    const int64_t c_in = options.fiber_in().channels(l);
    SE3T_CHECK(c_in > 0, "LinearSE3: output degree ", l, " is missing from the input fiber ",
               options.fiber_in().str(), ": a linear map cannot change degree");
    // Variance-preserving initialisation: each output channel sums c_in inputs.
    weights_[l] = register_parameter("weight_" + std::to_string(l),
                                     at::randn({c_out, c_in}) / std::sqrt(double(c_in)));
  }
  if (options.bias() && options.fiber_out().has(0)) {
    bias_ = register_parameter("bias_0", at::zeros({options.fiber_out().channels(0)}));
  }
}

Features LinearSE3Impl::forward(const Features& features) {
  check_features(features, fiber_of(features), -1, "LinearSE3: features");
  Features out;
  for (const auto& [l, w] : weights_) {
    auto it = features.find(l);
    SE3T_CHECK(it != features.end() && it->second.size(1) == options_.fiber_in().channels(l),
               "LinearSE3: expected degree ", l, " with ", options_.fiber_in().channels(l),
               " channels in the input (fiber ", options_.fiber_in().str(), "), got fiber ",
               fiber_of(features).str());
    // [C_out, C_in] x [N, C_in, 2l+1] -> [N, C_out, 2l+1]
    out[l] = at::matmul(w, it->second);
    if (l == 0 && bias_.defined()) out[l] = out[l] + bias_.view({-1, 1});
  }
  return out;
}

}  // namespace se3t

#include "se3t/nn/norm_se3.h"

#include <ATen/ATen.h>

#include "se3t/util/check.h"
#include "se3t/util/profiler.h"

namespace se3t {

NormSE3Impl::NormSE3Impl(const NormSE3Options& options) : options_(options) {
  SE3T_CHECK(options.eps() > 0, "NormSE3: eps must be > 0, got ", options.eps());
  for (const auto& [l, c] : options.fiber().entries()) {
    norms_.emplace(l, register_module("norm_" + std::to_string(l),
                                      torch::nn::LayerNorm(torch::nn::LayerNormOptions({c}))));
  }
}

Features NormSE3Impl::forward(const Features& features) {
  SE3T_PROFILE_PHASE(kOther);
  check_features(features, options_.fiber(), -1, "NormSE3: features");
  Features out;
  for (const auto& [l, f] : features) {
    // Clamping the squared norm (not the norm) keeps the gradient finite at f = 0.
    const at::Tensor norm = (f * f).sum(-1, /*keepdim=*/true).clamp_min(options_.eps()).sqrt();
    const at::Tensor scaled = norms_.at(l)->forward(norm.squeeze(-1)).relu().unsqueeze(-1);
    out[l] = f * (scaled / norm);
  }
  return out;
}

}  // namespace se3t

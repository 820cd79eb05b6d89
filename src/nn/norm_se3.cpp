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
  if (options_.activation() == Activation::kSiLU) return smooth(features);
  for (const auto& [l, f] : features) {
    // Clamping the squared norm (not the norm) keeps the gradient finite at f = 0.
    const at::Tensor norm = (f * f).sum(-1, /*keepdim=*/true).clamp_min(options_.eps()).sqrt();
    const at::Tensor scaled =
        activate(norms_.at(l)->forward(norm.squeeze(-1)), options_.activation()).unsqueeze(-1);
    out[l] = f * (scaled / norm);
  }
  return out;
}

Features NormSE3Impl::smooth(const Features& features) {
  Features out;
  for (const auto& [l, f] : features) {
    if (l == 0) {  // silu(LayerNorm(f)) of the signed scalars, not of |f|: smooth through 0
      out[l] = at::silu(norms_.at(l)->forward(f.squeeze(-1))).unsqueeze(-1);
      continue;
    }
    // f sigmoid(LayerNorm(|f|)): a gate in (0, 1) on the invariant norms, so the output goes
    // to 0 with f (f / |f| would be singular there).
    const at::Tensor norm = (f * f).sum(-1).clamp_min(options_.eps()).sqrt();
    out[l] = f * at::sigmoid(norms_.at(l)->forward(norm)).unsqueeze(-1);
  }
  return out;
}

}  // namespace se3t

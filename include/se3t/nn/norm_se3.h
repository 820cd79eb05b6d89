// NormSE3: the equivariant norm nonlinearity (the paper's Section 3.4):
//   f^l_c -> ReLU(LayerNorm(|f^l|)_c + b_c) f^l_c / |f^l_c|,
// with the LayerNorm taken over the channels of one degree. Only the invariant norms pass
// through the nonlinearity, so directions rotate untouched.
//
// That map is discontinuous wherever f^l passes through 0: for degree 0, f / |f| = sign(f), and
// a scalar channel crosses 0 along almost any path of the atoms, flipping the output between
// +-ReLU(...). With activation SiLU the smooth variant is used instead (continuous energies
// and forces, docs/design.md, Smooth cutoff): degree 0 -> SiLU(LayerNorm(f^0)) of the signed
// scalars, degree l >= 1 -> f^l sigmoid(LayerNorm(|f^l|)), which vanishes with f^l.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "se3t/nn/activation.h"
#include "se3t/nn/features.h"

namespace se3t {

struct NormSE3Options {
  explicit NormSE3Options(Fiber fiber) : fiber_(std::move(fiber)) {}
  TORCH_ARG(Fiber, fiber);
  TORCH_ARG(Activation, activation) = Activation::kReLU;  // or SiLU: the smooth variant
  TORCH_ARG(double, eps) = 1e-12;  // |f| is clamped to sqrt(eps) so f/|f| stays finite
};

class NormSE3Impl : public torch::nn::Module {
 public:
  explicit NormSE3Impl(const NormSE3Options& options);
  Features forward(const Features& features);
  const NormSE3Options& options() const { return options_; }

 private:
  Features smooth(const Features& features);
  NormSE3Options options_;
  std::map<int64_t, torch::nn::LayerNorm> norms_;  // affine: weight and the bias b
};
TORCH_MODULE(NormSE3);

}  // namespace se3t

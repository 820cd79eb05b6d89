// The pointwise nonlinearity of the radial MLPs, NormSE3 and the attentive self-interaction:
// ReLU (the paper's), or SiLU x sigmoid(x) (Elfwing et al. 2018; NequIP's and MACE's), which is
// smooth. A ReLU network's energy has kinks wherever a unit's input crosses zero, so its forces
// -dE/dx jump there and molecular dynamics loses energy conservation at second order in dt;
// with SiLU (and NormSE3's smooth variant that comes with it, se3t/nn/norm_se3.h) the forces
// are continuous (docs/design.md, Smooth cutoff).
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

namespace se3t {

enum class Activation { kReLU, kSiLU };

at::Tensor activate(const at::Tensor& x, Activation a);
std::string to_string(Activation a);
// "relu" or "silu"; throws se3t::Error naming `where` otherwise.
Activation parse_activation(const std::string& name, const std::string& where);

}  // namespace se3t

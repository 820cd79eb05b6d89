#include "se3t/nn/activation.h"

#include <ATen/ATen.h>

#include "se3t/util/check.h"

namespace se3t {

at::Tensor activate(const at::Tensor& x, Activation a) {
  return a == Activation::kReLU ? x.relu() : at::silu(x);
}

std::string to_string(Activation a) {
  return a == Activation::kReLU ? "relu" : "silu";
}

Activation parse_activation(const std::string& name, const std::string& where) {
  if (name == "relu") return Activation::kReLU;
  if (name == "silu") return Activation::kSiLU;
  throw Error(detail::concat("se3t: ", where, ": activation must be \"relu\" or \"silu\", got \"",
                             name, "\""));
}

}  // namespace se3t

#include "se3t/nn/radial_profile.h"

#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {

RadialProfileImpl::RadialProfileImpl(const RadialProfileOptions& options) : options_(options) {
  SE3T_CHECK(options.in_features() >= 1 && options.out_features() >= 1 && options.hidden() >= 1,
             "RadialProfile: feature sizes must be >= 1, got in ", options.in_features(), ", out ",
             options.out_features(), ", hidden ", options.hidden());
  const int64_t h = options.hidden();
  fc1 = register_module("fc1", torch::nn::Linear(options.in_features(), h));
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h})));
  fc2 = register_module("fc2", torch::nn::Linear(h, h));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h})));
  fc3 = register_module("fc3", torch::nn::Linear(h, options.out_features()));
}

at::Tensor RadialProfileImpl::forward(const at::Tensor& radial_input) {
  return fc3->forward(hidden(radial_input));
}

at::Tensor RadialProfileImpl::hidden(const at::Tensor& radial_input) {
  check_shape(radial_input, {-1, options_.in_features()}, "RadialProfile: radial_input");
  const Activation a = options_.activation();
  const at::Tensor h = activate(ln1->forward(fc1->forward(radial_input)), a);
  return activate(ln2->forward(fc2->forward(h)), a);
}

}  // namespace se3t

// An exponential moving average of a module's parameters (Polyak averaging), the weights that
// interatomic potentials are usually validated and shipped with (NequIP's and MACE's EMA):
// after optimizer step t (1-based), a <- d_t a + (1 - d_t) p with
// d_t = min(decay, (1 + t) / (10 + t)), so that the first steps, when p moves fast, fade from
// the average quickly. The average lives beside the module; swap() exchanges it with the
// module's own (live) parameters, so that evaluation and the model files use the averaged
// weights while the optimizer keeps stepping the live ones (se3t/train/fit.h).
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <vector>

namespace se3t {

class WeightAverage {
 public:
  // The average starts at the module's parameters. 0 <= decay < 1.
  WeightAverage(torch::nn::Module& module, double decay);

  // Restarts the average at the module's parameters.
  void reset();
  // Folds the module's parameters in after optimizer step `step` (1-based).
  void update(int64_t step);
  // Exchanges the average and the module's parameters; twice restores both.
  void swap();
  // The decay applied after step `step`.
  double decay_at(int64_t step) const;

 private:
  std::vector<at::Tensor> parameters_;  // the module's, in parameters() order
  std::vector<at::Tensor> average_;
  double decay_;
};

// The module holds the averaged weights while this lives (nothing when `average` is null).
class AveragedWeights {
 public:
  explicit AveragedWeights(WeightAverage* average) : average_(average) {
    if (average_) average_->swap();
  }
  ~AveragedWeights() {
    if (average_) average_->swap();
  }
  AveragedWeights(const AveragedWeights&) = delete;
  AveragedWeights& operator=(const AveragedWeights&) = delete;

 private:
  WeightAverage* average_;
};

}  // namespace se3t

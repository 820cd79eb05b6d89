// ConvSE3: the Tensor Field Network layer (the paper's eq. 3 and 8-9):
//   out_i^l = [W^{ll}_self f_i^l] + sum_k sum_{j in N(i)} W^{lk}(x_ij) f_j^k,
//   W^{lk}(x) = sum_J phi_J^{lk}(|x|) B_J^{lk}(x).
// Kernels are never materialised per edge: the input is contracted with the shared basis,
// then one batched product per output degree applies the radial weights of all input degrees.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "se3t/nn/activation.h"
#include "se3t/nn/edge_geometry.h"
#include "se3t/nn/features.h"
#include "se3t/nn/kernel_path.h"
#include "se3t/nn/linear_se3.h"
#include "se3t/nn/radial_profile.h"

namespace se3t {

enum class Aggregation { kSum, kMean };

struct ConvSE3Options {
  ConvSE3Options(Fiber fiber_in, Fiber fiber_out)
      : fiber_in_(std::move(fiber_in)), fiber_out_(std::move(fiber_out)) {}
  TORCH_ARG(Fiber, fiber_in);
  TORCH_ARG(Fiber, fiber_out);
  TORCH_ARG(int64_t, edge_dim) = 0;  // scalar edge attributes fed to the radial MLP
  TORCH_ARG(int64_t, radial_hidden) = 32;
  TORCH_ARG(Activation, activation) = Activation::kReLU;  // of the radial MLPs
  TORCH_ARG(bool, self_interaction) = false;  // add W^{ll} f_i^l (degrees in both fibers)
  TORCH_ARG(Aggregation, aggregation) = Aggregation::kSum;
  // Reference composition or the fused radial-weight kernel (src/kernels); kAuto follows
  // the process default. CUDA tensors always take the reference path.
  TORCH_ARG(KernelPath, kernel) = KernelPath::kAuto;
};

class ConvSE3Impl : public torch::nn::Module {
 public:
  explicit ConvSE3Impl(const ConvSE3Options& options);

  // Node outputs [N, C_l, 2l+1] for every degree of fiber_out.
  Features forward(const Features& features, const EdgeGeometry& geometry);
  // The per-edge messages sum_k W^{lk}(x_ij) f_j^k, [E, C_l, 2l+1], before aggregation
  // (AttentionSE3 computes its keys and values this way).
  Features edge_messages(const Features& features, const EdgeGeometry& geometry);

  const ConvSE3Options& options() const { return options_; }

 private:
  ConvSE3Options options_;
  RadialProfile radial_{nullptr};
  LinearSE3 self_{nullptr};
  // Per output degree l: offset and width of its block in the radial output, and the
  // number of (input channel, J) columns, sum_k C_k num_J(k, l).
  std::map<int64_t, std::pair<int64_t, int64_t>> radial_blocks_;
  std::map<int64_t, int64_t> columns_;
};
TORCH_MODULE(ConvSE3);

}  // namespace se3t

#include "se3t/nn/conv_se3.h"

#include <ATen/ATen.h>

#include "kernels/batched_matmul.h"
#include "kernels/radial_contraction.h"
#include "kernels/segment_ops.h"
#include "se3t/nn/radial_precision.h"
#include "se3t/util/check.h"
#include "se3t/util/profiler.h"

namespace se3t {

ConvSE3Impl::ConvSE3Impl(const ConvSE3Options& options) : options_(options) {
  SE3T_CHECK(!options.fiber_in().empty() && !options.fiber_out().empty(),
             "ConvSE3: input and output fibers must not be empty, got ", options.fiber_in().str(),
             " -> ", options.fiber_out().str());
  SE3T_CHECK(options.edge_dim() >= 0, "ConvSE3: edge_dim must be >= 0, got ", options.edge_dim());
  int64_t offset = 0;
  for (const auto& [l, c_out] : options.fiber_out().entries()) {
    int64_t cols = 0;
    for (const auto& [k, c_in] : options.fiber_in().entries()) cols += c_in * num_basis_J(k, l);
    columns_[l] = cols;
    radial_blocks_[l] = {offset, c_out * cols};
    offset += c_out * cols;
  }
  radial_ =
      register_module("radial", RadialProfile(RadialProfileOptions(1 + options.edge_dim(), offset)
                                                  .hidden(options.radial_hidden())
                                                  .activation(options.activation())));
  if (options.self_interaction()) {
    const Fiber shared = options.fiber_out().restricted_to(options.fiber_in());
    SE3T_CHECK(!shared.empty(), "ConvSE3: self-interaction needs a degree in both fibers, got ",
               options.fiber_in().str(), " -> ", options.fiber_out().str());
    self_ = register_module("self_interaction",
                            LinearSE3(LinearSE3Options(options.fiber_in(), shared).bias(false)));
  }
}

Features ConvSE3Impl::edge_messages(const Features& features, const EdgeGeometry& geometry) {
  check_features(features, options_.fiber_in(), geometry.num_nodes, "ConvSE3: features");
  SE3T_CHECK(geometry.edge_dim() == options_.edge_dim(), "ConvSE3: the graph has ",
             geometry.edge_dim(), " edge attributes but the layer was built for ",
             options_.edge_dim());
  SE3T_CHECK(geometry.basis.max_degree_in() >= options_.fiber_in().max_degree() &&
                 geometry.basis.max_degree_out() >= options_.fiber_out().max_degree(),
             "ConvSE3: the edge basis covers degrees up to ", geometry.basis.max_degree_in(),
             " but the layer needs ", options_.fiber_in().str(), " -> ",
             options_.fiber_out().str());
  const int64_t E = geometry.num_edges();
  // The fused kernel applies the radial MLP's final layer per block of edges itself, so the
  // [E, all weights] tensor of the reference path never exists (CPU only).
  const bool fused = resolve_kernel_path(options_.kernel()) == KernelPath::kFused &&
                     geometry.radial_input.device().is_cpu();
  at::Tensor radial;  // reference: [E, all weights]; fused: the last hidden activation [E, H]
  {
    SE3T_PROFILE_PHASE(kRadial);
    radial =
        fused ? radial_->hidden(geometry.radial_input) : radial_->forward(geometry.radial_input);
    if (profiler::enabled()) {
      const double h = double(options_.radial_hidden());
      const double final_layer = fused ? 0.0 : h * radial.size(1);  // fused: in kContraction
      profiler::add_flops(profiler::Phase::kRadial,
                          2.0 * E * (h * (1 + options_.edge_dim()) + h * h + final_layer));
    }
  }
  SE3T_PROFILE_PHASE(kContraction);

  // Source features of every edge, gathered once per input degree.
  std::map<int64_t, at::Tensor> source;
  for (const auto& [k, t] : features) source[k] = t.index_select(0, geometry.src);

  // The final radial layer's rows of each output degree (fused path), split once: a narrow
  // per degree would add a zero-filled gradient of the whole weight per degree.
  std::map<int64_t, std::pair<at::Tensor, at::Tensor>> final_layer;
  const kernels::RadialArithmetic arithmetic =
      default_radial_precision() == RadialPrecision::kBF16Radial
          ? kernels::RadialArithmetic::kBFloat16
          : kernels::RadialArithmetic::kExact;
  if (fused) {
    std::vector<int64_t> widths;
    for (const auto& [l, block] : radial_blocks_) widths.push_back(block.second);
    const auto W = radial_->final_weight().split_with_sizes(widths, 0);
    const auto b = radial_->final_bias().split_with_sizes(widths, 0);
    size_t i = 0;
    for (const auto& [l, block] : radial_blocks_) final_layer[l] = {W[i], b[i]}, ++i;
  }

  Features out;
  for (const auto& [l, c_out] : options_.fiber_out().entries()) {
    // Contract each input degree with the basis: [E, C_k, 2k+1] x [E, 2k+1, nJ (2l+1)]
    // -> [E, C_k nJ, 2l+1], then stack all input degrees along the (channel, J) axis.
    std::vector<at::Tensor> sources, bases;
    for (const auto& [k, c_in] : options_.fiber_in().entries()) {
      sources.push_back(source[k]);
      bases.push_back(geometry.basis.at(k, l));
    }
    if (fused) {
      // The products are made per block of edges inside the kernel: the stacked tensor and
      // its gradient never exist for all edges.
      out[l] = kernels::radial_contraction(radial, sources, bases, 2 * l + 1, final_layer[l].first,
                                           final_layer[l].second, c_out, arithmetic);
    } else {
      const at::Tensor stacked = kernels::batched_matmul_stacked_reference(sources, bases)
                                     .view({E, columns_[l], 2 * l + 1});
      const auto [offset, width] = radial_blocks_[l];
      const at::Tensor weights = radial.narrow(1, offset, width).view({E, c_out, columns_[l]});
      out[l] = at::bmm(weights, stacked);  // [E, C_out, 2l+1]
    }
    if (profiler::enabled()) {
      // Explicit count: basis contraction plus weight application, 2 FLOPs per multiply-add
      // (fused: plus the radial final layer, 2 E H C_out cols).
      double flops = fused ? kernels::radial_contraction_flops(E, radial.size(1), c_out,
                                                               columns_[l], 2 * l + 1)
                           : 2.0 * E * c_out * columns_[l] * (2 * l + 1);
      for (const auto& [k, c_in] : options_.fiber_in().entries())
        flops += 2.0 * E * c_in * (2 * k + 1) * num_basis_J(k, l) * (2 * l + 1);
      profiler::add_flops(profiler::Phase::kContraction, flops);
    }
  }
  return out;
}

Features ConvSE3Impl::forward(const Features& features, const EdgeGeometry& geometry) {
  Features messages = edge_messages(features, geometry);
  SE3T_PROFILE_PHASE(kContraction);
  Features out;
  for (auto& [l, m] : messages) {
    if (geometry.envelope.defined()) m = m * geometry.envelope.unsqueeze(2);  // [E, 1, 1]
    out[l] = options_.aggregation() == Aggregation::kMean
                 ? kernels::segment_mean(m, geometry.dst, geometry.num_nodes)
                 : kernels::segment_sum(m, geometry.dst, geometry.num_nodes);
  }
  if (self_) {
    SE3T_PROFILE_PHASE(kOther);
    for (auto& [l, t] : self_->forward(features)) out[l] = out[l] + t;
  }
  return out;
}

}  // namespace se3t

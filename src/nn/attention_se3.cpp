#include "se3t/nn/attention_se3.h"

#include <ATen/ATen.h>

#include <cmath>

#include "kernels/segment_attention.h"
#include "kernels/segment_ops.h"
#include "se3t/util/check.h"
#include "se3t/util/profiler.h"

namespace se3t {

namespace {
// [rows, C_l, 2l+1] per degree -> [rows, H, sum_l (C_l / H)(2l+1)]: each head's slice of
// every degree, flattened so one dot product covers all degrees of a head.
at::Tensor split_heads(const Features& f, int64_t heads) {
  std::vector<at::Tensor> parts;
  // Explicit sizes, not -1: a graph without edges has rows = 0, where -1 is ambiguous.
  for (const auto& [l, t] : f) {
    parts.push_back(t.reshape({t.size(0), heads, t.size(1) / heads * t.size(2)}));
  }
  return at::cat(parts, 2);
}
}  // namespace

AttentionSE3Impl::AttentionSE3Impl(const AttentionSE3Options& options) : options_(options) {
  const int64_t H = options.num_heads();
  SE3T_CHECK(H >= 1, "AttentionSE3: num_heads must be >= 1, got ", H);
  SE3T_CHECK(options.channels_div() >= 1, "AttentionSE3: channels_div must be >= 1, got ",
             options.channels_div());
  for (const auto& [l, c] : options.fiber_value().entries()) {
    SE3T_CHECK(c % H == 0, "AttentionSE3: ", c, " value channels of degree ", l,
               " do not split into ", H, " heads");
  }
  fiber_key_ =
      options.fiber_value().restricted_to(options.fiber_in()).divided(options.channels_div());
  SE3T_CHECK(!fiber_key_.empty(), "AttentionSE3: keys need a degree shared by the input fiber ",
             options.fiber_in().str(), " and the value fiber ", options.fiber_value().str());
  for (const auto& [l, c] : fiber_key_.entries()) {
    SE3T_CHECK(c % H == 0, "AttentionSE3: ", c, " key channels of degree ", l,
               " do not split into ", H, " heads (value channels / channels_div)");
  }
  key_value_ = register_module(
      "key_value", ConvSE3(ConvSE3Options(options.fiber_in(), options.fiber_value() + fiber_key_)
                               .edge_dim(options.edge_dim())
                               .radial_hidden(options.radial_hidden())
                               .activation(options.activation())
                               .kernel(options.kernel())));
  query_ = register_module("query",
                           LinearSE3(LinearSE3Options(options.fiber_in(), fiber_key_).bias(false)));
}

Features AttentionSE3Impl::forward(const Features& features, const EdgeGeometry& geometry) {
  return forward(features, geometry, nullptr);
}

Features AttentionSE3Impl::forward(const Features& features, const EdgeGeometry& geometry,
                                   at::Tensor* alpha_out) {
  SE3T_PROFILE_PHASE(kAttention);  // key_value_ charges its own radial and contraction time
  const int64_t H = options_.num_heads();
  const Features kv = key_value_->edge_messages(features, geometry);
  Features keys, values;
  for (const auto& [l, t] : kv) {
    const int64_t cv = options_.fiber_value().channels(l), ck = fiber_key_.channels(l);
    // split, not two narrows: the backward of a narrow fills a zero tensor of the whole
    // [E, cv + ck, 2l+1] message per slice; split's is one cat.
    if (cv > 0 && ck > 0) {
      const auto parts = t.split_with_sizes({cv, ck}, 1);
      values[l] = parts[0];
      keys[l] = parts[1];
    } else if (cv > 0) {
      values[l] = t;
    } else if (ck > 0) {
      keys[l] = t;
    }
  }

  const int64_t E = geometry.num_edges(), N = geometry.num_nodes;
  // With a smooth cutoff an edge's attention weight carries its envelope u_ij,
  // alpha_ij = u_ij exp(logit_ij) / sum_k u_ik exp(logit_ik), and its value is scaled by u_ij
  // too, so an edge fades out of the normalisation and, when it is a node's last, of the
  // output (docs/design.md, Smooth cutoff).
  const bool envelope = geometry.envelope.defined();
  if (options_.uniform_attention()) {  // the ablation: alpha_ij = 1 / |N(i)| (u_ij / sum u)
    const at::Tensor w = envelope ? geometry.envelope.expand({E, H})
                                  : at::ones({E, H}, geometry.radial_input.options());
    const at::Tensor degree =
        kernels::segment_sum(w, geometry.dst, N).clamp_min(envelope ? 1e-30 : 1.0);
    const at::Tensor alpha = w / degree.index_select(0, geometry.dst);
    if (alpha_out) *alpha_out = alpha;
    Features out;
    for (const auto& [l, v] : values) {
      const int64_t c = v.size(1);
      at::Tensor weighted =
          (v.view({E, H, c / H, 2 * l + 1}) * alpha.view({E, H, 1, 1})).view({E, c, 2 * l + 1});
      if (envelope) weighted = weighted * geometry.envelope.unsqueeze(2);
      out[l] = kernels::segment_sum(weighted, geometry.dst, N);
    }
    return out;
  }

  // All degrees of a head at once: logits, softmax over each node's incoming edges and the
  // weighted sum of the values, by the fused kernel or by its reference composition.
  at::Tensor q = split_heads(query_->forward(features), H);  // [N, H, d]
  at::Tensor k = split_heads(keys, H);                       // [E, H, d]
  at::Tensor v = split_heads(values, H);                     // [E, H, m]
  const double scale = 1.0 / std::sqrt(double(k.size(2)));
  if (envelope) {
    // log u_ij joins each logit as one more key coordinate, against a query coordinate of 1
    // (clamped: an edge with u < 1e-30 keeps a weight below 1e-30 times its exp(logit)).
    const at::Tensor u = geometry.envelope;  // [E, 1]
    k = at::cat({k, (u.clamp_min(1e-30).log() / scale).unsqueeze(1).expand({E, H, 1})}, 2);
    q = at::cat({q, at::ones({N, H, 1}, q.options())}, 2);
    v = v * u.unsqueeze(2);
  }
  const bool fused = resolve_kernel_path(options_.kernel()) == KernelPath::kFused &&
                     geometry.radial_input.device().is_cpu();
  const kernels::SegmentAttention r =
      fused ? kernels::segment_attention(q, k, v, geometry.dst, scale)
            : kernels::segment_attention_reference(q, k, v, geometry.dst, scale);
  if (alpha_out) *alpha_out = r.alpha;
  Features out;
  int64_t offset = 0;
  for (const auto& [l, t] : values) {  // back from [N, H, m] to each degree's [N, C, 2l+1]
    const int64_t width = t.size(1) / H * (2 * l + 1);
    out[l] = r.out.narrow(2, offset, width).reshape({N, t.size(1), 2 * l + 1});
    offset += width;
  }
  return out;
}

}  // namespace se3t

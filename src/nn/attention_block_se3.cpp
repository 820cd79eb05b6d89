#include "se3t/nn/attention_block_se3.h"

#include <ATen/ATen.h>

#include "se3t/util/check.h"
#include "se3t/util/profiler.h"

namespace se3t {

Skip parse_skip(const std::string& name) {
  if (name == "cat") return Skip::kCat;
  if (name == "add") return Skip::kAdd;
  SE3T_CHECK(false, "skip: expected cat or add, got '", name, "'");
  return Skip::kCat;
}

SelfInteraction parse_self_interaction(const std::string& name) {
  if (name == "linear") return SelfInteraction::kLinear;
  if (name == "attentive") return SelfInteraction::kAttentive;
  SE3T_CHECK(false, "self_interaction: expected linear or attentive, got '", name, "'");
  return SelfInteraction::kLinear;
}

std::string to_string(Skip s) {
  return s == Skip::kCat ? "cat" : "add";
}
std::string to_string(SelfInteraction s) {
  return s == SelfInteraction::kLinear ? "linear" : "attentive";
}

AttentionBlockSE3Impl::AttentionBlockSE3Impl(const AttentionBlockSE3Options& o) : options_(o) {
  // The message layer keeps the output fiber's channels; the projection then maps
  // [messages (+ skip)] to the output fiber.
  const Fiber mid = o.fiber_out();
  if (o.attention()) {
    attention_ = register_module("attention", AttentionSE3(AttentionSE3Options(o.fiber_in(), mid)
                                                               .num_heads(o.num_heads())
                                                               .channels_div(o.channels_div())
                                                               .edge_dim(o.edge_dim())
                                                               .radial_hidden(o.radial_hidden())));
  } else {
    conv_ = register_module("conv", ConvSE3(ConvSE3Options(o.fiber_in(), mid)
                                                .edge_dim(o.edge_dim())
                                                .radial_hidden(o.radial_hidden())));
  }
  // The input degrees the skip connection carries (a named Fiber: entries() of a temporary
  // would dangle in the loop below).
  const Fiber skipped = o.fiber_in().restricted_to(mid);
  Fiber projected_in = mid;
  if (o.skip() == Skip::kCat) {
    projected_in = mid + skipped;
  } else {
    for (const auto& [l, c] : skipped.entries()) {
      SE3T_CHECK(c == mid.channels(l), "AttentionBlockSE3: skip 'add' needs equal channels, ",
                 "but degree ", l, " has ", c, " in and ", mid.channels(l), " out; use 'cat'");
    }
  }
  if (o.self_interaction() == SelfInteraction::kLinear) {
    linear_ = register_module("projection", LinearSE3(LinearSE3Options(projected_in, mid)));
  } else {
    attentive_ = register_module(
        "projection", AttentiveSelfInteraction(AttentiveSelfInteractionOptions(projected_in, mid)));
  }
}

Features AttentionBlockSE3Impl::forward(const Features& features, const EdgeGeometry& geometry) {
  Features messages =
      attention_ ? attention_->forward(features, geometry) : conv_->forward(features, geometry);
  SE3T_PROFILE_PHASE(kOther);  // skip connection and self-interaction
  Features combined;
  if (options_.skip() == Skip::kCat) {
    // Concatenate the block input onto the messages of the degrees they share.
    combined = messages;
    for (auto& [l, m] : combined) {
      auto it = features.find(l);
      if (it != features.end()) m = at::cat({m, it->second}, 1);
    }
  } else {
    combined = messages;
    for (auto& [l, m] : combined) {
      auto it = features.find(l);
      if (it != features.end()) m = m + it->second;
    }
  }
  return linear_ ? linear_->forward(combined) : attentive_->forward(combined);
}

}  // namespace se3t

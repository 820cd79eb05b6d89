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

ValueLayout parse_value_layout(const std::string& name) {
  if (name == "paper") return ValueLayout::kPaper;
  if (name == "wide") return ValueLayout::kWide;
  SE3T_CHECK(false, "value_layout: expected paper or wide, got '", name, "'");
  return ValueLayout::kPaper;
}

std::string to_string(Skip s) {
  return s == Skip::kCat ? "cat" : "add";
}
std::string to_string(SelfInteraction s) {
  return s == SelfInteraction::kLinear ? "linear" : "attentive";
}
std::string to_string(ValueLayout v) {
  return v == ValueLayout::kPaper ? "paper" : "wide";
}

AttentionBlockSE3Impl::AttentionBlockSE3Impl(const AttentionBlockSE3Options& o) : options_(o) {
  // The messages: C / channels_div channels per output degree in the paper's layout (its
  // keys then have the values' channels), the output fiber's C in the wide one (keys C / div);
  // the projection then maps [messages (+ skip)] to the output fiber.
  const bool paper = o.attention() && o.value_layout() == ValueLayout::kPaper;
  SE3T_CHECK(o.channels_div() >= 1, "AttentionBlockSE3: channels_div must be >= 1, got ",
             o.channels_div());
  for (const auto& [l, c] : o.fiber_out().entries()) {
    SE3T_CHECK(!paper || c % o.channels_div() == 0, "AttentionBlockSE3: channels_div (",
               o.channels_div(), ") must divide the ", c, " channels of degree ", l);
  }
  const Fiber mid = paper ? o.fiber_out().divided(o.channels_div()) : o.fiber_out();
  if (o.attention()) {
    attention_ =
        register_module("attention", AttentionSE3(AttentionSE3Options(o.fiber_in(), mid)
                                                      .num_heads(o.num_heads())
                                                      .channels_div(paper ? 1 : o.channels_div())
                                                      .edge_dim(o.edge_dim())
                                                      .radial_hidden(o.radial_hidden())
                                                      .activation(o.activation())));
  } else {
    conv_ = register_module("conv", ConvSE3(ConvSE3Options(o.fiber_in(), mid)
                                                .edge_dim(o.edge_dim())
                                                .radial_hidden(o.radial_hidden())
                                                .activation(o.activation())));
  }
  // The input degrees the skip connection carries (a named Fiber: entries() of a temporary
  // would dangle in the loop below).
  const Fiber skipped = o.fiber_in().restricted_to(mid);
  Fiber projected_in = mid;
  if (o.skip() == Skip::kCat) {
    projected_in = mid + skipped;
  } else {
    for (const auto& [l, c] : skipped.entries()) {
      SE3T_CHECK(
          c == mid.channels(l), "AttentionBlockSE3: skip 'add' needs equal channels, ",
          "but degree ", l, " has ", c, " in and ", mid.channels(l), " out; use 'cat'",
          paper ? " (or value_layout 'wide': the paper's values have C / channels_div)" : "");
    }
  }
  if (o.self_interaction() == SelfInteraction::kLinear) {
    linear_ =
        register_module("projection", LinearSE3(LinearSE3Options(projected_in, o.fiber_out())));
  } else {
    attentive_ = register_module(
        "projection",
        AttentiveSelfInteraction(AttentiveSelfInteractionOptions(projected_in, o.fiber_out())
                                     .activation(o.activation())));
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

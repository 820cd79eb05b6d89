#include "se3t/models/backbone_options.h"

#include <algorithm>

#include "se3t/util/check.h"

namespace se3t {

void BackboneOptions::visit(FieldVisitor& v) {
  v.field("type", type, "se3_transformer (attention), tfn (Tensor Field Network) or linear",
          {"se3_transformer", "tfn", "linear"});
  v.field("num_layers", num_layers, "attention (or convolution) blocks", Range::at_least(0));
  v.field("num_degrees", num_degrees, "hidden degrees 0 .. num_degrees - 1", Range::between(1, 11));
  v.field("num_channels", num_channels, "channels of every hidden degree", Range::at_least(1));
  v.field("num_heads", num_heads, "attention heads", Range::at_least(1));
  v.field("channels_div", channels_div, "keys and queries have num_channels / channels_div",
          Range::at_least(1));
  v.field("radial_hidden", radial_hidden, "hidden units of the radial MLPs", Range::at_least(1));
  v.field("self_interaction", self_interaction, "linear or attentive self-interaction",
          {"linear", "attentive"});
  v.field("skip", skip, "skip connection of each block: cat (concatenate) or add", {"cat", "add"});
  v.field("norm", norm, "NormSE3 nonlinearity after every block");
  v.field("value_layout", value_layout,
          "attention values: paper (num_channels / channels_div, like the keys) or wide "
          "(num_channels)",
          {"paper", "wide"});
  v.field("activation", activation,
          "nonlinearity of the radial MLPs and NormSE3: relu (the paper's) or silu (smooth: "
          "continuous forces, for interatomic potentials and molecular dynamics)",
          {"relu", "silu"});
}

void BackboneOptions::check(const std::string& where) const {
  const int64_t ch = num_channels, div = channels_div, heads = num_heads;
  SE3T_CHECK(div >= 1 && ch % div == 0, where, "channels_div (", div,
             ") must divide num_channels (", ch, ")");
  SE3T_CHECK(heads >= 1 && ch % heads == 0 && (ch / div) % heads == 0, where, "num_heads (", heads,
             ") must divide num_channels (", ch, ") and num_channels / channels_div (",
             ch / std::max<int64_t>(div, 1), ")");
  SE3T_CHECK(!(attention() && value_layout == "paper" && skip == "add" && div > 1), where,
             "skip = \"add\" needs values with num_channels channels: set value_layout = "
             "\"wide\" (the paper's values have num_channels / channels_div) or skip = \"cat\"");
}

SE3TransformerOptions BackboneOptions::network(const Fiber& fiber_in, const Fiber& fiber_out,
                                               int64_t edge_dim) const {
  SE3T_CHECK(type != "linear", "model type \"linear\" has no network");
  SE3T_CHECK(type == "se3_transformer" || type == "tfn",
             "model type must be se3_transformer or tfn, got '", type, "'");
  SE3T_CHECK(num_degrees >= 1, "model: num_degrees must be >= 1, got ", num_degrees);
  SE3T_CHECK(num_channels >= 1, "model: num_channels must be >= 1, got ", num_channels);
  SE3TransformerOptions o;
  o.fiber_in = fiber_in;
  o.fiber_hidden = Fiber::uniform(num_degrees - 1, num_channels);
  o.fiber_out = fiber_out;
  o.num_layers = num_layers;
  o.num_heads = num_heads;
  o.channels_div = channels_div;
  o.radial_hidden = radial_hidden;
  o.activation = parse_activation(activation, "model");
  o.edge_dim = edge_dim;
  o.self_interaction = parse_self_interaction(self_interaction);
  o.skip = parse_skip(skip);
  o.norm = norm;
  o.pooling = Pooling::kNone;
  o.attention = attention();
  o.value_layout = parse_value_layout(value_layout);
  o.validate();
  return o;
}

}  // namespace se3t

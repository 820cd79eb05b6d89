// The small SE3Transformer the fused-path tests run: two attention layers over degrees 0-2,
// four hidden channels, two heads, one edge attribute.
#pragma once
#include "se3t/models/se3_transformer.h"

namespace se3t::testing {

inline SE3TransformerOptions small_attention_model() {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, 2}, {1, 1}};
  o.fiber_hidden = Fiber::uniform(3, 4);
  o.fiber_out = Fiber::uniform(3, 2);
  o.num_layers = 2;
  o.num_heads = 2;
  o.edge_dim = 1;
  o.attention = true;
  return o;
}

}  // namespace se3t::testing

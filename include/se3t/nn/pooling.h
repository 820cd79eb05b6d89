// Graph-level pooling: average or max over the nodes of each graph of degree-0 channels
// (invariant output), average of degree-1 channels (equivariant vector output).
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

#include "se3t/nn/features.h"

namespace se3t {

enum class Pooling { kNone, kAvg, kMax };

Pooling parse_pooling(const std::string& name);  // "none" | "avg" | "max"
std::string to_string(Pooling p);

// Pools every degree of `features` over the nodes of each graph: [N, C, 2l+1] -> [G, C, 2l+1].
// Max pooling is only equivariant for degree 0 and is refused for l >= 1.
Features pool_graphs(const Features& features, const at::Tensor& graph_id, int64_t num_graphs,
                     Pooling mode);

}  // namespace se3t

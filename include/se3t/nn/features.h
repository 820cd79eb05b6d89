// Typed node (or edge) features: for each degree l a tensor [num, channels_l, 2l+1]
// (docs/design.md, Objects).
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include "se3t/nn/fiber.h"

namespace se3t {

using Features = std::map<int64_t, at::Tensor>;

// The fiber the features carry (channels read from the tensors).
Fiber fiber_of(const Features& f);

// Requires exactly the degrees of `fiber`, each [rows, C_l, 2l+1] floating with one dtype and
// device (rows = -1: any, but the same for every degree). Throws se3t::Error naming `name`.
void check_features(const Features& f, const Fiber& fiber, int64_t rows, const std::string& name);

// Rows of every degree gathered by an index: f[l].index_select(0, index).
Features index_select(const Features& f, const at::Tensor& index);

// Concatenation along channels for degrees present in both (others taken from whichever has
// them), in the order (a, b).
Features concat_channels(const Features& a, const Features& b);

// Row-wise concatenation (two batches of nodes), degrees must match.
Features concat_rows(const Features& a, const Features& b);

// Flattens to [rows, fiber.num_features()] (degrees ascending, channel-major) and back.
at::Tensor flatten_features(const Features& f);
Features unflatten_features(const at::Tensor& flat, const Fiber& fiber);

}  // namespace se3t

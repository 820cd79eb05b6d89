// Reductions over the incoming edges of each node, and over the nodes of each graph, for
// graphs batched by concatenation (no padding). Plain LibTorch compositions: the layers use
// them, and the reference paths of the fused kernels are built from them.
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t::kernels {

// out[i] = sum of values[e] over edges e with index[e] == i; out has num_segments rows.
at::Tensor segment_sum(const at::Tensor& values, const at::Tensor& index, int64_t num_segments);
// Mean over each segment; empty segments give 0.
at::Tensor segment_mean(const at::Tensor& values, const at::Tensor& index, int64_t num_segments);
// Max over each segment; empty segments give 0. Gradient flows to the maximal entries.
at::Tensor segment_max(const at::Tensor& values, const at::Tensor& index, int64_t num_segments);

// Softmax of logits [E, ...] over the edges sharing index[e] (each node's incoming edges),
// with the per-segment maximum subtracted first so large logits cannot overflow. Segments
// with no edges simply receive no weights: no NaN anywhere.
at::Tensor segment_softmax(const at::Tensor& logits, const at::Tensor& index, int64_t num_segments);

}  // namespace se3t::kernels

// Helpers for the layer and model tests: random graphs with typed features, and the
// rotation of typed features by Wigner-D matrices, and the small model the model tests run.
#pragma once
#include <ATen/ATen.h>

#include "se3t/graph/graph_batch.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/features.h"

namespace se3t::testing {

// num_graphs fully connected graphs of the given sizes, positions ~ N(0, scale^2).
GraphBatch random_graphs(const std::vector<int64_t>& sizes, at::ScalarType dtype,
                         at::Generator& gen, double scale = 1.0, int64_t edge_dim = 0);
// Random features of a fiber for `rows` rows.
Features random_features(const Fiber& fiber, int64_t rows, at::ScalarType dtype,
                         at::Generator& gen);
// f^l -> f^l D^l(R)^T for every degree (rows rotate as Y^l does).
Features rotate_features(const Features& f, const at::Tensor& R);
// The graph with positions rotated by R and shifted by t.
GraphBatch transform_graph(const GraphBatch& g, const at::Tensor& R, const at::Tensor& t);
// max over degrees of relative_error(a[l], b[l]); degrees must match.
double features_error(const Features& a, const Features& b);
// Features with rows permuted: out[perm[i]] = f[i] (perm maps old index -> new index).
Features permute_rows(const Features& f, const at::Tensor& perm);
// The graph relabelled by perm (old node index -> new index), edges in the same order.
GraphBatch permute_graph(const GraphBatch& g, const at::Tensor& perm);

// Two layers over degrees 0-2, four hidden channels, two heads, one edge attribute; attention
// blocks or (false) TFN layers.
SE3TransformerOptions small_model_options(bool attention = true);

}  // namespace se3t::testing

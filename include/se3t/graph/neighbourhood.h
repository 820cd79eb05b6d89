// Neighbourhood builders N(i) for a batch of graphs (docs/design.md, Objects): fully
// connected, k nearest neighbours, and radius (optionally capped at the nearest few).
//
// Common contract of every builder:
// - Inputs: pos [N, 3] float32/float64, finite; graph_id [N] int64, non-decreasing, in
//   [0, num_graphs), on pos's device (graphs may be empty). Invalid input throws se3t::Error.
// - Output: a GraphBatch holding pos, graph_id and num_graphs as given, edge_attr undefined, and
//   edges src j -> dst i with j != i in the same graph. Edge order is deterministic: sorted by
//   dst ascending, then by src ascending.
// - Two distinct nodes at the same position are distinct neighbours (a distance-0 edge).
// - Distances for kNN and radius are compared as squared distances computed in float64 from the
//   (exactly converted) coordinates, as (dx*dx + dy*dy) + dz*dz with d = x_j - x_i; ties are
//   broken by the smaller node index. The k-d tree search runs on the CPU (nanoflann, one tree
//   per graph, O(N log N)); the edge tensors come back on pos's device.
#pragma once
#include <ATen/core/Tensor.h>

#include "se3t/graph/graph_batch.h"

namespace se3t {

// All ordered pairs (j, i), j != i, within each graph: n(n-1) edges for a graph of n nodes.
GraphBatch fully_connected_graph(const at::Tensor& pos, const at::Tensor& graph_id,
                                 int64_t num_graphs);

// Each node i receives edges from its k nearest other nodes of its graph (all n-1 others when
// the graph has at most k+1 nodes). Requires k >= 1.
GraphBatch knn_graph(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs,
                     int64_t k);

// Each node i receives edges from the other nodes j of its graph strictly closer than r
// (|x_j - x_i| < r, tested as squared distance < r*r). With max_neighbours >= 1 only the
// max_neighbours nearest of those are kept; -1 keeps all. Requires r > 0 finite.
GraphBatch radius_graph(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs,
                        double r, int64_t max_neighbours = -1);

}  // namespace se3t

// Everything a layer needs about the edges, computed once per forward pass and shared by all
// layers (as NVIDIA's implementation does): the kernel basis and the radial-MLP inputs.
#pragma once
#include <ATen/core/Tensor.h>

#include "se3t/graph/graph_batch.h"
#include "se3t/so3/equivariant_basis.h"

namespace se3t {

struct EdgeGeometry {
  at::Tensor src, dst;  // [E] int64: messages flow src j -> dst i
  int64_t num_nodes = 0;
  at::Tensor distance;      // [E, 1] |x_ij| (0 for coincident points, with zero gradient)
  at::Tensor radial_input;  // [E, 1 + A]: |x_ij| then the graph's edge attributes
  // [E, 1] smooth cutoff weight u(|x_ij| / r_c) in [0, 1] (se3t/nn/cutoff_envelope.h) that
  // ConvSE3 multiplies its messages by and AttentionSE3 its attention weights by; undefined
  // when the network has no smooth cutoff.
  at::Tensor envelope;
  EquivariantBasis basis;  // pairs (k, l) for k, l <= max_degree

  int64_t num_edges() const { return src.size(0); }
  int64_t edge_dim() const { return radial_input.size(1) - 1; }
};

// Validates the graph and builds the shared per-edge quantities up to max_degree, with the
// envelope when smooth_cutoff > 0 (its r_c). Differentiable in graph.pos (forces = -dE/dx).
EdgeGeometry edge_geometry(const GraphBatch& graph, int64_t max_degree, double smooth_cutoff = 0);

}  // namespace se3t

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
  EquivariantBasis basis;   // pairs (k, l) for k, l <= max_degree

  int64_t num_edges() const { return src.size(0); }
  int64_t edge_dim() const { return radial_input.size(1) - 1; }
};

// Validates the graph and builds the shared per-edge quantities up to max_degree.
// Differentiable in graph.pos (forces = -dE/dx need it).
EdgeGeometry edge_geometry(const GraphBatch& graph, int64_t max_degree);

}  // namespace se3t

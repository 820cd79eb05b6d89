// A batch of graphs stored by concatenation (as DGL / PyG do), never padded (docs/design.md,
// Conventions).
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace se3t {

// Directed edges run src j -> dst i: node i aggregates messages from its neighbours j,
// and the relative position of an edge is x_ij = pos[src] - pos[dst] = x_j - x_i.
//
// Periodic graphs (docs/design.md, Conventions) carry a cell per graph, rows the lattice
// vectors a, b, c, and per edge the integer image n of the source, so that
// x_ij = pos[src] + n . cell[graph] - pos[dst] = x_j + n_a a + n_b b + n_c c - x_i. An atom
// may then neighbour another one several times, and itself (j = i with n != 0).
struct GraphBatch {
  at::Tensor pos;       // [N, 3] float32/float64 node positions
  at::Tensor src;       // [E] int64 source node j of each edge
  at::Tensor dst;       // [E] int64 destination node i of each edge
  at::Tensor graph_id;  // [N] int64 graph of each node, non-decreasing, in [0, num_graphs)
  int64_t num_graphs = 0;
  // [E, A] scalar edge attributes (e.g. bond type, q_i q_j); may be undefined.
  at::Tensor edge_attr;
  // [num_graphs, 3, 3] cells in pos's dtype, rows a, b, c; undefined: no periodicity. A
  // non-periodic graph in a periodic batch has a zero cell (and zero images).
  at::Tensor cell;
  // [E, 3] int64 image of each edge's source; defined exactly when cell is.
  at::Tensor edge_image;

  bool periodic() const { return cell.defined(); }
  int64_t num_nodes() const { return pos.defined() ? pos.size(0) : 0; }
  int64_t num_edges() const { return src.defined() ? src.size(0) : 0; }
  int64_t edge_attr_dim() const { return edge_attr.defined() ? edge_attr.size(1) : 0; }

  // Throws se3t::Error naming the offending field for wrong shapes or dtypes, edge indices out
  // of range, self-edges (j = i with a zero image), edges across graphs, graph ids out of
  // order, non-finite positions or cells, a cell without edge images or the reverse.
  void validate() const;

  // x_j - x_i for every edge, [E, 3], plus n . cell when periodic. Formed from the positions
  // before any other arithmetic, so that large coordinates (1e4) lose no more precision than
  // the subtraction itself. Differentiable in pos and in cell (a strain of the cell moves the
  // image shifts, as the stress needs).
  at::Tensor relative_positions() const;

  // Number of nodes in each graph, [num_graphs] int64.
  at::Tensor graph_sizes() const;

  // The same batch on another device / dtype (positions, cells and edge attributes converted).
  GraphBatch to(const at::TensorOptions& options) const;
};

// Concatenates graphs into one batch, offsetting their node indices and graph ids.
// Every input is validated; positions must share dtype and device, and edge attributes
// must be defined in all inputs or in none, with the same width. When any input is periodic
// the result is, with zero cells and zero images for the inputs that are not.
GraphBatch concat_graphs(const std::vector<GraphBatch>& graphs);

// Checks the node fields alone as validate() does: pos [N, 3] float32/64 finite, graph_id [N]
// int64 non-decreasing in [0, num_graphs), on pos's device. Messages start with `where`
// followed by the field name (e.g. where = "knn_graph: " gives "knn_graph: pos: ...").
void check_nodes(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs,
                 const std::string& where);

}  // namespace se3t

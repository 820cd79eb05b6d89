#include "se3t/graph/graph_batch.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {

namespace {

// Index of the first true entry of a rank-1 bool mask, or -1 (error paths only).
int64_t first_true(const at::Tensor& mask) {
  if (!mask.any().item<bool>()) return -1;
  return mask.nonzero().select(1, 0)[0].item<int64_t>();
}

void check_device(const at::Tensor& t, const at::Tensor& pos, const std::string& name) {
  SE3T_CHECK(t.device() == pos.device(), name, ": expected a tensor on ", pos.device(),
             " (the device of pos), got one on ", t.device());
}

}  // namespace

void check_nodes(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs,
                 const std::string& where) {
  const std::string pos_name = where + "pos";
  const std::string gid_name = where + "graph_id";
  check_floating(pos, pos_name);
  check_shape(pos, {-1, 3}, pos_name);
  check_finite(pos, pos_name);
  const int64_t n = pos.size(0);
  check_index(graph_id, gid_name);
  check_device(graph_id, pos, gid_name);
  SE3T_CHECK(graph_id.size(0) == n, gid_name, ": expected one entry per node (", n, "), got ",
             describe(graph_id));
  SE3T_CHECK(num_graphs >= 0, where, "num_graphs: expected >= 0, got ", num_graphs);
  if (n == 0) return;
  const int64_t lo = graph_id.min().item<int64_t>();
  const int64_t hi = graph_id.max().item<int64_t>();
  SE3T_CHECK(lo >= 0 && hi < num_graphs, gid_name,
             ": expected values in [0, num_graphs = ", num_graphs, "), got values in [", lo, ", ",
             hi, "]");
  if (n > 1) {
    const int64_t bad = first_true(graph_id.slice(0, 1).lt(graph_id.slice(0, 0, n - 1)));
    SE3T_CHECK(bad < 0, gid_name, ": expected non-decreasing graph ids, but node ", bad + 1,
               " has graph id ", graph_id[bad + 1].item<int64_t>(), " after ",
               graph_id[bad].item<int64_t>());
  }
}

void GraphBatch::validate() const {
  check_nodes(pos, graph_id, num_graphs, "GraphBatch.");
  const int64_t n = pos.size(0);
  check_index(src, "GraphBatch.src");
  check_index(dst, "GraphBatch.dst");
  check_device(src, pos, "GraphBatch.src");
  check_device(dst, pos, "GraphBatch.dst");
  const int64_t e = src.size(0);
  SE3T_CHECK(dst.size(0) == e, "GraphBatch.dst: expected as many entries as GraphBatch.src (", e,
             "), got ", describe(dst));
  SE3T_CHECK(cell.defined() == edge_image.defined(), "GraphBatch.cell / edge_image: cell is ",
             cell.defined() ? "defined" : "undefined", " but edge_image is ",
             edge_image.defined() ? "defined" : "undefined",
             " (a periodic graph needs both, a non-periodic one neither)");
  if (cell.defined()) {
    check_floating(cell, "GraphBatch.cell");
    check_shape(cell, {num_graphs, 3, 3}, "GraphBatch.cell");
    check_device(cell, pos, "GraphBatch.cell");
    SE3T_CHECK(cell.scalar_type() == pos.scalar_type(),
               "GraphBatch.cell: expected the dtype of pos (", pos.scalar_type(), "), got ",
               describe(cell));
    check_finite(cell, "GraphBatch.cell");
    SE3T_CHECK(edge_image.scalar_type() == at::kLong,
               "GraphBatch.edge_image: expected int64 image indices, got ", describe(edge_image));
    check_shape(edge_image, {e, 3}, "GraphBatch.edge_image");
    check_device(edge_image, pos, "GraphBatch.edge_image");
  }
  if (e > 0) {
    auto check_range = [&](const at::Tensor& t, const char* name) {
      const int64_t bad = first_true(t.lt(0).logical_or(t.ge(n)));
      SE3T_CHECK(bad < 0, name, ": expected node indices in [0, ", n, "), but edge ", bad,
                 " has index ", t[bad].item<int64_t>());
    };
    check_range(src, "GraphBatch.src");
    check_range(dst, "GraphBatch.dst");
    at::Tensor self_edges = src.eq(dst);
    // In a periodic graph a node neighbours its own images; only the zero image is a self-edge.
    if (edge_image.defined()) {
      self_edges = self_edges.logical_and(edge_image.eq(0).all(1));
    }
    const int64_t self = first_true(self_edges);
    SE3T_CHECK(self < 0, "GraphBatch.src/dst: self-edges are not allowed, but edge ", self,
               " joins node ", src[self].item<int64_t>(), " to itself",
               edge_image.defined() ? " (with a zero edge_image)" : "");
    const at::Tensor gs = graph_id.index_select(0, src);
    const at::Tensor gd = graph_id.index_select(0, dst);
    const int64_t cross = first_true(gs.ne(gd));
    SE3T_CHECK(cross < 0,
               "GraphBatch.src/dst: edges must stay within one graph (graph_id), but edge ", cross,
               " joins node ", src[cross].item<int64_t>(), " of graph ", gs[cross].item<int64_t>(),
               " to node ", dst[cross].item<int64_t>(), " of graph ", gd[cross].item<int64_t>());
  }
  if (edge_attr.defined()) {
    check_floating(edge_attr, "GraphBatch.edge_attr");
    check_shape(edge_attr, {e, -1}, "GraphBatch.edge_attr");
    check_device(edge_attr, pos, "GraphBatch.edge_attr");
    check_finite(edge_attr, "GraphBatch.edge_attr");
  }
}

at::Tensor GraphBatch::relative_positions() const {
  at::Tensor x = pos.index_select(0, src) - pos.index_select(0, dst);
  if (!cell.defined()) return x;
  // n . cell[g] = sum_k n_k (row k of the cell), one [1, 3] x [3, 3] product per edge.
  const at::Tensor edge_cell = cell.index_select(0, graph_id.index_select(0, dst));  // [E, 3, 3]
  const at::Tensor n = edge_image.to(cell.scalar_type()).unsqueeze(1);               // [E, 1, 3]
  return x + at::bmm(n, edge_cell).squeeze(1);
}

at::Tensor GraphBatch::graph_sizes() const {
  at::Tensor sizes = at::zeros({num_graphs}, graph_id.options());
  return sizes.index_add_(0, graph_id, at::ones_like(graph_id));
}

GraphBatch GraphBatch::to(const at::TensorOptions& options) const {
  // Only the fields that options sets change; index tensors keep int64.
  auto convert = [&](const at::Tensor& t, bool floating) {
    if (!t.defined()) return t;
    at::TensorOptions o = t.options();
    if (options.has_device()) o = o.device(options.device());
    if (floating && options.has_dtype()) o = o.dtype(options.dtype());
    return t.to(o);
  };
  GraphBatch out;
  out.pos = convert(pos, true);
  out.src = convert(src, false);
  out.dst = convert(dst, false);
  out.graph_id = convert(graph_id, false);
  out.num_graphs = num_graphs;
  out.edge_attr = convert(edge_attr, true);
  out.cell = convert(cell, true);
  out.edge_image = convert(edge_image, false);
  return out;
}

GraphBatch concat_graphs(const std::vector<GraphBatch>& graphs) {
  SE3T_CHECK(!graphs.empty(), "concat_graphs: expected at least one graph batch, got none");
  const GraphBatch& first = graphs.front();
  const bool with_attr = first.edge_attr.defined();
  const bool periodic =
      std::any_of(graphs.begin(), graphs.end(), [](const GraphBatch& g) { return g.periodic(); });
  std::vector<at::Tensor> pos, src, dst, gid, attr, cell, image;
  int64_t node_offset = 0;
  int64_t graph_offset = 0;
  for (size_t b = 0; b < graphs.size(); ++b) {
    const GraphBatch& g = graphs[b];
    g.validate();
    SE3T_CHECK(
        g.pos.scalar_type() == first.pos.scalar_type() && g.pos.device() == first.pos.device(),
        "concat_graphs: pos of batch ", b, " is ", describe(g.pos), " on ", g.pos.device(),
        ", expected the dtype and device of batch 0 (", describe(first.pos), " on ",
        first.pos.device(), ")");
    SE3T_CHECK(g.edge_attr.defined() == with_attr, "concat_graphs: edge_attr of batch ", b, " is ",
               g.edge_attr.defined() ? "defined" : "undefined", " but that of batch 0 is ",
               with_attr ? "defined" : "undefined", " (all or none must have edge attributes)");
    if (with_attr) {
      SE3T_CHECK(g.edge_attr.size(1) == first.edge_attr.size(1) &&
                     g.edge_attr.scalar_type() == first.edge_attr.scalar_type(),
                 "concat_graphs: edge_attr of batch ", b, " is ", describe(g.edge_attr),
                 ", expected the width and dtype of batch 0 (", describe(first.edge_attr), ")");
      attr.push_back(g.edge_attr);
    }
    if (periodic) {
      cell.push_back(g.periodic() ? g.cell : at::zeros({g.num_graphs, 3, 3}, g.pos.options()));
      image.push_back(g.periodic() ? g.edge_image : at::zeros({g.num_edges(), 3}, g.src.options()));
    }
    pos.push_back(g.pos);
    src.push_back(g.src + node_offset);
    dst.push_back(g.dst + node_offset);
    gid.push_back(g.graph_id + graph_offset);
    node_offset += g.num_nodes();
    graph_offset += g.num_graphs;
  }
  GraphBatch out;
  out.pos = at::cat(pos, 0);
  out.src = at::cat(src, 0);
  out.dst = at::cat(dst, 0);
  out.graph_id = at::cat(gid, 0);
  out.num_graphs = graph_offset;
  if (with_attr) out.edge_attr = at::cat(attr, 0);
  if (periodic) {
    out.cell = at::cat(cell, 0);
    out.edge_image = at::cat(image, 0);
  }
  return out;
}

}  // namespace se3t

// Graph bindings: GraphBatch with its fields as tensors, and the neighbourhood builders
// (docs/design.md, Objects). graph_id may be omitted for a single graph; num_graphs defaults to
// graph_id's largest entry + 1.
#include <ATen/ATen.h>

#include "bindings.h"
#include "se3t/graph/graph_batch.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/graph/periodic_radius_graph.h"
#include "se3t/util/check.h"

namespace se3t::python {
namespace {

at::Tensor graph_ids(const at::Tensor& pos, const std::optional<at::Tensor>& graph_id) {
  if (graph_id) return *graph_id;
  SE3T_CHECK(pos.defined() && pos.dim() >= 1, "pos: expected [N, 3], got a tensor of rank ",
             pos.dim());
  return at::zeros({pos.size(0)}, pos.options().dtype(at::kLong));
}

int64_t graph_count(const at::Tensor& graph_id, std::optional<int64_t> num_graphs) {
  if (num_graphs) return *num_graphs;
  if (graph_id.numel() == 0) return 0;
  SE3T_CHECK(graph_id.scalar_type() == at::kLong, "graph_id: expected int64, got ",
             graph_id.scalar_type());
  return graph_id.max().item<int64_t>() + 1;
}

}  // namespace

void bind_graph(py::module_& m) {
  py::class_<GraphBatch>(m, "GraphBatch", py::module_local(),
                         "Graphs batched by concatenation: pos [N, 3], edges src j -> dst i [E], "
                         "graph_id [N] non-decreasing, optional edge_attr [E, A].")
      .def(py::init([](at::Tensor pos, at::Tensor src, at::Tensor dst,
                       std::optional<at::Tensor> graph_id, std::optional<int64_t> num_graphs,
                       std::optional<at::Tensor> edge_attr) {
             GraphBatch g;
             g.graph_id = graph_ids(pos, graph_id);
             g.num_graphs = graph_count(g.graph_id, num_graphs);
             g.pos = std::move(pos);
             g.src = std::move(src);
             g.dst = std::move(dst);
             if (edge_attr) g.edge_attr = *edge_attr;
             g.validate();
             return g;
           }),
           py::arg("pos"), py::arg("src"), py::arg("dst"), py::arg("graph_id") = py::none(),
           py::arg("num_graphs") = py::none(), py::arg("edge_attr") = py::none())
      .def_readwrite("pos", &GraphBatch::pos)
      .def_readwrite("src", &GraphBatch::src)
      .def_readwrite("dst", &GraphBatch::dst)
      .def_readwrite("graph_id", &GraphBatch::graph_id)
      .def_readwrite("num_graphs", &GraphBatch::num_graphs)
      .def_property(
          "edge_attr",
          [](const GraphBatch& g) -> std::optional<at::Tensor> {
            if (!g.edge_attr.defined()) return std::nullopt;
            return g.edge_attr;
          },
          [](GraphBatch& g, std::optional<at::Tensor> a) { g.edge_attr = a ? *a : at::Tensor(); })
      .def_property(
          "cell",
          [](const GraphBatch& g) -> std::optional<at::Tensor> {
            if (!g.cell.defined()) return std::nullopt;
            return g.cell;
          },
          [](GraphBatch& g, std::optional<at::Tensor> c) { g.cell = c ? *c : at::Tensor(); },
          "[num_graphs, 3, 3] rows a, b, c, or None (not periodic).")
      .def_property(
          "edge_image",
          [](const GraphBatch& g) -> std::optional<at::Tensor> {
            if (!g.edge_image.defined()) return std::nullopt;
            return g.edge_image;
          },
          [](GraphBatch& g, std::optional<at::Tensor> n) { g.edge_image = n ? *n : at::Tensor(); },
          "[E, 3] int64 image n of each source: x_ij = x_j + n . cell - x_i; or None.")
      .def_property_readonly("periodic", &GraphBatch::periodic)
      .def_property_readonly("num_nodes", &GraphBatch::num_nodes)
      .def_property_readonly("num_edges", &GraphBatch::num_edges)
      .def_property_readonly("edge_attr_dim", &GraphBatch::edge_attr_dim)
      .def("validate", &GraphBatch::validate)
      .def("relative_positions", &GraphBatch::relative_positions,
           "x_j - x_i per edge (+ n . cell when periodic), [E, 3]")
      .def("graph_sizes", &GraphBatch::graph_sizes)
      .def(
          "to",
          [](const GraphBatch& g, const py::object& dtype, std::optional<at::Device> device) {
            auto options = at::TensorOptions().dtype(to_dtype(dtype, "dtype", g.pos.scalar_type()));
            options = options.device(device ? *device : g.pos.device());
            return g.to(options);
          },
          py::arg("dtype") = py::none(), py::arg("device") = py::none())
      .def("__repr__", [](const GraphBatch& g) {
        return "GraphBatch(num_nodes=" + std::to_string(g.num_nodes()) +
               ", num_edges=" + std::to_string(g.num_edges()) +
               ", num_graphs=" + std::to_string(g.num_graphs) +
               ", edge_attr_dim=" + std::to_string(g.edge_attr_dim()) + ")";
      });
  m.def("concat_graphs", &concat_graphs, py::arg("graphs"));

  m.def(
      "fully_connected_graph",
      [](const at::Tensor& pos, std::optional<at::Tensor> graph_id,
         std::optional<int64_t> num_graphs) {
        const at::Tensor id = graph_ids(pos, graph_id);
        return fully_connected_graph(pos, id, graph_count(id, num_graphs));
      },
      py::arg("pos"), py::arg("graph_id") = py::none(), py::arg("num_graphs") = py::none(),
      "All ordered pairs j != i within each graph.");
  m.def(
      "knn_graph",
      [](const at::Tensor& pos, int64_t k, std::optional<at::Tensor> graph_id,
         std::optional<int64_t> num_graphs) {
        const at::Tensor id = graph_ids(pos, graph_id);
        return knn_graph(pos, id, graph_count(id, num_graphs), k);
      },
      py::arg("pos"), py::arg("k"), py::arg("graph_id") = py::none(),
      py::arg("num_graphs") = py::none(), "Edges from the k nearest other nodes of each graph.");
  m.def(
      "radius_graph",
      [](const at::Tensor& pos, double r, std::optional<at::Tensor> graph_id,
         std::optional<int64_t> num_graphs, int64_t max_neighbours, std::optional<at::Tensor> cell,
         std::optional<at::Tensor> pbc) {
        const at::Tensor id = graph_ids(pos, graph_id);
        const int64_t g = graph_count(id, num_graphs);
        if (!cell) {
          SE3T_CHECK(!pbc, "radius_graph: pbc needs a cell");
          return radius_graph(pos, id, g, r, max_neighbours);
        }
        SE3T_CHECK(max_neighbours == -1,
                   "radius_graph: max_neighbours is not available with a cell (periodic graphs "
                   "keep every image within r)");
        // One cell [3, 3] / pbc [3] for every graph, or one per graph.
        at::Tensor c = cell->dim() == 2 ? cell->unsqueeze(0).expand({g, 3, 3}) : *cell;
        at::Tensor p = pbc ? pbc->to(at::kBool) : at::ones({3}, at::kBool);
        if (p.dim() == 1) p = p.unsqueeze(0).expand({g, p.size(0)});
        return periodic_radius_graph(pos, id, g, c.contiguous(), p.contiguous(), r);
      },
      py::arg("pos"), py::arg("r"), py::arg("graph_id") = py::none(),
      py::arg("num_graphs") = py::none(), py::arg("max_neighbours") = -1,
      py::arg("cell") = py::none(), py::arg("pbc") = py::none(),
      "Edges from the other nodes of each graph closer than r (the nearest max_neighbours). With "
      "a cell (rows a, b, c; [3, 3] or [num_graphs, 3, 3]) and pbc (default all True; [3] or "
      "[num_graphs, 3]): every periodic image within r, edge_image and cell set.");
}

}  // namespace se3t::python

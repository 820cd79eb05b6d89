// Layer bindings: Fiber, the kernel-path switch, EdgeGeometry, feature helpers, pooling, and
// the C++ layers as opaque modules (python/se3t/modules.py makes torch.nn.Modules of them).
// Features cross as dicts {degree: tensor [N, C, 2l+1]}.
#include <ATen/ATen.h>

#include "bindings.h"
#include "se3t/nn/attention_block_se3.h"
#include "se3t/nn/attention_se3.h"
#include "se3t/nn/attentive_self_interaction.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/edge_geometry.h"
#include "se3t/nn/features.h"
#include "se3t/nn/fiber.h"
#include "se3t/nn/kernel_path.h"
#include "se3t/nn/linear_se3.h"
#include "se3t/nn/norm_se3.h"
#include "se3t/nn/pooling.h"
#include "se3t/nn/radial_basis.h"
#include "se3t/nn/radial_precision.h"
#include "se3t/util/check.h"

namespace se3t::python {
namespace {

Aggregation parse_aggregation(const std::string& name) {
  if (name == "sum") return Aggregation::kSum;
  if (name == "mean") return Aggregation::kMean;
  throw se3t::Error("se3t: aggregation: expected \"sum\" or \"mean\", got \"" + name + "\"");
}

void bind_fiber(py::module_& m) {
  py::class_<Fiber>(m, "Fiber", py::module_local(),
                    "Channels per degree, e.g. Fiber({0: 32, 1: 16}) or Fiber('{0:32,1:16}').")
      .def(py::init<>())
      .def(py::init<const std::map<int64_t, int64_t>&>(), py::arg("entries"))
      .def(py::init([](const std::string& text) { return Fiber::parse(text); }), py::arg("text"))
      .def_static("uniform", &Fiber::uniform, py::arg("max_degree"), py::arg("channels"),
                  "Degrees 0..max_degree with the same channel count.")
      .def_static("parse", &Fiber::parse, py::arg("text"))
      .def("channels", &Fiber::channels, py::arg("degree"))
      .def("has", &Fiber::has, py::arg("degree"))
      .def("__contains__", &Fiber::has)
      .def_property_readonly("degrees", &Fiber::degrees)
      .def_property_readonly("max_degree", &Fiber::max_degree)
      .def_property_readonly("num_features", &Fiber::num_features)
      .def("empty", &Fiber::empty)
      .def("to_dict", &Fiber::entries)
      .def("restricted_to", &Fiber::restricted_to, py::arg("other"))
      .def("divided", &Fiber::divided, py::arg("d"))
      .def("__add__", &Fiber::operator+)
      .def("__eq__", [](const Fiber& a, const Fiber& b) { return a == b; })
      .def("__hash__", [](const Fiber& f) { return py::hash(py::str(f.str())); })
      .def("__str__", &Fiber::str)
      .def("__repr__", [](const Fiber& f) { return "Fiber('" + f.str() + "')"; })
      .def(py::pickle([](const Fiber& f) { return f.str(); },
                      [](const std::string& text) { return Fiber::parse(text); }));
  py::implicitly_convertible<py::dict, Fiber>();
  py::implicitly_convertible<py::str, Fiber>();
}

void bind_features(py::module_& m) {
  m.def("fiber_of", &fiber_of, py::arg("features"), "The fiber a features dict carries.");
  m.def("check_features", &check_features, py::arg("features"), py::arg("fiber"),
        py::arg("rows") = -1, py::arg("name") = "features",
        "Raises ValueError naming `name` unless the dict has exactly the fiber's degrees, each "
        "[rows, C_l, 2l+1].");
  m.def("flatten_features", &flatten_features, py::arg("features"));
  m.def("unflatten_features", &unflatten_features, py::arg("flat"), py::arg("fiber"));
  m.def(
      "pool_graphs",
      [](const Features& f, const at::Tensor& graph_id, int64_t num_graphs,
         const std::string& mode) {
        return pool_graphs(f, graph_id, num_graphs, parse_pooling(mode));
      },
      py::arg("features"), py::arg("graph_id"), py::arg("num_graphs"), py::arg("mode") = "avg",
      "Average (any degree) or max (degree 0) over the nodes of each graph.");
  m.def("gaussian_radial_basis", &gaussian_radial_basis, py::arg("distance"), py::arg("num_basis"),
        py::arg("r_max"));
}

void bind_kernel_path(py::module_& m) {
  m.def(
      "default_kernel_path", [] { return std::string(kernel_path_name(default_kernel_path())); },
      "\"fused\" (hand-written CPU kernels) or \"reference\" (plain LibTorch composition).");
  m.def(
      "set_default_kernel_path",
      [](const std::string& name) { set_default_kernel_path(parse_kernel_path(name)); },
      py::arg("path"), "The kernels of every layer built with kernel=\"auto\" (the default).");
  m.def(
      "default_radial_precision",
      [] { return std::string(radial_precision_name(default_radial_precision())); },
      "\"float32\" or \"bf16-radial\": the arithmetic of the radial weights on the fused path.");
  m.def(
      "set_default_radial_precision",
      [](const std::string& name) { set_default_radial_precision(parse_radial_precision(name)); },
      py::arg("precision"),
      "\"bf16-radial\": bfloat16 products with float32 sums for the radial weights of float32 "
      "models on the fused path (CPUs with AVX512-BF16; float32 elsewhere).");
  m.def("bf16_radial_available", &bf16_radial_available,
        "Whether this CPU runs the bfloat16 radial kernels (AVX512-BF16).");
}

void bind_geometry(py::module_& m) {
  py::class_<EdgeGeometry>(m, "EdgeGeometry", py::module_local(),
                           "Per-edge quantities every layer shares: distances, radial-MLP "
                           "input and the kernel basis (edge_geometry(graph, max_degree)).")
      .def_readonly("src", &EdgeGeometry::src)
      .def_readonly("dst", &EdgeGeometry::dst)
      .def_readonly("num_nodes", &EdgeGeometry::num_nodes)
      .def_readonly("distance", &EdgeGeometry::distance)
      .def_readonly("radial_input", &EdgeGeometry::radial_input)
      .def_readonly("envelope", &EdgeGeometry::envelope)
      .def_readonly("basis", &EdgeGeometry::basis)
      .def_property_readonly("num_edges", &EdgeGeometry::num_edges)
      .def_property_readonly("edge_dim", &EdgeGeometry::edge_dim)
      .def_property_readonly("max_degree",
                             [](const EdgeGeometry& g) { return g.basis.max_degree_in(); });
  m.def("edge_geometry", &edge_geometry, py::arg("graph"), py::arg("max_degree"),
        py::arg("smooth_cutoff") = 0.0,
        "Validates the graph and builds the shared edge quantities up to max_degree, with the "
        "smooth cutoff envelope when smooth_cutoff > 0 (differentiable in graph.pos).");
}

void bind_layers(py::module_& m) {
  bind_module<LinearSE3Impl>(m, "LinearSE3")
      .def(py::init([](const Fiber& fiber_in, const Fiber& fiber_out, bool bias) {
             return std::make_shared<LinearSE3Impl>(
                 LinearSE3Options(fiber_in, fiber_out).bias(bias));
           }),
           py::arg("fiber_in"), py::arg("fiber_out"), py::arg("bias") = true)
      .def("forward", &LinearSE3Impl::forward, py::arg("features"))
      .def_property_readonly("fiber_in",
                             [](const LinearSE3Impl& s) { return s.options().fiber_in(); })
      .def_property_readonly("fiber_out",
                             [](const LinearSE3Impl& s) { return s.options().fiber_out(); });

  bind_module<NormSE3Impl>(m, "NormSE3")
      .def(py::init([](const Fiber& fiber, double eps) {
             return std::make_shared<NormSE3Impl>(NormSE3Options(fiber).eps(eps));
           }),
           py::arg("fiber"), py::arg("eps") = 1e-12)
      .def("forward", &NormSE3Impl::forward, py::arg("features"))
      .def_property_readonly("fiber_in", [](const NormSE3Impl& s) { return s.options().fiber(); })
      .def_property_readonly("fiber_out", [](const NormSE3Impl& s) { return s.options().fiber(); });

  bind_module<AttentiveSelfInteractionImpl>(m, "AttentiveSelfInteraction")
      .def(py::init([](const Fiber& fiber_in, const Fiber& fiber_out, int64_t hidden) {
             return std::make_shared<AttentiveSelfInteractionImpl>(
                 AttentiveSelfInteractionOptions(fiber_in, fiber_out).hidden(hidden));
           }),
           py::arg("fiber_in"), py::arg("fiber_out"), py::arg("hidden") = 32)
      .def("forward", &AttentiveSelfInteractionImpl::forward, py::arg("features"))
      .def_property_readonly(
          "fiber_in", [](const AttentiveSelfInteractionImpl& s) { return s.options().fiber_in(); })
      .def_property_readonly("fiber_out", [](const AttentiveSelfInteractionImpl& s) {
        return s.options().fiber_out();
      });

  bind_module<ConvSE3Impl>(m, "ConvSE3")
      .def(py::init([](const Fiber& fiber_in, const Fiber& fiber_out, int64_t edge_dim,
                       int64_t radial_hidden, bool self_interaction, const std::string& aggregation,
                       const std::string& kernel) {
             return std::make_shared<ConvSE3Impl>(ConvSE3Options(fiber_in, fiber_out)
                                                      .edge_dim(edge_dim)
                                                      .radial_hidden(radial_hidden)
                                                      .self_interaction(self_interaction)
                                                      .aggregation(parse_aggregation(aggregation))
                                                      .kernel(parse_kernel_path(kernel)));
           }),
           py::arg("fiber_in"), py::arg("fiber_out"), py::arg("edge_dim") = 0,
           py::arg("radial_hidden") = 32, py::arg("self_interaction") = false,
           py::arg("aggregation") = "sum", py::arg("kernel") = "auto")
      .def("forward", &ConvSE3Impl::forward, py::arg("features"), py::arg("geometry"))
      .def("edge_messages", &ConvSE3Impl::edge_messages, py::arg("features"), py::arg("geometry"))
      .def_property_readonly("fiber_in",
                             [](const ConvSE3Impl& s) { return s.options().fiber_in(); })
      .def_property_readonly("fiber_out",
                             [](const ConvSE3Impl& s) { return s.options().fiber_out(); })
      .def_property_readonly("edge_dim",
                             [](const ConvSE3Impl& s) { return s.options().edge_dim(); });

  bind_module<AttentionSE3Impl>(m, "AttentionSE3")
      .def(py::init([](const Fiber& fiber_in, const Fiber& fiber_value, int64_t num_heads,
                       int64_t channels_div, int64_t edge_dim, int64_t radial_hidden,
                       bool uniform_attention, const std::string& kernel) {
             return std::make_shared<AttentionSE3Impl>(AttentionSE3Options(fiber_in, fiber_value)
                                                           .num_heads(num_heads)
                                                           .channels_div(channels_div)
                                                           .edge_dim(edge_dim)
                                                           .radial_hidden(radial_hidden)
                                                           .uniform_attention(uniform_attention)
                                                           .kernel(parse_kernel_path(kernel)));
           }),
           py::arg("fiber_in"), py::arg("fiber_value"), py::arg("num_heads") = 1,
           py::arg("channels_div") = 2, py::arg("edge_dim") = 0, py::arg("radial_hidden") = 32,
           py::arg("uniform_attention") = false, py::arg("kernel") = "auto")
      .def(
          "forward",
          [](AttentionSE3Impl& self, const Features& f, const EdgeGeometry& g) {
            return self.forward(f, g);
          },
          py::arg("features"), py::arg("geometry"))
      .def(
          "forward_with_weights",
          [](AttentionSE3Impl& self, const Features& f, const EdgeGeometry& g) {
            at::Tensor alpha;
            Features out = self.forward(f, g, &alpha);
            return std::make_pair(out, alpha);
          },
          py::arg("features"), py::arg("geometry"),
          "(outputs, attention weights alpha [E, num_heads])")
      .def_property_readonly("fiber_in",
                             [](const AttentionSE3Impl& s) { return s.options().fiber_in(); })
      .def_property_readonly("fiber_out",
                             [](const AttentionSE3Impl& s) { return s.options().fiber_value(); })
      .def_property_readonly("edge_dim",
                             [](const AttentionSE3Impl& s) { return s.options().edge_dim(); });

  bind_module<AttentionBlockSE3Impl>(m, "AttentionBlockSE3")
      .def(py::init([](const Fiber& fiber_in, const Fiber& fiber_out, bool attention,
                       int64_t num_heads, int64_t channels_div, int64_t edge_dim,
                       int64_t radial_hidden, const std::string& skip,
                       const std::string& self_interaction, const std::string& value_layout) {
             return std::make_shared<AttentionBlockSE3Impl>(
                 AttentionBlockSE3Options(fiber_in, fiber_out)
                     .attention(attention)
                     .num_heads(num_heads)
                     .channels_div(channels_div)
                     .edge_dim(edge_dim)
                     .radial_hidden(radial_hidden)
                     .skip(parse_skip(skip))
                     .self_interaction(parse_self_interaction(self_interaction))
                     .value_layout(parse_value_layout(value_layout)));
           }),
           py::arg("fiber_in"), py::arg("fiber_out"), py::arg("attention") = true,
           py::arg("num_heads") = 1, py::arg("channels_div") = 2, py::arg("edge_dim") = 0,
           py::arg("radial_hidden") = 32, py::arg("skip") = "cat",
           py::arg("self_interaction") = "linear", py::arg("value_layout") = "paper")
      .def("forward", &AttentionBlockSE3Impl::forward, py::arg("features"), py::arg("geometry"))
      .def_property_readonly("fiber_in",
                             [](const AttentionBlockSE3Impl& s) { return s.options().fiber_in(); })
      .def_property_readonly("fiber_out",
                             [](const AttentionBlockSE3Impl& s) { return s.options().fiber_out(); })
      .def_property_readonly("edge_dim",
                             [](const AttentionBlockSE3Impl& s) { return s.options().edge_dim(); });
}

}  // namespace

void bind_nn(py::module_& m) {
  bind_fiber(m);
  bind_features(m);
  bind_kernel_path(m);
  bind_geometry(m);
  bind_layers(m);
}

}  // namespace se3t::python

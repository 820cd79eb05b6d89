// Model bindings: SE3Transformer / TensorFieldNetwork with their options, model files
// (save_model / load_model, the files the command line reads and writes), and the molecule
// model and ensembles behind `se3t predict` and the ASE calculator.
#include <ATen/ATen.h>

#include "bindings.h"
#include "se3t/data/molecule_dataset.h"
#include "se3t/models/molecule_ensemble.h"
#include "se3t/models/molecule_model.h"
#include "se3t/models/se3_transformer.h"

namespace se3t::python {
namespace {

void bind_options(py::module_& m) {
  const SE3TransformerOptions d;
  py::class_<SE3TransformerOptions>(m, "SE3TransformerOptions", py::module_local(),
                                    "Settings of SE3Transformer and TensorFieldNetwork.")
      .def(py::init([](const Fiber& fiber_in, const Fiber& fiber_hidden, const Fiber& fiber_out,
                       int64_t num_layers, int64_t num_heads, int64_t channels_div,
                       int64_t radial_hidden, int64_t edge_dim, const std::string& self_interaction,
                       const std::string& skip, bool norm, const std::string& pooling,
                       bool attention, const std::string& value_layout,
                       const std::string& activation) {
             SE3TransformerOptions o;
             o.fiber_in = fiber_in;
             o.fiber_hidden = fiber_hidden;
             o.fiber_out = fiber_out;
             o.num_layers = num_layers;
             o.num_heads = num_heads;
             o.channels_div = channels_div;
             o.radial_hidden = radial_hidden;
             o.edge_dim = edge_dim;
             o.self_interaction = parse_self_interaction(self_interaction);
             o.skip = parse_skip(skip);
             o.norm = norm;
             o.pooling = parse_pooling(pooling);
             o.attention = attention;
             o.value_layout = parse_value_layout(value_layout);
             o.activation = parse_activation(activation, "SE3TransformerOptions");
             o.validate();
             return o;
           }),
           py::arg("fiber_in") = d.fiber_in, py::arg("fiber_hidden") = d.fiber_hidden,
           py::arg("fiber_out") = d.fiber_out, py::arg("num_layers") = d.num_layers,
           py::arg("num_heads") = d.num_heads, py::arg("channels_div") = d.channels_div,
           py::arg("radial_hidden") = d.radial_hidden, py::arg("edge_dim") = d.edge_dim,
           py::arg("self_interaction") = to_string(d.self_interaction),
           py::arg("skip") = to_string(d.skip), py::arg("norm") = d.norm,
           py::arg("pooling") = to_string(d.pooling), py::arg("attention") = d.attention,
           py::arg("value_layout") = to_string(d.value_layout),
           py::arg("activation") = to_string(d.activation))
      .def_readwrite("fiber_in", &SE3TransformerOptions::fiber_in)
      .def_readwrite("fiber_hidden", &SE3TransformerOptions::fiber_hidden)
      .def_readwrite("fiber_out", &SE3TransformerOptions::fiber_out)
      .def_readwrite("num_layers", &SE3TransformerOptions::num_layers)
      .def_readwrite("num_heads", &SE3TransformerOptions::num_heads)
      .def_readwrite("channels_div", &SE3TransformerOptions::channels_div)
      .def_readwrite("radial_hidden", &SE3TransformerOptions::radial_hidden)
      .def_readwrite("edge_dim", &SE3TransformerOptions::edge_dim)
      .def_readwrite("norm", &SE3TransformerOptions::norm)
      .def_readwrite("attention", &SE3TransformerOptions::attention)
      .def_property(
          "self_interaction",
          [](const SE3TransformerOptions& o) { return to_string(o.self_interaction); },
          [](SE3TransformerOptions& o, const std::string& s) {
            o.self_interaction = parse_self_interaction(s);
          })
      .def_property(
          "activation", [](const SE3TransformerOptions& o) { return to_string(o.activation); },
          [](SE3TransformerOptions& o, const std::string& s) {
            o.activation = parse_activation(s, "SE3TransformerOptions");
          })
      .def_property(
          "skip", [](const SE3TransformerOptions& o) { return to_string(o.skip); },
          [](SE3TransformerOptions& o, const std::string& s) { o.skip = parse_skip(s); })
      .def_property(
          "value_layout", [](const SE3TransformerOptions& o) { return to_string(o.value_layout); },
          [](SE3TransformerOptions& o, const std::string& s) {
            o.value_layout = parse_value_layout(s);
          })
      .def_property(
          "pooling", [](const SE3TransformerOptions& o) { return to_string(o.pooling); },
          [](SE3TransformerOptions& o, const std::string& s) { o.pooling = parse_pooling(s); })
      .def_property_readonly("max_degree", &SE3TransformerOptions::max_degree)
      .def("validate", &SE3TransformerOptions::validate)
      .def("to_text", &SE3TransformerOptions::to_text)
      .def_static("from_text", &SE3TransformerOptions::from_text, py::arg("text"))
      .def("__eq__", [](const SE3TransformerOptions& a,
                        const SE3TransformerOptions& b) { return a.to_text() == b.to_text(); })
      .def("__repr__",
           [](const SE3TransformerOptions& o) {
             return "SE3TransformerOptions(\n" + o.to_text() + ")";
           })
      .def(py::pickle([](const SE3TransformerOptions& o) { return o.to_text(); },
                      [](const std::string& t) { return SE3TransformerOptions::from_text(t); }));
}

void bind_transformer(py::module_& m) {
  bind_module<SE3TransformerImpl>(m, "SE3Transformer")
      .def(py::init([](const SE3TransformerOptions& o) -> std::shared_ptr<SE3TransformerImpl> {
             if (!o.attention) return std::make_shared<TensorFieldNetworkImpl>(o);
             return std::make_shared<SE3TransformerImpl>(o);
           }),
           py::arg("options"))
      .def("forward", &SE3TransformerImpl::forward, py::arg("graph"), py::arg("features"))
      .def_property_readonly("options", &SE3TransformerImpl::options);
  m.def("save_model", &save_model, py::arg("model"), py::arg("path"),
        "Writes the options and parameters (atomically); load_model and the command line read "
        "it.");
  m.def(
      "load_model", [](const std::string& path) { return load_model(path).ptr(); }, py::arg("path"),
      "The network of a model file: a save_model file or an N-body training checkpoint.");
}

void bind_molecules(py::module_& m) {
  py::class_<MoleculeBatch>(m, "MoleculeBatch", py::module_local())
      .def_readonly("graph", &MoleculeBatch::graph)
      .def_readonly("one_hot", &MoleculeBatch::one_hot)
      .def_readonly("counts", &MoleculeBatch::counts)
      .def_readonly("energy", &MoleculeBatch::energy)
      .def_property_readonly("forces",
                             [](const MoleculeBatch& b) -> std::optional<at::Tensor> {
                               if (!b.forces.defined()) return std::nullopt;
                               return b.forces;
                             })
      .def_readonly("indices", &MoleculeBatch::indices);

  bind_module<MoleculeModelImpl>(m, "MoleculeModel")
      .def("forward", &MoleculeModelImpl::forward, py::arg("batch"),
           "The standardised prediction y [G] (differentiable).")
      .def("energy", &MoleculeModelImpl::energy, py::arg("batch"), "E in data units, [G] float64.")
      .def(
          "energy_and_forces",
          [](MoleculeModelImpl& self, const MoleculeBatch& b, bool create_graph) {
            EnergyForces ef;
            {
              // Forces run the autograd engine, which must not hold the GIL.
              py::gil_scoped_release no_gil;
              ef = self.energy_and_forces(b, create_graph);
            }
            return std::make_pair(ef.energy, ef.forces);
          },
          py::arg("batch"), py::arg("create_graph") = false, "(E [G], F = -dE/dx [N, 3])")
      .def(
          "batch",
          [](const MoleculeModelImpl& self, const std::vector<Molecule>& molecules,
             std::optional<std::vector<int64_t>> indices) {
            std::vector<int64_t> all;
            if (!indices) {
              for (size_t i = 0; i < molecules.size(); ++i) all.push_back(int64_t(i));
            }
            return self.batch(molecules, indices ? *indices : all);
          },
          py::arg("molecules"), py::arg("indices") = py::none(),
          "A batch built as the model was trained (vocabulary, cutoff, dtype).")
      .def_property_readonly("options_text",
                             [](const MoleculeModelImpl& s) { return s.options().to_text(); })
      .def_property_readonly("elements",
                             [](const MoleculeModelImpl& s) { return s.vocabulary().numbers(); })
      .def_property_readonly("network", [](MoleculeModelImpl& s) { return s.network().ptr(); });
  m.def(
      "load_molecule_model",
      [](const std::string& path) { return load_molecule_model(path).ptr(); }, py::arg("path"),
      "A molecule run's checkpoint.pt or best_model.pt.");
  m.def("save_molecule_model", &save_molecule_model, py::arg("model"), py::arg("path"));

  py::class_<MoleculeEnsemble>(m, "MoleculeEnsemble", py::module_local(),
                               "The mean of several molecule models (se3t predict).")
      .def(py::init(&load_molecule_ensemble), py::arg("paths"))
      .def_property_readonly("size", &MoleculeEnsemble::size)
      .def(
          "predict",
          [](const MoleculeEnsemble& self, const std::vector<Molecule>& molecules, bool forces,
             std::optional<std::vector<int64_t>> indices, bool stress) {
            std::vector<int64_t> all;
            if (!indices) {
              for (size_t i = 0; i < molecules.size(); ++i) all.push_back(int64_t(i));
            }
            EnsemblePrediction p;
            {
              py::gil_scoped_release no_gil;  // forces run the autograd engine
              p = self.predict(molecules, indices ? *indices : all, forces, "<python>", stress);
            }
            py::dict d;
            d["energy"] = p.energy;
            d["energy_std"] = p.energy_std;
            d["forces"] = p.forces.defined() ? py::cast(p.forces) : py::none();
            d["stress"] = p.stress.defined() ? py::cast(p.stress) : py::none();
            return d;
          },
          py::arg("molecules"), py::arg("forces") = false, py::arg("indices") = py::none(),
          py::arg("stress") = false,
          "{'energy': [G], 'energy_std': [G], 'forces': [N, 3] or None, 'stress': [G, 6] Voigt "
          "(ASE's convention, zero rows for non-periodic molecules) or None}, float64, data "
          "units.");
}

}  // namespace

void bind_models(py::module_& m) {
  bind_options(m);
  bind_transformer(m);
  bind_molecules(m);
}

}  // namespace se3t::python

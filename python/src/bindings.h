// Shared pieces of the Python extension _se3t: one bind_* function per area (a file each), and
// the binding of a C++ module type with what the Python wrappers of python/se3t/modules.py read
// from it (its parameter and buffer tensors, its training mode).
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/csrc/utils/pybind.h>
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace se3t::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_so3(py::module_& m);
void bind_graph(py::module_& m);
void bind_nn(py::module_& m);
void bind_models(py::module_& m);
void bind_data(py::module_& m);
void bind_train(py::module_& m);
void bind_bench(py::module_& m);

// A torch.dtype (or None: `fallback`) as an ATen scalar type; ValueError naming `name` for
// anything else.
at::ScalarType to_dtype(const py::handle& dtype, const char* name, at::ScalarType fallback);

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// The module's tensors with their dotted names (as torch::nn::Module::named_parameters).
NamedTensors named_parameters(torch::nn::Module& module);
NamedTensors named_buffers(torch::nn::Module& module);

// Binds a C++ module type as an opaque handle (py::module_local: no other extension sees it)
// with the methods every Python wrapper needs. Forward and options are bound by the caller.
template <typename Impl>
py::class_<Impl, std::shared_ptr<Impl>> bind_module(py::module_& m, const char* name) {
  py::class_<Impl, std::shared_ptr<Impl>> c(m, name, py::module_local());
  c.def("named_parameters", [](Impl& self) { return named_parameters(self); })
      .def("named_buffers", [](Impl& self) { return named_buffers(self); })
      .def(
          "train", [](Impl& self, bool mode) { self.train(mode); }, py::arg("mode") = true)
      .def_property_readonly("training", [](const Impl& self) { return self.is_training(); })
      .def("__repr__", [name](const Impl& self) {
        return std::string("<se3t C++ ") + name + (self.is_training() ? " (train)>" : " (eval)>");
      });
  return c;
}

}  // namespace se3t::python

// Helpers every binding file shares: dtypes from Python, the tensors of a C++ module.
#include <torch/csrc/Dtype.h>

#include "bindings.h"
#include "se3t/util/check.h"

namespace se3t::python {

at::ScalarType to_dtype(const py::handle& dtype, const char* name, at::ScalarType fallback) {
  if (dtype.is_none()) return fallback;
  if (!THPDtype_Check(dtype.ptr())) {
    throw se3t::Error(std::string("se3t: ") + name + ": expected a torch.dtype, got " +
                      std::string(py::str(py::type::of(dtype).attr("__name__"))));
  }
  return reinterpret_cast<THPDtype*>(dtype.ptr())->scalar_type;
}

NamedTensors named_parameters(torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  return out;
}

NamedTensors named_buffers(torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  return out;
}

}  // namespace se3t::python

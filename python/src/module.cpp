// The extension module _se3t: the bindings of every area. `import se3t` (python/se3t) imports
// torch first, so torch's types and casters are ready before this module loads.
#include "bindings.h"

PYBIND11_MODULE(_se3t, m) {
  m.doc() = "se3t's C++ engine (SE(3)-Transformers on LibTorch); use it through `import se3t`";
  se3t::python::bind_errors(m);
  se3t::python::bind_so3(m);
  se3t::python::bind_graph(m);
  se3t::python::bind_nn(m);
  se3t::python::bind_models(m);
  se3t::python::bind_data(m);
  se3t::python::bind_train(m);
  se3t::python::bind_bench(m);
}

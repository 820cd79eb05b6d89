// The benchmark workloads from Python, and a forward+backward step timed in C++ on the same
// model object, for bench/python_vs_cpp.py (the bindings' overhead as a ratio).
#include <ATen/ATen.h>

#include <chrono>

#include "bindings.h"
#include "se3t/bench/workloads.h"
#include "se3t/util/runtime.h"

namespace se3t::python {

void bind_bench(py::module_& m) {
  m.def("blas_kernels", &blas_kernels, "The BLAS kernels in use, e.g. 'OpenBLAS SkylakeX'.");
  m.def("better_blas_coretype", &better_blas_coretype,
        "The OPENBLAS_CORETYPE the se3t program would restart itself with ('' when none): "
        "OpenBLAS 0.3.21 gives CPUs newer than itself its generic Prescott kernels. The "
        "variable is read when OpenBLAS loads, so set it before starting Python.");
  m.def(
      "bench_workload",
      [](const std::string& name, int64_t batch, uint64_t seed) {
        const bench::Workload w = bench::make_workload(name, bench::kDefaultPdb, batch, seed);
        py::dict d;
        d["name"] = w.name;
        d["description"] = w.description;
        d["options"] = w.options;
        d["graph"] = w.build_graph();
        d["features"] = w.features;
        return d;
      },
      py::arg("name"), py::arg("batch") = 0, py::arg("seed") = 0,
      "A named workload of `se3t bench`: options, its graph and node features.");
  m.def(
      "bench_step_cpp",
      [](SE3TransformerImpl& model, const GraphBatch& graph, const Features& features) {
        // As `se3t bench` times a training step: forward, the sum of squared outputs, backward.
        double ms = 0.0, loss_value = 0.0;
        {
          py::gil_scoped_release no_gil;  // backward runs the autograd engine
          const auto t0 = std::chrono::steady_clock::now();
          at::Tensor loss = at::zeros({}, graph.pos.options());
          for (const auto& [l, t] : model.forward(graph, features)) loss = loss + t.pow(2).sum();
          loss.backward();
          ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                   .count();
          loss_value = loss.item<double>();
        }
        return std::make_pair(ms, loss_value);
      },
      py::arg("model"), py::arg("graph"), py::arg("features"),
      "(milliseconds, loss) of one forward + backward step run in C++.");
}

}  // namespace se3t::python

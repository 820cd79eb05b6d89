// The training engine from Python: se3t.train(config) is `se3t train` (the one fit() loop of
// every task, its files and checkpoints), and show_config its --show-config listing.
#include "bindings.h"
#include "se3t/tasks/registry.h"
#include "se3t/train/fit.h"

namespace se3t::python {

void bind_train(py::module_& m) {
  m.def(
      "train",
      [](const std::string& config, const std::string& out, const std::string& data, int64_t epochs,
         int64_t threads, std::optional<uint64_t> seed, bool resume, bool overwrite, bool verbose) {
        const std::unique_ptr<Task> task = load_task(config);
        FitOptions fo;
        fo.resume = resume;
        fo.overwrite = overwrite;
        fo.out_dir = out;
        fo.data = data;
        fo.epochs = epochs;
        fo.threads = threads;
        fo.seed = seed;
        fo.verbose = verbose;
        FitResult r;
        {
          py::gil_scoped_release no_gil;
          r = fit(*task, fo);
        }
        py::dict d;
        d["task"] = task->config().task();
        d["out_dir"] = r.out_dir;
        d["interrupted"] = r.interrupted;
        d["epochs"] = r.epochs_done;
        d["steps"] = r.steps;
        d["threads"] = r.threads;
        d["wall_s"] = r.wall_s;
        d["checkpoint"] = r.checkpoint;
        d["test_model"] = r.test_model;
        d["test"] = r.test.count > 0 ? py::module_::import("json").attr("loads")(r.test.json)
                                     : py::object(py::none());
        py::list losses;
        for (const EpochRecord& e : r.history) losses.append(e.train_loss);
        d["train_loss"] = losses;
        return d;
      },
      py::arg("config"), py::arg("out") = "", py::arg("data") = "", py::arg("epochs") = -1,
      py::arg("threads") = -1, py::arg("seed") = py::none(), py::arg("resume") = false,
      py::arg("overwrite") = false, py::arg("verbose") = false,
      "Trains the task of a TOML config as `se3t train` does (same files, checkpoints and "
      "overrides); returns a summary dict.");
  m.def(
      "show_config", [](const std::string& task) { return default_config(task)->describe(); },
      py::arg("task"), "Every config key of a task with its default and meaning.");
  m.def("task_names", &task_names);
}

}  // namespace se3t::python

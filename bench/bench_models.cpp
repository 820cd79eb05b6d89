// Forward and forward+backward time of whole models on the named workloads, the same
// definitions `se3t bench` uses (se3t/bench/workloads.h; docs/design.md, Benchmarks):
//   qm9:     7 attention layers, degrees 0-3, 32 channels, 8 heads, 32 molecules x 18 atoms,
//            fully connected;
//   nbody:   4 layers, degrees 0-3, 16 channels, 2 heads, 100 systems x 5 particles;
//   protein: 4 layers, degrees 0-2, 16 channels, 4 heads, 1a5z_A (2,415 atoms), k = 16
//            (registered when theseus-examples is installed).
// The graph is built once (`se3t bench` times graph building on its own). Peak resident
// memory (VmHWM, the whole process so far) is reported as a counter.
// Threads: --threads N (default 1). OpenBLAS is kept at one thread so it does not fight
// ATen's OpenMP pool for the two cores.
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "se3t/bench/workloads.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/util/runtime.h"

namespace {

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

void run(benchmark::State& state, const std::string& name, bool backward) {
  const se3t::bench::Workload w = se3t::bench::make_workload(name);
  se3t::SE3Transformer model(w.options);
  const se3t::Features& f = w.features;
  const se3t::GraphBatch g = w.build_graph();
  for (auto _ : state) {
    se3t::Features out = model->forward(g, f);
    if (backward) {
      at::Tensor loss = at::zeros({});
      for (const auto& [l, t] : out) loss = loss + t.pow(2).sum();
      loss.backward();
    }
    benchmark::DoNotOptimize(out);
  }
  state.counters["edges"] = static_cast<double>(g.num_edges());
  state.counters["edges_per_s"] = benchmark::Counter(static_cast<double>(g.num_edges()),
                                                     benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_MB"] = peak_rss_mb();
  state.counters["threads"] = at::get_num_threads();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--threads=", 0) == 0) threads = std::stoi(a.substr(10));
  }
  se3t::configure_runtime(threads);
  for (const std::string& name : se3t::bench::workload_names()) {
    if (name == "protein" && !std::filesystem::exists(se3t::bench::kDefaultPdb)) continue;
    benchmark::RegisterBenchmark(("forward/" + name).c_str(),
                                 [name](benchmark::State& s) { run(s, name, false); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("forward_backward/" + name).c_str(),
                                 [name](benchmark::State& s) { run(s, name, true); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  // Drop our own flag before Google Benchmark parses the rest.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]).rfind("--threads=", 0) != 0) args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

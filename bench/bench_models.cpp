// Forward and forward+backward time of whole models on the two configurations:
//   qm9:   7 attention layers, degrees 0-3, 32 channels, 8 heads, 32 molecules x 18 atoms,
//          fully connected;
//   nbody: 4 layers, degrees 0-3, 16 channels, 2 heads, 100 systems x 5 particles.
// Peak resident memory (VmHWM, the whole process so far) is reported as a counter.
// Threads: --threads N (default 1). OpenBLAS is kept at one thread so it does not fight
// ATen's OpenMP pool for the two cores.
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "se3t/graph/neighbourhood.h"
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

struct Workload {
  se3t::SE3TransformerOptions options;
  int64_t graphs, nodes;
};

Workload workload(const std::string& name) {
  Workload w;
  auto& o = w.options;
  o.fiber_in = se3t::Fiber{{0, 6}};
  o.fiber_out = se3t::Fiber{{0, 1}};
  if (name == "qm9") {
    o.fiber_hidden = se3t::Fiber::uniform(3, 32);
    o.num_layers = 7;
    o.num_heads = 8;
    o.pooling = se3t::Pooling::kMax;
    w.graphs = 32;
    w.nodes = 18;
  } else {
    o.fiber_in = se3t::Fiber{{0, 1}, {1, 1}};
    o.fiber_hidden = se3t::Fiber::uniform(3, 16);
    o.fiber_out = se3t::Fiber{{1, 2}};
    o.num_layers = 4;
    o.num_heads = 2;
    o.edge_dim = 1;
    w.graphs = 100;
    w.nodes = 5;
  }
  return w;
}

void run(benchmark::State& state, const std::string& name, bool backward) {
  const Workload w = workload(name);
  se3t::SE3Transformer model(w.options);
  const int64_t n = w.graphs * w.nodes;
  const at::Tensor gid = at::arange(w.graphs, at::kLong).repeat_interleave(w.nodes);
  se3t::GraphBatch g = se3t::fully_connected_graph(at::randn({n, 3}) * 2, gid, w.graphs);
  if (w.options.edge_dim > 0) g.edge_attr = at::randn({g.num_edges(), w.options.edge_dim});
  se3t::Features f;
  for (const auto& [l, c] : w.options.fiber_in.entries()) f[l] = at::randn({n, c, 2 * l + 1});
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
  for (const std::string name : {"nbody", "qm9"}) {
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

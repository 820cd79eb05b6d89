// Reference vs fused kernel path for one layer, forward and forward+backward:
//   conv/<size>/<path>, attention/<size>/<path>: one ConvSE3 / AttentionSE3 layer;
//   kernel/<size>/<path>: the radial-weight contraction alone, for the largest output degree;
//   kernel/forces/<size>/<path>: the same with a loss on its gradients (force training);
//   softmax/<size>/<path>: the segment softmax + weighted sum of attention alone.
// Sizes: qm9 (32 molecules x 18 atoms fully connected, degrees 0-3, 32 channels, 8 heads) and
// protein (2,000 random atoms, k = 16 nearest, degrees 0-2, 16 channels, 4 heads).
// The edge basis is built once outside the timed loop (positions need no gradient).
//   bench_kernels [--threads=N] [--benchmark_filter=...]
// Counters: GFLOPs from the explicit FLOP counts of the layers (profiler::add_flops; a
// forward+backward counts 3 forwards), contraction_GFLOPs = the kContraction phase's FLOPs over
// its exclusive time (forward only), peak_rss_MB = VmHWM of the process so far (run one
// path per process with --benchmark_filter to compare memory).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <torch/autograd.h>
#include <torch/utils.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "kernels/radial_contraction.h"
#include "kernels/segment_attention.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/attention_se3.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/edge_geometry.h"
#include "se3t/nn/kernel_path.h"
#include "se3t/util/profiler.h"
#include "se3t/util/runtime.h"

namespace {

using se3t::Features;
using se3t::Fiber;
using se3t::KernelPath;
namespace profiler = se3t::profiler;

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

struct Size {
  std::string name;
  int64_t max_degree, channels, heads;
};
const Size kQm9{"qm9", 3, 32, 8};
const Size kProtein{"protein", 2, 16, 4};

se3t::GraphBatch make_graph(const Size& size) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  if (size.name == "qm9") {
    const at::Tensor pos = at::randn({32 * 18, 3}, gen) * 1.5;
    const at::Tensor ids = at::arange(32, at::kLong).repeat_interleave(18);
    return se3t::fully_connected_graph(pos, ids, 32);
  }
  // ~ protein density: 2,000 atoms in a 27 A cube.
  const at::Tensor pos = at::rand({2000, 3}, gen) * 27.0;
  return se3t::knn_graph(pos, at::zeros({2000}, at::kLong), 1, 16);
}

Features make_features(const Fiber& fiber, int64_t rows) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  Features f;
  for (const auto& [l, c] : fiber.entries()) f[l] = at::randn({rows, c, 2 * l + 1}, gen);
  return f;
}

// FLOPs of one forward pass by the layers' own explicit counts.
double forward_flops(const std::function<Features()>& forward) {
  torch::NoGradGuard no_grad;
  profiler::reset();
  profiler::set_enabled(true);
  forward();
  profiler::set_enabled(false);
  double total = 0;
  for (double f : profiler::totals().flops) total += f;
  return total;
}

void set_counters(benchmark::State& state, double flops, bool backward, int64_t edges) {
  state.counters["GFLOPs"] = benchmark::Counter(flops * (backward ? 3.0 : 1.0) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["edges"] = double(edges);
  state.counters["peak_rss_MB"] = peak_rss_mb();
  state.counters["threads"] = at::get_num_threads();
}

void loop(benchmark::State& state, const std::function<Features()>& forward,
          const std::vector<at::Tensor>& inputs, bool backward) {
  // Forward-only runs are profiled to report the contraction phase's own rate.
  if (!backward) {
    profiler::reset();
    profiler::set_enabled(true);
  }
  for (auto _ : state) {
    if (backward) {
      Features out = forward();
      at::Tensor loss = at::zeros({});
      for (const auto& [l, t] : out) loss = loss + t.pow(2).sum();
      loss.backward();
      for (const auto& x : inputs) x.mutable_grad().reset();
    } else {
      torch::NoGradGuard no_grad;
      Features out = forward();
      benchmark::DoNotOptimize(out);
    }
  }
  if (!backward) {
    profiler::set_enabled(false);
    const auto t = profiler::totals();
    const auto c = static_cast<size_t>(profiler::Phase::kContraction);
    state.counters["contraction_GFLOPs"] = t.seconds[c] > 0 ? t.flops[c] / t.seconds[c] * 1e-9 : 0;
  }
}

void layer_bench(benchmark::State& state, const Size& size, bool attention, KernelPath path,
                 bool backward) {
  se3t::set_default_kernel_path(path);
  const se3t::GraphBatch g = make_graph(size);
  const se3t::EdgeGeometry geo = se3t::edge_geometry(g, size.max_degree);
  const Fiber fiber = Fiber::uniform(size.max_degree, size.channels);
  Features f = make_features(fiber, g.num_nodes());
  std::vector<at::Tensor> inputs;
  for (auto& [l, t] : f) inputs.push_back(t.requires_grad_());
  std::function<Features()> forward;
  std::shared_ptr<torch::nn::Module> module;
  if (attention) {
    se3t::AttentionSE3 att(se3t::AttentionSE3Options(fiber, fiber).num_heads(size.heads));
    module = att.ptr();
    forward = [att, &f, &geo]() mutable { return att->forward(f, geo); };
  } else {
    se3t::ConvSE3 conv(se3t::ConvSE3Options(fiber, fiber));
    module = conv.ptr();
    forward = [conv, &f, &geo]() mutable { return conv->forward(f, geo); };
  }
  for (const auto& p : module->parameters()) inputs.push_back(p);
  const double flops = forward_flops(forward);
  loop(state, forward, inputs, backward);
  set_counters(state, flops, backward, g.num_edges());
}

// The kernel alone at the layer's largest output degree l = max_degree, all input degrees:
// cols = C sum_k (2 min(k, l) + 1), M = 2l + 1.
// bf16: the fused kernel with bfloat16 radial products (kernels::RadialArithmetic::kBFloat16).
void kernel_bench(benchmark::State& state, const Size& size, KernelPath path, bool backward,
                  bool bf16 = false) {
  const se3t::GraphBatch g = make_graph(size);
  const int64_t E = g.num_edges(), H = 32, C = size.channels, l = size.max_degree;
  int64_t cols = 0;
  for (int64_t k = 0; k <= size.max_degree; ++k) cols += C * (2 * std::min(k, l) + 1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor h = at::rand({E, H}, gen).requires_grad_(backward);
  const at::Tensor X = at::randn({E, cols, 2 * l + 1}, gen).requires_grad_(backward);
  const at::Tensor W = (at::randn({C * cols, H}, gen) * 0.1).requires_grad_(backward);
  const at::Tensor b = at::zeros({C * cols}).requires_grad_(backward);
  const auto arithmetic =
      bf16 ? se3t::kernels::RadialArithmetic::kBFloat16 : se3t::kernels::RadialArithmetic::kExact;
  for (auto _ : state) {
    at::Tensor out = path == KernelPath::kFused
                         ? se3t::kernels::radial_contraction(h, X, W, b, C, arithmetic)
                         : se3t::kernels::radial_contraction_reference(h, X, W, b, C);
    if (backward) {
      out.backward(at::ones_like(out));
      for (const auto* x : {&h, &X, &W, &b}) x->mutable_grad().reset();
    }
    benchmark::DoNotOptimize(out);
  }
  const double flops = se3t::kernels::radial_contraction_flops(E, H, C, cols, 2 * l + 1);
  set_counters(state, flops, backward, E);
}

// The kernel as force training uses it: the gradients wrt its geometry-dependent inputs (X
// from the basis, h from the distances) are recorded, and a loss on them is differentiated.
void kernel_forces_bench(benchmark::State& state, const Size& size, KernelPath path) {
  const se3t::GraphBatch g = make_graph(size);
  const int64_t E = g.num_edges(), H = 32, C = size.channels, l = size.max_degree;
  int64_t cols = 0;
  for (int64_t k = 0; k <= size.max_degree; ++k) cols += C * (2 * std::min(k, l) + 1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor h = at::rand({E, H}, gen).requires_grad_();
  const at::Tensor X = at::randn({E, cols, 2 * l + 1}, gen).requires_grad_();
  const at::Tensor W = (at::randn({C * cols, H}, gen) * 0.1).requires_grad_();
  const at::Tensor b = at::zeros({C * cols}).requires_grad_();
  for (auto _ : state) {
    const at::Tensor out = path == KernelPath::kFused
                               ? se3t::kernels::radial_contraction(h, X, W, b, C)
                               : se3t::kernels::radial_contraction_reference(h, X, W, b, C);
    const auto d = torch::autograd::grad({out.pow(2).sum()}, {X, h}, {}, true, true);
    (d[0].pow(2).sum() + d[1].pow(2).sum()).backward();
    for (const auto* x : {&h, &X, &W, &b}) x->mutable_grad().reset();
  }
  const double flops = se3t::kernels::radial_contraction_flops(E, H, C, cols, 2 * l + 1);
  set_counters(state, flops, true, E);
}

// Segment softmax + weighted sum alone, at the attention layer's sizes: per head, keys of
// (C / channels_div / H) sum_l (2l+1) and values of (C / H) sum_l (2l+1) numbers.
void softmax_bench(benchmark::State& state, const Size& size, KernelPath path, bool backward) {
  const se3t::GraphBatch g = make_graph(size);
  const int64_t N = g.num_nodes(), E = g.num_edges(), H = size.heads;
  const int64_t dims = (size.max_degree + 1) * (size.max_degree + 1);
  const int64_t D = size.channels / 2 / H * dims, M = size.channels / H * dims;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor q = at::randn({N, H, D}, gen).requires_grad_(backward);
  const at::Tensor k = at::randn({E, H, D}, gen).requires_grad_(backward);
  const at::Tensor v = at::randn({E, H, M}, gen).requires_grad_(backward);
  const auto op = path == KernelPath::kFused ? se3t::kernels::segment_attention
                                             : se3t::kernels::segment_attention_reference;
  const double scale = 1.0 / std::sqrt(double(D));
  for (auto _ : state) {
    const se3t::kernels::SegmentAttention r = op(q, k, v, g.dst, scale);
    if (backward) {
      r.out.backward(at::ones_like(r.out));
      for (const auto* x : {&q, &k, &v}) x->mutable_grad().reset();
    }
    benchmark::DoNotOptimize(r.out);
  }
  state.counters["edges"] = double(E);
  state.counters["peak_rss_MB"] = peak_rss_mb();
}

// Whole models, the qm9 and nbody workloads' settings (as se3t/bench/workloads.h defines them):
// qm9 = 7 attention layers, degrees 0-3, 32 channels, 8 heads, `molecules` x 18 atoms fully
// connected; nbody = 4 layers, degrees 0-3, 16 channels, 2 heads, 100 x 5, edge attribute.
void model_bench(benchmark::State& state, const std::string& name, int64_t graphs, KernelPath path,
                 bool backward) {
  se3t::set_default_kernel_path(path);
  const bool qm9 = name == "qm9";
  se3t::SE3TransformerOptions o;
  o.fiber_in = qm9 ? Fiber{{0, 6}} : Fiber{{0, 1}, {1, 1}};
  o.fiber_hidden = Fiber::uniform(3, qm9 ? 32 : 16);
  o.fiber_out = qm9 ? Fiber{{0, 1}} : Fiber{{1, 2}};
  o.num_layers = qm9 ? 7 : 4;
  o.num_heads = qm9 ? 8 : 2;
  o.edge_dim = qm9 ? 0 : 1;
  if (qm9) o.pooling = se3t::Pooling::kMax;
  const int64_t atoms = qm9 ? 18 : 5;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const at::Tensor pos = at::randn({graphs * atoms, 3}, gen) * (qm9 ? 1.5 : 2.0);
  se3t::GraphBatch g = se3t::fully_connected_graph(
      pos, at::arange(graphs, at::kLong).repeat_interleave(atoms), graphs);
  if (!qm9) g.edge_attr = at::randn({g.num_edges(), 1}, gen);
  const Features f = make_features(o.fiber_in, g.num_nodes());
  se3t::SE3Transformer model(o);
  std::vector<at::Tensor> inputs = model->parameters();
  const std::function<Features()> forward = [&]() { return model->forward(g, f); };
  const double flops = forward_flops(forward);
  loop(state, forward, inputs, backward);
  set_counters(state, flops, backward, g.num_edges());
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--threads=", 0) == 0)
      threads = std::stoi(a.substr(10));
    else
      args.push_back(argv[i]);
  }
  se3t::configure_runtime(threads);
  for (const Size& size : {kQm9, kProtein}) {
    for (const bool backward : {false, true}) {
      const std::string pass = backward ? "forward_backward" : "forward";
      for (const KernelPath path : {KernelPath::kReference, KernelPath::kFused}) {
        const std::string suffix = "/" + size.name + "/" + se3t::kernel_path_name(path);
        benchmark::RegisterBenchmark(
            ("kernel/" + pass + suffix).c_str(),
            [=](benchmark::State& s) { kernel_bench(s, size, path, backward); })
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
        if (path == KernelPath::kFused && se3t::kernels::bf16_radial_supported()) {
          benchmark::RegisterBenchmark(
              ("kernel/" + pass + suffix + "-bf16").c_str(),
              [=](benchmark::State& s) { kernel_bench(s, size, path, backward, true); })
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
        if (backward) {
          benchmark::RegisterBenchmark(
              ("kernel/forces" + suffix).c_str(),
              [=](benchmark::State& s) { kernel_forces_bench(s, size, path); })
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
        benchmark::RegisterBenchmark(
            ("softmax/" + pass + suffix).c_str(),
            [=](benchmark::State& s) { softmax_bench(s, size, path, backward); })
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
        for (const bool attention : {false, true}) {
          const std::string layer = attention ? "attention/" : "conv/";
          benchmark::RegisterBenchmark(
              (layer + pass + suffix).c_str(),
              [=](benchmark::State& s) { layer_bench(s, size, attention, path, backward); })
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
      }
    }
  }
  // qm9's reference forward+backward keeps every layer's radial weights (~2.6 GB per layer at
  // 32 molecules) for the backward, so the model comparison also runs at 8 molecules and that case
  // is not registered at 32.
  for (const auto& [name, graphs] :
       std::vector<std::pair<std::string, int64_t>>{{"qm9", 8}, {"qm9", 32}, {"nbody", 100}}) {
    for (const bool backward : {false, true}) {
      for (const KernelPath path : {KernelPath::kReference, KernelPath::kFused}) {
        // ~18 GB of saved radial weights: more than the development machine has.
        if (graphs == 32 && backward && path == KernelPath::kReference) continue;
        const std::string label = std::string("model/") +
                                  (backward ? "forward_backward/" : "forward/") + name + "_" +
                                  std::to_string(graphs) + "/" + se3t::kernel_path_name(path);
        benchmark::RegisterBenchmark(
            label.c_str(),
            [=](benchmark::State& s) { model_bench(s, name, graphs, path, backward); })
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

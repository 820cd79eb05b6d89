#include "se3t/bench/runner.h"
#include "se3t/util/runtime.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <torch/autograd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "se3t/nn/conv_se3.h"
#include "se3t/nn/kernel_path.h"
#include "se3t/nn/radial_precision.h"
#include "se3t/so3/equivariant_basis.h"
#include "se3t/util/check.h"
#include "se3t/util/fma_peak.h"
#include "se3t/util/json.h"

namespace se3t::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// A "kB" field of /proc/self/status or /proc/meminfo, in MiB; -1 when absent.
double proc_field_mb(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(key.size())) / 1024.0;
  }
  return -1;
}

// Returns freed heap pages to the kernel (configure_runtime tells malloc to keep them) and
// restarts the kernel's peak-RSS counter (VmHWM), so each run's peak is its own.
bool reset_peak() {
  malloc_trim(0);
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.close();
  return clear.good();
}

double peak_since_reset_mb() {
  const double hwm = proc_field_mb("/proc/self/status", "VmHWM:");
  return hwm >= 0 ? hwm : process_peak_rss_mb();
}

at::Tensor training_loss(const Features& out) {
  at::Tensor loss = at::zeros({});
  for (const auto& [l, t] : out) loss = loss + t.pow(2).sum();
  return loss;
}

std::string thousands(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f", x);
  std::string s = buf, out;
  const size_t lead = s.size() % 3;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && i >= lead && (i - lead) % 3 == 0 && s[i - 1] != '-') out += ',';
    out += s[i];
  }
  return out;
}

}  // namespace

double current_rss_mb() {
  const double rss = proc_field_mb("/proc/self/status", "VmRSS:");
  return rss >= 0 ? rss : 0;
}

double process_peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // kB on Linux
}

double available_memory_mb() {
  // MemAvailable counts reclaimable page cache; sysinfo's free + buffers is the fallback.
  const double avail = proc_field_mb("/proc/meminfo", "MemAvailable:");
  if (avail >= 0) return avail;
  struct sysinfo info {};
  if (sysinfo(&info) != 0) return 0;
  return (double(info.freeram) + double(info.bufferram)) * info.mem_unit / (1024.0 * 1024.0);
}

double estimate_memory_mb(SE3TransformerImpl& model, int64_t edges, bool backward) {
  // Per ConvSE3, per edge: the gathered source features sum_k C_k (2k+1), the radial MLP's
  // hidden layers and the messages sum_l C_l (2l+1); on the reference path also the radial
  // weights sum_l C_l cols_l and the basis products and their concatenation
  // 2 sum_l cols_l (2l+1), cols_l = sum_k C_k nJ(k, l) (the fused kernel makes both per block
  // of edges and keeps neither).
  const bool fused = default_kernel_path() == KernelPath::kFused;
  double sum_layers = 0, max_layer = 0;
  for (const auto& m : model.modules(/*include_self=*/false)) {
    const auto* conv = dynamic_cast<ConvSE3Impl*>(m.get());
    if (!conv) continue;
    double floats = 6.0 * double(conv->options().radial_hidden());
    for (const auto& [k, c_in] : conv->options().fiber_in().entries())
      floats += double(c_in) * double(2 * k + 1);
    for (const auto& [l, c_out] : conv->options().fiber_out().entries()) {
      double cols = 0;
      for (const auto& [k, c_in] : conv->options().fiber_in().entries())
        cols += double(c_in) * double(num_basis_J(k, l));
      floats += double(c_out) * double(2 * l + 1);
      if (!fused) floats += 2.0 * cols * double(2 * l + 1) + double(c_out) * cols;
    }
    sum_layers += floats;
    max_layer = std::max(max_layer, floats);
  }
  // The edge basis: sum over (k, l) of (2k+1) x nJ(k, l)(2l+1) floats per edge.
  const int64_t L = model.options().max_degree();
  double basis = 0;
  for (int64_t k = 0; k <= L; ++k) {
    for (int64_t l = 0; l <= L; ++l) basis += double((2 * k + 1) * num_basis_J(k, l) * (2 * l + 1));
  }
  // Without autograd one layer's temporaries live at a time; with it every layer's are kept
  // and backward adds one layer's gradients.
  double floats = backward ? sum_layers + max_layer + 2 * basis : max_layer + basis;
  // Measured (nbody, protein, qm9): autograd's saved copies and the radial MLP's gradients add
  // about 40% more on the reference path, up to 35% on the fused one.
  if (backward) floats *= fused ? 1.35 : 1.5;
  return floats * 4.0 * double(edges) / (1024.0 * 1024.0);
}

BenchResult run_benchmark(const Workload& workload, const BenchOptions& options,
                          std::ostream* progress) {
  SE3T_CHECK(options.steps >= 1, "bench: --steps must be >= 1, got ", options.steps);
  SE3T_CHECK(options.warmup >= 0, "bench: --warmup must be >= 0, got ", options.warmup);
  BenchResult r;
  r.workload = workload.name;
  r.description = workload.description;
  r.path = kernel_path_name(default_kernel_path());
  // What the radial weights were computed in: bf16-radial only on the fused path of a CPU
  // with AVX512-BF16.
  r.precision = radial_precision_name(default_kernel_path() == KernelPath::kFused
                                          ? effective_radial_precision(default_radial_precision())
                                          : RadialPrecision::kFloat32);
  r.threads = at::get_num_threads();
  r.blas = blas_kernels();
  // Measured once per process, before the first workload runs.
  static const double peak = fma_peak_gflops();
  r.fma_peak_gflops = peak;
  r.steps = options.steps;
  r.nodes = workload.num_nodes();

  at::manual_seed(0);
  SE3Transformer model(workload.options);
  for (const auto& p : model->parameters()) r.parameters += p.numel();
  r.edges = workload.build_graph().num_edges();

  const double available = available_memory_mb();
  const double est_forward = estimate_memory_mb(*model, r.edges, false);
  const double est_backward = estimate_memory_mb(*model, r.edges, true);
  r.estimated_mb = est_forward;
  if (est_forward > options.memory_fraction * available) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "the forward pass needs about %.0f MiB, %.0f MiB available",
                  est_forward, available);
    r.skipped = buf;
    return r;
  }

  reset_peak();
  r.rss_before_mb = current_rss_mb();
  auto note = [&](const std::string& what) {
    if (progress) *progress << "[bench " << workload.name << "] " << what << std::endl;
  };

  // Forward steps: inference (no autograd recording), phases profiled on this thread.
  std::vector<double> graph_ms, forward_ms;
  double forward_sum = 0;
  profiler::set_enabled(true);
  {
    at::NoGradGuard no_grad;
    for (int i = 0; i < options.warmup + options.steps; ++i) {
      if (i == options.warmup) profiler::reset();
      note("forward step " + std::to_string(i + 1) + "/" +
           std::to_string(options.warmup + options.steps) +
           (i < options.warmup ? " (warm-up)" : ""));
      const auto t0 = Clock::now();
      const GraphBatch graph = workload.build_graph();
      const double g = ms_since(t0);
      const auto t1 = Clock::now();
      {
        // Time outside every named phase (checks, skip concatenation) counts as "other".
        SE3T_PROFILE_PHASE(kOther);
        Features out = model->forward(graph, workload.features);
      }
      const double f = ms_since(t1);
      if (i >= options.warmup) {
        graph_ms.push_back(g);
        forward_ms.push_back(f);
        forward_sum += f;
      }
    }
  }
  const profiler::Totals totals = profiler::totals();
  profiler::set_enabled(false);
  for (size_t p = 0; p < profiler::kNumPhases; ++p)
    r.phase_ms[p] = totals.seconds[p] * 1e3 / options.steps;
  r.phase_ms[static_cast<size_t>(profiler::Phase::kGraph)] = 0;  // reported as graph_ms
  r.graph_ms = median(graph_ms);
  r.forward_ms = median(forward_ms);
  r.forward_mean_ms = forward_sum / options.steps;
  const auto contraction = static_cast<size_t>(profiler::Phase::kContraction);
  const auto radial = static_cast<size_t>(profiler::Phase::kRadial);
  r.contraction_flops = totals.flops[contraction] / options.steps;
  r.radial_flops = totals.flops[radial] / options.steps;
  if (r.phase_ms[contraction] > 0)
    r.contraction_gflops = r.contraction_flops / (r.phase_ms[contraction] * 1e6);
  if (r.phase_ms[radial] > 0) r.radial_gflops = r.radial_flops / (r.phase_ms[radial] * 1e6);
  if (r.fma_peak_gflops > 0)
    r.contraction_peak_fraction = r.contraction_gflops / (r.fma_peak_gflops * double(r.threads));
  r.edges_per_s = r.forward_ms > 0 ? r.edges / (r.forward_ms * 1e-3) : 0;

  // Forward (recording) + backward of the sum of squared outputs.
  if (!options.backward) {
    r.backward_skipped = "not requested";
  } else if (est_backward > options.memory_fraction * available) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "needs about %.0f MiB, %.0f MiB available", est_backward,
                  available);
    r.backward_skipped = buf;
    r.estimated_mb = est_backward;
  } else {
    r.estimated_mb = est_backward;
    std::vector<double> fb_ms;
    double backward_sum = 0;
    std::array<double, profiler::kNumPhases> backward_phase_sum{};
    profiler::set_enabled(true);
    for (int i = 0; i < options.warmup + options.steps; ++i) {
      note("forward+backward step " + std::to_string(i + 1) + "/" +
           std::to_string(options.warmup + options.steps) +
           (i < options.warmup ? " (warm-up)" : ""));
      const GraphBatch graph = workload.build_graph();
      const auto t0 = Clock::now();
      // The recording forward tags its autograd nodes by phase; the backward is charged by them.
      profiler::track_autograd_nodes(true);
      at::Tensor loss;
      {
        SE3T_PROFILE_PHASE(kOther);
        loss = training_loss(model->forward(graph, workload.features));
      }
      profiler::track_autograd_nodes(false);
      profiler::reset();
      const auto t1 = Clock::now();
      {
        profiler::BackwardPhases phases;
        loss.backward();
      }
      const double b = ms_since(t1);
      if (i >= options.warmup) {
        fb_ms.push_back(ms_since(t0));
        backward_sum += b;
        const profiler::Totals totals = profiler::totals();
        for (size_t p = 0; p < profiler::kNumPhases; ++p)
          backward_phase_sum[p] += totals.seconds[p] * 1e3;
      }
    }
    profiler::set_enabled(false);
    model->zero_grad();
    r.backward_call_mean_ms = backward_sum / options.steps;
    for (size_t p = 0; p < profiler::kNumPhases; ++p)
      r.backward_phase_ms[p] = backward_phase_sum[p] / options.steps;
    r.backward_measured = true;
    r.forward_backward_ms = median(fb_ms);
    r.backward_ms = r.forward_backward_ms - r.forward_ms;
    r.train_edges_per_s = r.edges / (r.forward_backward_ms * 1e-3);
  }
  // A force-training step, as an interatomic potential trains: the energy's gradient wrt the
  // positions is recorded (create_graph) so that a loss on forces can be differentiated.
  if (options.forces) {
    // Roughly the backward's memory twice over: the recorded first backward is a second graph.
    const double est_forces = 2 * est_backward;
    if (est_forces > options.memory_fraction * available) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "needs about %.0f MiB, %.0f MiB available", est_forces,
                    available);
      r.forces_skipped = buf;
    } else {
      std::vector<double> step_ms;
      for (int i = 0; i < options.warmup + options.steps; ++i) {
        note("force-training step " + std::to_string(i + 1) + "/" +
             std::to_string(options.warmup + options.steps) +
             (i < options.warmup ? " (warm-up)" : ""));
        GraphBatch graph = workload.build_graph();
        graph.pos = graph.pos.detach().requires_grad_();
        const auto t0 = Clock::now();
        const at::Tensor energy = training_loss(model->forward(graph, workload.features));
        const at::Tensor forces =
            -torch::autograd::grad({energy}, {graph.pos}, {}, /*retain_graph=*/true,
                                   /*create_graph=*/true)[0];
        (energy + forces.pow(2).sum()).backward();
        if (i >= options.warmup) step_ms.push_back(ms_since(t0));
      }
      model->zero_grad();
      r.forces_measured = true;
      r.force_step_ms = median(step_ms);
    }
  }
  r.peak_rss_mb = peak_since_reset_mb();
  r.rss_increase_mb = r.peak_rss_mb - r.rss_before_mb;
  r.process_peak_rss_mb = process_peak_rss_mb();
  return r;
}

ScalingResult run_scaling(const ScalingOptions& options, std::ostream* progress) {
  SE3T_CHECK(options.min_edges >= 17 && options.max_edges >= options.min_edges,
             "bench --scaling: need 17 <= min edges <= max edges, got ", options.min_edges, " and ",
             options.max_edges);
  ScalingResult s;
  s.num_layers = options.num_layers;
  std::vector<int64_t> sizes;
  for (int64_t decade = options.min_edges; decade <= options.max_edges; decade *= 10) {
    sizes.push_back(decade);
    if (3 * decade <= options.max_edges) sizes.push_back(3 * decade);
  }
  std::string skip_reason;
  for (int64_t target : sizes) {
    ScalingRow row;
    row.target_edges = target;
    if (!skip_reason.empty()) {
      row.skipped = true;
      row.reason = "larger than a skipped size (" + skip_reason + ")";
      s.rows.push_back(row);
      continue;
    }
    if (progress) *progress << "[bench scaling] " << target << " edges" << std::endl;
    const Workload w = synthetic_workload(target, options.num_layers, 0);
    row.result = run_benchmark(w, options.bench, progress);
    if (!row.result.skipped.empty()) {
      row.skipped = true;
      row.reason = row.result.skipped;
      skip_reason = row.reason;
    }
    s.rows.push_back(row);
  }
  // Time per edge at the largest measured size relative to the size nearest 10^4.
  const ScalingRow* base = nullptr;
  const ScalingRow* last = nullptr;
  const ScalingRow* last_fb = nullptr;  // largest size whose training step ran
  for (const auto& row : s.rows) {
    if (row.skipped) continue;
    if (!base || std::abs(std::log10(double(row.result.edges)) - 4) <
                     std::abs(std::log10(double(base->result.edges)) - 4))
      base = &row;
    last = &row;
    if (row.result.backward_measured) last_fb = &row;
  }
  const auto per_edge = [](const BenchResult& r, double ms) { return ms / double(r.edges); };
  if (base && last && last != base) {
    s.forward_ratio = per_edge(last->result, last->result.forward_ms) /
                      per_edge(base->result, base->result.forward_ms);
    s.forward_edges = last->result.edges;
  }
  if (base && last_fb && last_fb != base && base->result.backward_measured) {
    s.forward_backward_ratio = per_edge(last_fb->result, last_fb->result.forward_backward_ms) /
                               per_edge(base->result, base->result.forward_backward_ms);
    s.forward_backward_edges = last_fb->result.edges;
  }
  return s;
}

void print_result(std::ostream& out, const BenchResult& r) {
  char buf[256];
  out << "workload " << r.workload << ": " << r.description << "\n";
  out << "  nodes " << thousands(r.nodes) << ", edges " << thousands(r.edges) << ", parameters "
      << thousands(r.parameters) << ", threads " << r.threads << ", path " << r.path
      << ", precision " << r.precision << ", steps " << r.steps << ", " << r.blas << "\n";
  if (!r.skipped.empty()) {
    out << "  skipped: " << r.skipped << "\n";
    return;
  }
  std::snprintf(buf, sizeof(buf), "  %-22s %12s %8s\n", "phase", "ms/step", "% fwd");
  out << buf;
  std::snprintf(buf, sizeof(buf), "  %-22s %12.2f %8s\n", "graph (own step)", r.graph_ms, "-");
  out << buf;
  for (size_t p = 1; p < profiler::kNumPhases; ++p) {
    const double pct = r.forward_mean_ms > 0 ? 100.0 * r.phase_ms[p] / r.forward_mean_ms : 0;
    std::snprintf(buf, sizeof(buf), "  %-22s %12.2f %8.1f\n",
                  profiler::phase_name(static_cast<profiler::Phase>(p)), r.phase_ms[p], pct);
    out << buf;
  }
  std::snprintf(buf, sizeof(buf), "  %-22s %12.2f %8s\n", "forward (mean)", r.forward_mean_ms,
                "100.0");
  out << buf;
  std::snprintf(buf, sizeof(buf), "  %-22s %12.2f\n", "forward (median)", r.forward_ms);
  out << buf;
  if (r.backward_measured) {
    std::snprintf(buf, sizeof(buf), "  %-22s %12.2f\n  %-22s %12.2f\n", "backward", r.backward_ms,
                  "forward+backward", r.forward_backward_ms);
    out << buf;
    // The backward call alone, by the phase of the forward that recorded each autograd node.
    std::snprintf(buf, sizeof(buf), "  %-22s %12s %8s\n", "backward phase", "ms/step", "% bwd");
    out << buf;
    for (size_t p = 1; p < profiler::kNumPhases; ++p) {
      const double pct = r.backward_call_mean_ms > 0
                             ? 100.0 * r.backward_phase_ms[p] / r.backward_call_mean_ms
                             : 0;
      std::snprintf(buf, sizeof(buf), "  %-22s %12.2f %8.1f\n",
                    profiler::phase_name(static_cast<profiler::Phase>(p)), r.backward_phase_ms[p],
                    pct);
      out << buf;
    }
    std::snprintf(buf, sizeof(buf), "  %-22s %12.2f %8s\n", "backward call (mean)",
                  r.backward_call_mean_ms, "100.0");
    out << buf;
  } else {
    out << "  forward+backward       skipped: " << r.backward_skipped << "\n";
  }
  if (r.forces_measured) {
    std::snprintf(buf, sizeof(buf), "  %-22s %12.2f\n", "force-training step", r.force_step_ms);
    out << buf;
  } else if (!r.forces_skipped.empty()) {
    out << "  force-training step    skipped: " << r.forces_skipped << "\n";
  }
  out << "  edges/s: forward " << thousands(r.edges_per_s);
  if (r.backward_measured) out << ", forward+backward " << thousands(r.train_edges_per_s);
  out << "\n";
  std::snprintf(buf, sizeof(buf),
                "  contraction %.3f GFLOP/step, %.2f GFLOP/s; radial MLPs %.3f GFLOP/step, "
                "%.2f GFLOP/s\n",
                r.contraction_flops * 1e-9, r.contraction_gflops, r.radial_flops * 1e-9,
                r.radial_gflops);
  out << buf;
  if (r.fma_peak_gflops > 0) {
    std::snprintf(buf, sizeof(buf),
                  "  float32 multiply-add peak %.0f GFLOP/s per core (%s, measured): contraction "
                  "at %.0f%% of %lld x peak\n",
                  r.fma_peak_gflops, fma_peak_instructions(), 100.0 * r.contraction_peak_fraction,
                  static_cast<long long>(r.threads));
    out << buf;
  }
  std::snprintf(buf, sizeof(buf),
                "  peak RSS %.0f MiB (+%.0f MiB over %.0f MiB before; estimate %.0f MiB); "
                "process peak %.0f MiB\n",
                r.peak_rss_mb, r.rss_increase_mb, r.rss_before_mb, r.estimated_mb,
                r.process_peak_rss_mb);
  out << buf;
}

void print_scaling(std::ostream& out, const ScalingResult& s) {
  char buf[256];
  out << "scaling: synthetic points, k = 16, protein model cut to " << s.num_layers
      << " layer(s)\n";
  std::snprintf(buf, sizeof(buf), "  %9s %9s %8s %10s %10s %10s %10s %10s\n", "edges", "nodes",
                "graph ms", "fwd ms", "fwd ms/1e3", "f+b ms", "f+b ms/1e3", "+RSS MiB");
  out << buf;
  for (const auto& row : s.rows) {
    const BenchResult& r = row.result;
    if (row.skipped) {
      out << "  " << thousands(double(row.target_edges)) << ": skipped, " << row.reason << "\n";
      continue;
    }
    const double k = r.edges / 1e3;
    std::snprintf(buf, sizeof(buf), "  %9lld %9lld %8.1f %10.1f %10.3f", (long long)r.edges,
                  (long long)r.nodes, r.graph_ms, r.forward_ms, r.forward_ms / k);
    out << buf;
    if (r.backward_measured) {
      std::snprintf(buf, sizeof(buf), " %10.1f %10.3f", r.forward_backward_ms,
                    r.forward_backward_ms / k);
    } else {
      std::snprintf(buf, sizeof(buf), " %10s %10s", "-", "-");
    }
    out << buf;
    std::snprintf(buf, sizeof(buf), " %10.0f\n", r.rss_increase_mb);
    out << buf;
  }
  std::snprintf(buf, sizeof(buf),
                "  time per edge, largest measured size / size nearest 10^4: forward %.2fx (%lld "
                "edges), forward+backward %.2fx (%lld edges) (target: within 1.5x)\n",
                s.forward_ratio, (long long)s.forward_edges, s.forward_backward_ratio,
                (long long)s.forward_backward_edges);
  out << buf;
}

namespace {
void json_result(std::ostringstream& o, const BenchResult& r) {
  o << "{\"workload\": " << json_string(r.workload)
    << ", \"description\": " << json_string(r.description) << ", \"path\": " << json_string(r.path)
    << ", \"precision\": " << json_string(r.precision)
    << ", \"skipped\": " << json_string(r.skipped) << ", \"nodes\": " << r.nodes
    << ", \"edges\": " << r.edges << ", \"parameters\": " << r.parameters
    << ", \"threads\": " << r.threads << ", \"blas\": " << json_string(r.blas)
    << ", \"steps\": " << r.steps << ", \"graph_ms\": " << json_number(r.graph_ms)
    << ", \"forward_ms\": " << json_number(r.forward_ms)
    << ", \"forward_mean_ms\": " << json_number(r.forward_mean_ms) << ", \"phases_ms\": {";
  for (size_t p = 1; p < profiler::kNumPhases; ++p) {
    o << (p > 1 ? ", " : "") << json_string(profiler::phase_name(static_cast<profiler::Phase>(p)))
      << ": " << json_number(r.phase_ms[p]);
  }
  o << "}, \"backward_measured\": " << (r.backward_measured ? "true" : "false")
    << ", \"backward_skipped\": " << json_string(r.backward_skipped)
    << ", \"forward_backward_ms\": " << json_number(r.forward_backward_ms)
    << ", \"backward_ms\": " << json_number(r.backward_ms)
    << ", \"backward_call_mean_ms\": " << json_number(r.backward_call_mean_ms)
    << ", \"forces_measured\": " << (r.forces_measured ? "true" : "false")
    << ", \"forces_skipped\": " << json_string(r.forces_skipped)
    << ", \"force_step_ms\": " << json_number(r.force_step_ms) << ", \"backward_phases_ms\": {";
  for (size_t p = 1; p < profiler::kNumPhases; ++p) {
    o << (p > 1 ? ", " : "") << json_string(profiler::phase_name(static_cast<profiler::Phase>(p)))
      << ": " << json_number(r.backward_phase_ms[p]);
  }
  o << "}"
    << ", \"edges_per_s\": " << json_number(r.edges_per_s)
    << ", \"train_edges_per_s\": " << json_number(r.train_edges_per_s)
    << ", \"contraction_flops\": " << json_number(r.contraction_flops)
    << ", \"contraction_gflops_per_s\": " << json_number(r.contraction_gflops)
    << ", \"fma_peak_gflops_per_core\": " << json_number(r.fma_peak_gflops)
    << ", \"contraction_peak_fraction\": " << json_number(r.contraction_peak_fraction)
    << ", \"radial_flops\": " << json_number(r.radial_flops)
    << ", \"radial_gflops_per_s\": " << json_number(r.radial_gflops)
    << ", \"peak_rss_mb\": " << json_number(r.peak_rss_mb)
    << ", \"rss_before_mb\": " << json_number(r.rss_before_mb)
    << ", \"rss_increase_mb\": " << json_number(r.rss_increase_mb)
    << ", \"process_peak_rss_mb\": " << json_number(r.process_peak_rss_mb)
    << ", \"estimated_mb\": " << json_number(r.estimated_mb) << "}";
}
}  // namespace

std::string to_json(const std::vector<BenchResult>& results, const ScalingResult* scaling) {
  std::ostringstream o;
  o << "{\"results\": [";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i) o << ", ";
    json_result(o, results[i]);
  }
  o << "]";
  if (scaling) {
    o << ", \"scaling\": {\"num_layers\": " << scaling->num_layers
      << ", \"forward_ratio\": " << json_number(scaling->forward_ratio)
      << ", \"forward_backward_ratio\": " << json_number(scaling->forward_backward_ratio)
      << ", \"forward_ratio_edges\": " << scaling->forward_edges
      << ", \"forward_backward_ratio_edges\": " << scaling->forward_backward_edges
      << ", \"rows\": [";
    for (size_t i = 0; i < scaling->rows.size(); ++i) {
      const auto& row = scaling->rows[i];
      o << (i ? ", " : "") << "{\"target_edges\": " << row.target_edges
        << ", \"skipped\": " << (row.skipped ? "true" : "false")
        << ", \"reason\": " << json_string(row.reason) << ", \"result\": ";
      json_result(o, row.result);
      o << "}";
    }
    o << "]}";
  }
  o << "}";
  return o.str();
}

}  // namespace se3t::bench

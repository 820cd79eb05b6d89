// Measurement behind `se3t bench`: per-step times with a split by phase, edges per second,
// GFLOP/s from explicit FLOP counts, peak resident memory; and the scaling run.
#pragma once
#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "se3t/bench/workloads.h"
#include "se3t/util/profiler.h"

namespace se3t::bench {

struct BenchOptions {
  int steps = 5;         // measured steps; times are medians over them
  int warmup = 1;        // unmeasured steps first (allocator warm-up, lazy initialisation)
  bool backward = true;  // also time forward+backward (skipped when it would not fit in memory)
  // Also time a force-training step: forward, forces -d(energy)/d(pos) by a recorded backward
  // (create_graph), then the backward of a loss on energy and forces.
  bool forces = false;
  // Fraction of the available memory a run may be estimated to need before it is skipped
  // (half: the machine is usually shared).
  double memory_fraction = 0.5;
};

struct BenchResult {
  std::string workload, description, path;  // path: reference | fused
  std::string precision;  // of the radial weights: float32 | bf16-radial (what actually ran)
  std::string blas;       // the BLAS kernels in use, e.g. "OpenBLAS SkylakeX"
  std::string skipped;    // non-empty: nothing was run, for this reason (memory)
  int64_t nodes = 0, edges = 0, parameters = 0, threads = 0, steps = 0;
  double graph_ms = 0;         // median time to build a step's graph
  double forward_ms = 0;       // median forward (inference, no autograd recording)
  double forward_mean_ms = 0;  // mean of the same steps: the phase split adds up to this
  // Mean ms per forward step of each profiler phase (graph excluded: it is graph_ms).
  std::array<double, profiler::kNumPhases> phase_ms{};
  bool backward_measured = false;
  std::string backward_skipped;    // why forward+backward was not run, when it was not
  double forward_backward_ms = 0;  // median forward (recording) + backward of the sum of squares
  double backward_ms = 0;          // forward_backward_ms - forward_ms
  bool forces_measured = false;
  std::string forces_skipped;  // why the force-training step was not run, when asked and not
  double force_step_ms = 0;    // median forward + forces (recorded) + backward of E + |F|^2
  // Mean of the backward() call alone, and its split by the phase of the forward scope that
  // recorded each autograd node (graph excluded; the engine's own time counts as "other"):
  // the split adds up to the mean.
  double backward_call_mean_ms = 0;
  std::array<double, profiler::kNumPhases> backward_phase_ms{};
  double contraction_flops = 0;  // explicit count per forward step
  double radial_flops = 0;
  double contraction_gflops = 0;  // contraction_flops / contraction phase time
  // One core's float32 multiply-add peak (util/fma_peak.h, measured once per process; 0: not
  // known on this CPU) and the contraction's rate as a share of threads x that peak.
  double fma_peak_gflops = 0;
  double contraction_peak_fraction = 0;
  double radial_gflops = 0;
  double edges_per_s = 0;          // edges / forward time
  double train_edges_per_s = 0;    // edges / forward+backward time
  double peak_rss_mb = 0;          // peak resident memory during this workload
  double rss_before_mb = 0;        // resident memory just before it
  double rss_increase_mb = 0;      // peak_rss_mb - rss_before_mb
  double process_peak_rss_mb = 0;  // getrusage ru_maxrss: the whole process so far
  double estimated_mb = 0;         // the memory estimate the skip decision used
};

// Builds the model (seeded), then per step: graph, forward; then forward+backward steps.
// Progress lines go to `progress` when not null.
BenchResult run_benchmark(const Workload& workload, const BenchOptions& options,
                          std::ostream* progress = nullptr);

struct ScalingRow {
  int64_t target_edges = 0;
  BenchResult result;  // nodes, edges, times, memory
  bool skipped = false;
  std::string reason;
};

struct ScalingResult {
  std::vector<ScalingRow> rows;
  int64_t num_layers = 0;
  // (time per edge at the largest measured size) / (time per edge at the size nearest 10^4),
  // forward and forward+backward (each at the largest size where that pass ran, whose edge
  // counts follow); 0 when not measurable.
  double forward_ratio = 0, forward_backward_ratio = 0;
  int64_t forward_edges = 0, forward_backward_edges = 0;
};

struct ScalingOptions {
  int64_t min_edges = 1000;
  int64_t max_edges = 1000000;
  int64_t num_layers = 2;  // the protein model's input layer and one hidden-to-hidden layer
  BenchOptions bench;
};

// Sizes 1, 3, 10, 30, ... x min_edges up to max_edges; a size whose memory estimate exceeds
// the available memory is skipped (and larger ones too), saying so.
ScalingResult run_scaling(const ScalingOptions& options, std::ostream* progress = nullptr);

// Resident memory now, the peak so far, and the memory the kernel could give us (MiB).
double current_rss_mb();
double process_peak_rss_mb();
double available_memory_mb();

// Estimated peak memory increase (MiB) of running `model` on `edges` float32 edges under the
// current kernel path: per ConvSE3 the radial weights [E, W] (reference path only) and the
// basis products; every layer's kept for backward, one layer's at a time without it.
double estimate_memory_mb(SE3TransformerImpl& model, int64_t edges, bool backward);

// Human-readable tables and one JSON object ({"results": [...], "scaling": {...}}).
void print_result(std::ostream& out, const BenchResult& r);
void print_scaling(std::ostream& out, const ScalingResult& s);
std::string to_json(const std::vector<BenchResult>& results, const ScalingResult* scaling);

}  // namespace se3t::bench

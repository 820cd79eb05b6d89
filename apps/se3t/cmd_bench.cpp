// `se3t bench [qm9|nbody|protein|all]`: speed and memory of the named workloads
// the measuring lives in the library (se3t/bench/runner.h).
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.h"
#include "se3t/bench/runner.h"
#include "se3t/nn/kernel_path.h"
#include "se3t/nn/radial_precision.h"
#include "se3t/util/check.h"
#include "se3t/util/runtime.h"

namespace se3t::cli {

namespace {
constexpr const char* kFields = R"(
Workloads (docs/design.md, Benchmarks):
  qm9      7 attention layers, degrees 0-3, 32 channels, 8 heads; 32 molecules x 18 atoms,
           fully connected: 9,792 edges
  nbody    4 layers, degrees 0-3, 16 channels, 2 heads; 100 systems x 5 particles: 2,000 edges
  protein  4 layers, degrees 0-2, 16 channels, 4 heads; the ATOM records of --pdb, k = 16
           nearest neighbours: 16 N edges
  all      the three in turn

Fields:
  graph             building the step's graph (kNN / fully connected), timed on its own
  basis             relative positions, spherical harmonics, kernel basis (once per forward)
  radial            the radial MLPs phi(|x_ij|) of every layer
  contraction       gathering source features, basis x features x radial weights, aggregation
  attention         queries, logits, segment softmax, weighted sums
  other             norm nonlinearity, skip, self-interaction, pooling, checks
  forward           median ms per step without autograd recording (inference); the phases
                    add up to the mean
  backward          median forward (recording) + backward of sum(out^2), minus forward
  backward phase    the backward() call alone (mean), split by the phase of the forward that
                    recorded each autograd node; the engine's own time counts as other
  force-training step  (--forces) median forward (recording) + forces F = -dE/dx by a recorded
                    backward + backward of E + |F|^2, with E = sum(out^2): the step of a
                    potential trained on forces, whose second derivatives run on the kernels too
  edges/s           edges / forward time (and / forward+backward time)
  GFLOP/s           the explicit FLOP count of a phase over its time. Contraction, per ConvSE3
                    and output degree l: 2 E C_out W_l (2l+1) for applying the radial weights,
                    W_l = sum_k C_k nJ(k,l), plus 2 E C_k (2k+1) nJ(k,l) (2l+1) per input degree
                    k for the basis products (nJ = 2 min(k,l) + 1). Radial: 2 E (h(1+A) + h^2 +
                    h W) for an MLP of width h over 1 + A inputs. Gathers, aggregation and
                    softmax are not counted, so GFLOP/s is a lower bound on the arithmetic rate.
  peak              one core's float32 multiply-add rate, measured when the bench starts (~30
                    ms of independent AVX-512 or AVX2 multiply-adds; a busy core reads low),
                    and the contraction's GFLOP/s as a share of threads x that peak
  peak RSS          resident memory peak during the workload (VmHWM, reset before it), its
                    increase over the resident memory before it, and the process peak
                    (getrusage ru_maxrss)
  estimate          the memory estimate used to skip runs that would not fit (MemAvailable)

--scaling: synthetic random points at protein density, k = 16, the protein model cut to
--scaling-layers layers, at 1, 3, 10, 30, ... thousand edges up to --max-edges; reports ms and
ms per 1,000 edges and the ratio of time per edge between the largest size and 10^4 edges
(target: within 1.5x).)";
}  // namespace

void add_bench_command(CLI::App& app) {
  struct Options {
    std::string workload = "all", pdb = bench::kDefaultPdb;
    std::string path = kernel_path_name(default_kernel_path());  // the library default
    std::string precision = radial_precision_name(RadialPrecision::kFloat32);
    bool json = false, scaling = false, no_backward = false, forces = false;
    int threads = 1, steps = 5, warmup = 1;
    double memory_fraction = 0.5;
    int64_t max_edges = 1000000, min_edges = 1000, scaling_layers = 2, batch = 0;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "bench",
      "Time the named workloads (forward, forward+backward, split by phase), edges/s, "
      "GFLOP/s and peak memory; --scaling for time and memory from 10^3 to 10^6 edges.");
  cmd->footer(kFields);
  cmd->add_option("workload", opts->workload,
                  "qm9, nbody, protein, all, or none (with --scaling: the scaling run only)")
      ->capture_default_str();
  cmd->add_flag("--json", opts->json, "print one JSON object instead of tables");
  cmd->add_option("--threads", opts->threads, "intra-op threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--steps", opts->steps, "measured steps (medians)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--warmup", opts->warmup, "unmeasured steps first")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--path", opts->path, "kernel path: reference or fused (the library default)")
      ->capture_default_str();
  cmd->add_option("--precision", opts->precision,
                  "radial weights on the fused path: float32, or bf16-radial (bfloat16 products, "
                  "float32 sums; on CPUs with AVX512-BF16, float32 elsewhere: the output says "
                  "which ran)")
      ->capture_default_str()
      ->check(CLI::IsMember({"float32", "bf16-radial"}));
  cmd->add_option(
         "--batch", opts->batch,
         "graphs per step for qm9 and nbody (0: the workload's 32 molecules / 100 systems); "
         "smaller batches let the reference path's forward+backward fit in memory")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  cmd->add_option("--pdb", opts->pdb, "PDB file (.pdb or .pdb.gz) for the protein workload")
      ->capture_default_str();
  cmd->add_flag("--no-backward", opts->no_backward, "time the forward pass only");
  cmd->add_flag("--forces", opts->forces,
                "also time a force-training step (forces by a recorded backward, then the "
                "backward of a loss on energy and forces)");
  cmd->add_option("--memory-fraction", opts->memory_fraction,
                  "skip a run whose memory estimate exceeds this fraction of MemAvailable")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--scaling", opts->scaling, "add the scaling run (synthetic kNN graphs)");
  cmd->add_option("--min-edges", opts->min_edges, "smallest scaling size")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{17}, int64_t{1} << 40));
  cmd->add_option("--max-edges", opts->max_edges, "largest scaling size")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{17}, int64_t{1} << 40));
  cmd->add_option("--scaling-layers", opts->scaling_layers, "layers of the scaling model")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->callback([opts] {
    run_guarded("bench", [&] {
      std::vector<std::string> names;
      if (opts->workload == "all") {
        names = bench::workload_names();
      } else if (opts->workload != "none" || !opts->scaling) {
        bool known = false;
        for (const auto& n : bench::workload_names()) known = known || n == opts->workload;
        SE3T_CHECK(known, "unknown workload '", opts->workload,
                   "'; expected qm9, nbody, protein, all, or none with --scaling");
        names = {opts->workload};
      }
      configure_runtime(opts->threads);
      set_default_kernel_path(parse_kernel_path(opts->path));
      set_default_radial_precision(parse_radial_precision(opts->precision));
      // The reference path's big radial GEMMs are single BLAS calls: let OpenBLAS use the
      // threads too, so the comparison is against the reference at its best. (The fused kernels
      // call BLAS inside their own parallel loops, so there it stays at one thread.)
      if (default_kernel_path() == KernelPath::kReference) set_blas_threads(at::get_num_threads());
      bench::BenchOptions bo;
      bo.steps = opts->steps;
      bo.warmup = opts->warmup;
      bo.backward = !opts->no_backward;
      bo.forces = opts->forces;
      bo.memory_fraction = opts->memory_fraction;
      std::vector<bench::BenchResult> results;
      for (const auto& name : names) {
        const bench::Workload w = bench::make_workload(name, opts->pdb, opts->batch);
        results.push_back(bench::run_benchmark(w, bo, &std::cerr));
        if (!opts->json) bench::print_result(std::cout, results.back());
      }
      bench::ScalingResult scaling;
      if (opts->scaling) {
        bench::ScalingOptions so;
        so.min_edges = opts->min_edges;
        so.max_edges = opts->max_edges;
        so.num_layers = opts->scaling_layers;
        so.bench = bo;
        scaling = bench::run_scaling(so, &std::cerr);
        if (!opts->json) bench::print_scaling(std::cout, scaling);
      }
      if (opts->json)
        std::cout << bench::to_json(results, opts->scaling ? &scaling : nullptr) << std::endl;
      return 0;
    });
  });
}

}  // namespace se3t::cli

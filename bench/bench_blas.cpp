// Dense float32 matrix product speed: shows that at::mm runs on an optimised BLAS (OpenBLAS)
// rather than the reference BLAS, at 1 and 2 threads; and the core's float32 multiply-add
// peak (BM_PeakFmaFloat32), against which the kernels' GFLOP/s are read.
//
//   bench_blas [--benchmark_min_time=0.2]
//
// Threads: Debian's LibTorch starts with one intra-op thread, and at::mm on CPU hands float32
// products to the BLAS library, which (OpenBLAS pthread build) runs its own thread pool. Each
// benchmark therefore sets both at::set_num_threads(n) and, when the loaded BLAS is OpenBLAS,
// openblas_set_num_threads(n) (looked up with dlsym, so the program also runs on another BLAS).
// OPENBLAS_NUM_THREADS in the environment is read by OpenBLAS's load-time constructor, before
// main, so setting it from main would have no effect.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "se3t/util/fma_peak.h"

namespace {

constexpr int64_t kN = 1024;

using set_threads_fn = void (*)(int);
using get_threads_fn = int (*)();
using get_config_fn = char* (*)();

// Sets LibTorch's and (if present) OpenBLAS's thread counts.
void set_threads(int n) {
  at::set_num_threads(n);
  if (auto f = reinterpret_cast<set_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    f(n);
  }
}

int openblas_threads() {
  auto f = reinterpret_cast<get_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return f ? f() : 0;
}

// The mapped shared libraries whose file name mentions "blas" (after a first product has run).
std::string blas_libraries() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> found;
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string file = path.substr(path.rfind('/') + 1);
    if (file.find("blas") != std::string::npos && file.find(".so") != std::string::npos) {
      found.insert(path);
    }
  }
  std::string out;
  for (const auto& p : found) out += (out.empty() ? "" : " ") + p;
  return out.empty() ? "none" : out;
}

std::string openblas_config() {
  auto f = reinterpret_cast<get_config_fn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  return f ? f() : "not OpenBLAS";
}

void BM_MatmulFloat32(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  set_threads(threads);
  const at::Tensor a = at::randn({kN, kN}, at::kFloat);
  const at::Tensor b = at::randn({kN, kN}, at::kFloat);
  at::Tensor c = at::mm(a, b);  // warm-up: loads and initialises the BLAS
  for (auto _ : state) {
    c = at::mm(a, b);
    benchmark::DoNotOptimize(c.data_ptr<float>());
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * kN * kN * kN, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["torch_threads"] = at::get_num_threads();
  state.counters["openblas_threads"] = openblas_threads();
  state.SetLabel(blas_libraries());
}
BENCHMARK(BM_MatmulFloat32)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// For comparison: sgemm_ of Debian's reference BLAS (netlib), loaded privately with dlopen.
using sgemm_fn = void (*)(const char*, const char*, const int*, const int*, const int*,
                          const float*, const float*, const int*, const float*, const int*,
                          const float*, float*, const int*);

void BM_ReferenceSgemm(benchmark::State& state) {
  void* lib = dlopen("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", RTLD_NOW | RTLD_LOCAL);
  auto sgemm = lib ? reinterpret_cast<sgemm_fn>(dlsym(lib, "sgemm_")) : nullptr;
  if (!sgemm) {
    state.SkipWithError("reference BLAS (libblas3) not installed");
    for (auto _ : state) {
    }
    return;
  }
  const at::Tensor a = at::randn({kN, kN}, at::kFloat);
  const at::Tensor b = at::randn({kN, kN}, at::kFloat);
  at::Tensor c = at::empty({kN, kN}, at::kFloat);
  const int n = static_cast<int>(kN);
  const float one = 1, zero = 0;
  for (auto _ : state) {
    sgemm("N", "N", &n, &n, &n, &one, a.data_ptr<float>(), &n, b.data_ptr<float>(), &n, &zero,
          c.data_ptr<float>(), &n);
    benchmark::DoNotOptimize(c.data_ptr<float>());
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * kN * kN * kN, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel("reference BLAS, 1 thread");
}
BENCHMARK(BM_ReferenceSgemm)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// The core's float32 multiply-add peak, the yardstick of the kernels' GFLOP/s
// (util/fma_peak.h, as `se3t bench` reports it). One thread; run it on an idle machine.
void BM_PeakFmaFloat32(benchmark::State& state) {
  double gflops = 0;
  for (auto _ : state) gflops = se3t::fma_peak_gflops();
  if (gflops <= 0) {
    state.SkipWithError("no AVX-512F or AVX2+FMA on this CPU");
    return;
  }
  state.counters["GFLOP/s"] = gflops;
  state.SetLabel(se3t::fma_peak_instructions());
}
BENCHMARK(BM_PeakFmaFloat32)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::printf("LibTorch intra-op threads at start: %d\n", at::get_num_threads());
  const at::Tensor probe = at::mm(at::ones({8, 8}, at::kFloat), at::ones({8, 8}, at::kFloat));
  std::printf("BLAS libraries mapped: %s\n", blas_libraries().c_str());
  std::printf("OpenBLAS config: %s (threads at start: %d)\n", openblas_config().c_str(),
              openblas_threads());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// Speed of the SO(3) core on edge batches: spherical harmonics of degrees 0..6 (what a
// max-degree-3 kernel basis needs) and the full EquivariantBasis for degrees in/out <= 3,
// float32, 10^5 and 10^6 edges, 1 and 2 threads, reported as edges per second.
//
//   bench_so3 [--benchmark_min_time=0.2] [--benchmark_filter=...]
//
// Threads: Debian's LibTorch starts with one intra-op thread; each benchmark sets its own with
// at::set_num_threads. OpenBLAS (the BLAS behind at::matmul) keeps its own thread pool, and
// OpenMP plus OpenBLAS threads oversubscribe a 2-core machine, so main pins OpenBLAS to one
// thread with openblas_set_num_threads(1), looked up with dlsym (absent on other BLAS builds:
// then nothing is done). Setting OPENBLAS_NUM_THREADS from main would come too late: OpenBLAS
// reads it in its load-time constructor; export it in the shell to pin it from the start.
//
// Memory: each benchmark runs one untimed warm-up call, so the timings are steady state. On the
// Firecracker VMs of this project a first touch of a fresh page costs ~24 us (about 170 MB/s),
// and glibc hands every allocation above 32 MiB back to the kernel on free (mmap/munmap), so by
// default every large tensor pays it again on each call. To measure the computation rather than
// the page faults, run with glibc keeping its heap and using transparent huge pages:
//   T=glibc.malloc.hugetlb=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736
//   GLIBC_TUNABLES=$T bench_so3
//
// Two threads on a 2-core machine shared with other processes: libgomp's default wait policy
// spins at every barrier, and a team whose second thread is descheduled then loses a time
// slice per parallel region (measured: degree-6 harmonics of 10^5 edges 18 ms on one thread,
// 0.6-2.2 s on two). OMP_WAIT_POLICY=passive (read by libgomp at load time, so it must be set
// in the environment, not from main) brings two threads back to ~30 ms.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "se3t/so3/equivariant_basis.h"
#include "se3t/so3/spherical_harmonics.h"

namespace {

// Returns OpenBLAS's thread count afterwards, or 0 when the BLAS is not OpenBLAS.
int pin_openblas_to_one_thread() {
  using set_threads_fn = void (*)(int);
  using get_threads_fn = int (*)();
  auto set = reinterpret_cast<set_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  auto get = reinterpret_cast<get_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (set) set(1);
  return get ? get() : 0;
}

const char* env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

at::Tensor random_edges(int64_t n) {
  at::manual_seed(0);
  return at::randn({n, 3}, at::kFloat);
}

void report(benchmark::State& state, int64_t edges, int threads) {
  state.SetItemsProcessed(state.iterations() * edges);
  state.counters["edges/s"] =
      benchmark::Counter(static_cast<double>(edges), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = threads;
}

void BM_SphericalHarmonics6(benchmark::State& state) {
  const int64_t edges = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  at::set_num_threads(threads);
  at::NoGradGuard no_grad;
  const at::Tensor x = random_edges(edges);
  se3t::spherical_harmonics(x, 6);  // warm-up
  for (auto _ : state) {
    at::Tensor y = se3t::spherical_harmonics(x, 6);
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  report(state, edges, threads);
}
BENCHMARK(BM_SphericalHarmonics6)
    ->ArgsProduct({{100000, 1000000}, {1, 2}})
    ->ArgNames({"edges", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_EquivariantBasis3(benchmark::State& state) {
  const int64_t edges = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  at::set_num_threads(threads);
  at::NoGradGuard no_grad;
  const at::Tensor x = random_edges(edges);
  { const se3t::EquivariantBasis warm_up(x, 3, 3); }
  for (auto _ : state) {
    se3t::EquivariantBasis basis(x, 3, 3);
    benchmark::DoNotOptimize(basis.at(3, 3).data_ptr<float>());
  }
  report(state, edges, threads);
}
BENCHMARK(BM_EquivariantBasis3)
    ->ArgsProduct({{100000, 1000000}, {1, 2}})
    ->ArgNames({"edges", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  const int blas_threads = pin_openblas_to_one_thread();
  std::printf("LibTorch intra-op threads at start: %d (each benchmark sets its own)\n",
              at::get_num_threads());
  std::printf("OpenBLAS threads: %d (0: not OpenBLAS)\n", blas_threads);
  std::printf("OMP_WAIT_POLICY: %s\n", env_or("OMP_WAIT_POLICY", "(unset: libgomp spins)"));
  std::printf("GLIBC_TUNABLES: %s\n", env_or("GLIBC_TUNABLES", "(unset: glibc defaults)"));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

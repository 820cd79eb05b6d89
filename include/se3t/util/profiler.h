// Phase profiler for `se3t bench`: exclusive wall time (and counted FLOPs) per phase of a
// forward pass, and of a backward pass (BackwardPhases). Off by default; when off a scope costs
// one relaxed atomic load.
// Scopes nest: entering an inner scope pauses the outer one, so phases never double count.
// Scopes are meant for the thread that drives the forward pass (ATen's intra-op threads run
// inside them); other threads' scopes are ignored.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace se3t::profiler {

enum class Phase : int {
  kGraph = 0,    // neighbourhood construction, batching
  kBasis,        // relative positions, spherical harmonics, equivariant basis
  kRadial,       // radial MLPs phi(|x|)
  kContraction,  // kernel contraction: basis x features x radial weights, aggregation
  kAttention,    // queries, logits, segment softmax, weighted sums
  kOther,        // self-interaction, norm nonlinearity, pooling, heads
  kCount
};
constexpr std::size_t kNumPhases = static_cast<std::size_t>(Phase::kCount);

const char* phase_name(Phase phase);  // "graph", "basis", "radial", ...

struct Totals {
  std::array<double, kNumPhases> seconds{};
  std::array<double, kNumPhases> flops{};
};

bool enabled();
// Enables profiling for the calling thread (the one that drives forward passes).
void set_enabled(bool on);
void reset();
Totals totals();
// Adds an explicit FLOP count to a phase (only while enabled).
void add_flops(Phase phase, double flops);

class Scope {
 public:
  explicit Scope(Phase phase);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  bool active_ = false;
};

// The backward pass by phase. While tracking (and enabled), every change of this thread's
// innermost phase notes ATen's autograd sequence number, so each autograd node a recording
// forward creates is tagged with the phase whose scope created it. A BackwardPhases scope
// around backward() then charges each node's run (through ATen's RecordFunction callbacks for
// backward functions, which run on the calling thread for CPU tensors) to its node's phase,
// and the engine's time between nodes to kOther: the phases add up to the backward's time.
void track_autograd_nodes(bool on);  // on: forgets the notes of an earlier forward

class BackwardPhases {
 public:
  BackwardPhases();
  ~BackwardPhases();
  BackwardPhases(const BackwardPhases&) = delete;
  BackwardPhases& operator=(const BackwardPhases&) = delete;

 private:
  bool active_ = false;
  uint64_t handle_ = 0;
};

}  // namespace se3t::profiler

#define SE3T_PROFILE_CAT2(a, b) a##b
#define SE3T_PROFILE_CAT(a, b) SE3T_PROFILE_CAT2(a, b)
// SE3T_PROFILE_PHASE(kRadial); charges the rest of the enclosing block to that phase.
#define SE3T_PROFILE_PHASE(phase)                               \
  ::se3t::profiler::Scope SE3T_PROFILE_CAT(se3t_profile_scope_, \
                                           __LINE__)(::se3t::profiler::Phase::phase)

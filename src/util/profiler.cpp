#include "se3t/util/profiler.h"

#include <ATen/SequenceNumber.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace se3t::profiler {

namespace {
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_enabled{false};
std::thread::id g_owner;
std::mutex g_mutex;
Totals g_totals;

struct Frame {
  Phase phase;
  Clock::time_point resumed;
};
thread_local std::vector<Frame> t_stack;

// (first sequence number, phase) of each stretch of autograd nodes the forward created.
bool g_tracking = false;
std::vector<std::pair<uint64_t, Phase>> g_node_phases;

void charge(Frame& frame, Clock::time_point now) {
  const double s = std::chrono::duration<double>(now - frame.resumed).count();
  std::lock_guard<std::mutex> lock(g_mutex);
  g_totals.seconds[static_cast<std::size_t>(frame.phase)] += s;
}

bool owns() {
  return g_enabled.load(std::memory_order_relaxed) && std::this_thread::get_id() == g_owner;
}

// Notes the phase the next autograd nodes belong to (the innermost scope's, else kOther).
void note_phase() {
  if (!g_tracking) return;
  const Phase p = t_stack.empty() ? Phase::kOther : t_stack.back().phase;
  const uint64_t seq = at::sequence_number::peek();
  if (!g_node_phases.empty() && g_node_phases.back().first == seq) {
    g_node_phases.back().second = p;
  } else {
    g_node_phases.emplace_back(seq, p);
  }
}

Phase phase_of_node(int64_t seq) {
  if (seq < 0) return Phase::kOther;  // gradient accumulation and nodes without a number
  const auto it = std::upper_bound(
      g_node_phases.begin(), g_node_phases.end(), static_cast<uint64_t>(seq),
      [](uint64_t s, const std::pair<uint64_t, Phase>& mark) { return s < mark.first; });
  return it == g_node_phases.begin() ? Phase::kOther : std::prev(it)->second;
}

void push(Phase phase) {
  const auto now = Clock::now();
  if (!t_stack.empty()) charge(t_stack.back(), now);
  t_stack.push_back({phase, now});
  note_phase();
}

void pop() {
  const auto now = Clock::now();
  charge(t_stack.back(), now);
  t_stack.pop_back();
  if (!t_stack.empty()) t_stack.back().resumed = now;
  note_phase();
}

struct NodeContext : at::ObserverContext {};

std::unique_ptr<at::ObserverContext> node_started(const at::RecordFunction& fn) {
  if (!owns()) return nullptr;
  push(phase_of_node(fn.seqNr()));
  return std::make_unique<NodeContext>();
}

void node_finished(const at::RecordFunction&, at::ObserverContext* ctx) {
  if (ctx && !t_stack.empty()) pop();
}
}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kGraph:
      return "graph";
    case Phase::kBasis:
      return "basis";
    case Phase::kRadial:
      return "radial";
    case Phase::kContraction:
      return "contraction";
    case Phase::kAttention:
      return "attention";
    case Phase::kOther:
      return "other";
    case Phase::kCount:
      break;
  }
  return "?";
}

bool enabled() {
  return g_enabled.load(std::memory_order_relaxed);
}

void set_enabled(bool on) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_owner = std::this_thread::get_id();
  }
  t_stack.clear();
  g_enabled.store(on, std::memory_order_relaxed);
}

void reset() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_totals = Totals{};
}

Totals totals() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_totals;
}

void add_flops(Phase phase, double flops) {
  if (!owns()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_totals.flops[static_cast<std::size_t>(phase)] += flops;
}

Scope::Scope(Phase phase) {
  if (!owns()) return;
  active_ = true;
  push(phase);
}

Scope::~Scope() {
  if (!active_ || t_stack.empty()) return;
  pop();
}

void track_autograd_nodes(bool on) {
  g_tracking = on;
  if (!on) return;  // the notes stay for the backward
  g_node_phases.clear();
  if (owns()) note_phase();
}

BackwardPhases::BackwardPhases() {
  if (!owns()) return;
  active_ = true;
  g_tracking = false;  // the backward's own nodes (double backward) are not tagged
  push(Phase::kOther);
  handle_ = at::addGlobalCallback(at::RecordFunctionCallback(node_started, node_finished)
                                      .scopes({at::RecordScope::BACKWARD_FUNCTION}));
}

BackwardPhases::~BackwardPhases() {
  if (!active_) return;
  at::removeCallback(handle_);
  if (!t_stack.empty()) pop();
}

}  // namespace se3t::profiler

#include "se3t/util/profiler.h"

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

void charge(Frame& frame, Clock::time_point now) {
  const double s = std::chrono::duration<double>(now - frame.resumed).count();
  std::lock_guard<std::mutex> lock(g_mutex);
  g_totals.seconds[static_cast<std::size_t>(frame.phase)] += s;
}

bool owns() {
  return g_enabled.load(std::memory_order_relaxed) && std::this_thread::get_id() == g_owner;
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
  const auto now = Clock::now();
  if (!t_stack.empty()) charge(t_stack.back(), now);
  t_stack.push_back({phase, now});
}

Scope::~Scope() {
  if (!active_ || t_stack.empty()) return;
  const auto now = Clock::now();
  charge(t_stack.back(), now);
  t_stack.pop_back();
  if (!t_stack.empty()) t_stack.back().resumed = now;
}

}  // namespace se3t::profiler

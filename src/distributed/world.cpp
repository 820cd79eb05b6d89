#include "se3t/distributed/world.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "se3t/util/check.h"

namespace se3t::distributed {
namespace {

// The integer value of an environment variable, or `fallback` when unset.
int env_int(const char* name, int fallback, int lo, int hi) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  SE3T_CHECK(*end == '\0' && value >= lo && value <= hi, "environment variable ", name,
             " must be an integer in [", lo, ", ", hi, "], got '", text, "'");
  return static_cast<int>(value);
}

}  // namespace

World world_from_environment() {
  World w;
  w.size = env_int("WORLD_SIZE", 1, 1, 65536);
  if (w.size == 1) return w;
  SE3T_CHECK(std::getenv("RANK") != nullptr, "WORLD_SIZE is ", w.size,
             " but RANK is not set (each process of a data-parallel job needs its rank)");
  w.rank = env_int("RANK", 0, 0, w.size - 1);
  w.local_rank = env_int("LOCAL_RANK", 0, 0, w.size - 1);
  w.local_size = env_int("LOCAL_WORLD_SIZE", 1, 1, w.size);
  SE3T_CHECK(std::getenv("LOCAL_WORLD_SIZE") == nullptr || w.local_rank < w.local_size,
             "LOCAL_RANK (", w.local_rank, ") must be below LOCAL_WORLD_SIZE (", w.local_size, ")");
  const char* addr = std::getenv("MASTER_ADDR");
  SE3T_CHECK(addr != nullptr && *addr != '\0', "WORLD_SIZE is ", w.size,
             " but MASTER_ADDR (the host of rank 0) is not set");
  w.master_addr = addr;
  w.master_port = env_int("MASTER_PORT", 29500, 1, 65535);
  return w;
}

int64_t threads_per_process(int64_t threads, const World& world) {
  if (threads > 0) return threads;
  const int64_t hw = std::max<int64_t>(1, std::thread::hardware_concurrency());
  return std::max<int64_t>(1, hw / std::max(1, world.local_size));
}

}  // namespace se3t::distributed

#include "se3t/util/memory.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "se3t/util/check.h"

namespace se3t {

int64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 5) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

int64_t available_memory_bytes() {
  // MemAvailable: free memory plus what the kernel can reclaim (page cache).
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t kib = 0;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return physical_memory_bytes();
}

void check_fits_in_memory(double bytes, const std::string& what, const std::string& lower) {
  const int64_t available = available_memory_bytes();
  if (available <= 0) return;
  SE3T_CHECK(bytes <= static_cast<double>(available), what, " needs at least ", format_bytes(bytes),
             ", more than the ", format_bytes(static_cast<double>(available)),
             " of memory available on this machine: ", lower);
}

}  // namespace se3t

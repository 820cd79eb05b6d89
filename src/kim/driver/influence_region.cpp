#include "influence_region.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace se3t::kim {

std::vector<int64_t> influence_region(const double* coordinates, const int* contributing, int64_t n,
                                      double distance) {
  std::vector<int64_t> kept;
  std::array<double, 3> lo, hi;
  lo.fill(std::numeric_limits<double>::infinity());
  hi.fill(-std::numeric_limits<double>::infinity());
  for (int64_t i = 0; i < n; ++i) {
    if (!contributing[i]) continue;
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], coordinates[3 * i + a]);
      hi[a] = std::max(hi[a], coordinates[3 * i + a]);
    }
  }
  if (!(lo[0] <= hi[0])) return kept;  // no contributing particle
  // Cells of side `distance` over the contributing particles' bounding box: a particle's
  // contributing neighbours closer than `distance` lie in its own cell or the 26 around it.
  std::array<int64_t, 3> dims;
  for (int a = 0; a < 3; ++a) {
    dims[a] = static_cast<int64_t>(std::floor((hi[a] - lo[a]) / distance)) + 1;
  }
  auto cell_of = [&](const double* x, int a) {
    return static_cast<int64_t>(std::floor((x[a] - lo[a]) / distance));
  };
  std::vector<int64_t> head(static_cast<size_t>(dims[0] * dims[1] * dims[2]), -1);
  std::vector<int64_t> next(static_cast<size_t>(n), -1);
  for (int64_t i = 0; i < n; ++i) {
    if (!contributing[i]) continue;
    const double* x = coordinates + 3 * i;
    const int64_t c = (cell_of(x, 0) * dims[1] + cell_of(x, 1)) * dims[2] + cell_of(x, 2);
    next[i] = head[c];
    head[c] = i;
  }
  const double d2 = distance * distance;
  for (int64_t i = 0; i < n; ++i) {
    if (contributing[i]) {
      kept.push_back(i);
      continue;
    }
    const double* x = coordinates + 3 * i;
    std::array<int64_t, 3> c;
    bool outside = false;
    for (int a = 0; a < 3; ++a) {
      c[a] = cell_of(x, a);
      outside = outside || c[a] < -1 || c[a] > dims[a];
    }
    bool near = false;
    for (int64_t u = std::max<int64_t>(c[0] - 1, 0);
         !outside && !near && u <= std::min(c[0] + 1, dims[0] - 1); ++u) {
      for (int64_t v = std::max<int64_t>(c[1] - 1, 0);
           !near && v <= std::min(c[1] + 1, dims[1] - 1); ++v) {
        for (int64_t w = std::max<int64_t>(c[2] - 1, 0);
             !near && w <= std::min(c[2] + 1, dims[2] - 1); ++w) {
          for (int64_t j = head[(u * dims[1] + v) * dims[2] + w]; j >= 0 && !near; j = next[j]) {
            const double* y = coordinates + 3 * j;
            const double dx = x[0] - y[0], dy = x[1] - y[1], dz = x[2] - y[2];
            near = dx * dx + dy * dy + dz * dz < d2;
          }
        }
      }
    }
    if (near) kept.push_back(i);
  }
  return kept;
}

}  // namespace se3t::kim

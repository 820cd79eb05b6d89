#include "se3t/util/random.h"

#include <cmath>
#include <limits>

namespace se3t {

uint64_t uniform_below(std::mt19937_64& generator, uint64_t n) {
  const uint64_t limit =
      std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t x;
  do {
    x = generator();
  } while (x >= limit);
  return x % n;
}

void standard_normals(std::mt19937_64& generator, double* out, int64_t n) {
  constexpr double kTwoPi = 6.283185307179586;
  const auto uniform = [&] {  // (0, 1]: log never sees 0
    return static_cast<double>((generator() >> 11) + 1) * 0x1.0p-53;
  };
  for (int64_t i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double phi = kTwoPi * uniform();
    out[i] = r * std::cos(phi);
    if (i + 1 < n) out[i + 1] = r * std::sin(phi);
  }
}

std::mt19937_64 counter_generator(uint64_t seed, uint64_t counter) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32)};
  return std::mt19937_64(seq);
}

}  // namespace se3t

#include "se3t/util/random.h"

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

}  // namespace se3t

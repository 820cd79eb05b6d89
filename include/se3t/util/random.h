// Portable random integers: the same draws with every standard library (std's distributions
// are implementation-defined), so seeded splits and data orders reproduce everywhere.
#pragma once
#include <cstdint>
#include <random>

namespace se3t {

// Uniform in [0, n) by rejection from one 64-bit generator; n >= 1.
uint64_t uniform_below(std::mt19937_64& generator, uint64_t n);

}  // namespace se3t

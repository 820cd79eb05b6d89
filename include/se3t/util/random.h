// Portable random integers: the same draws with every standard library (std's distributions
// are implementation-defined), so seeded splits and data orders reproduce everywhere.
#pragma once
#include <cstdint>
#include <random>

namespace se3t {

// Uniform in [0, n) by rejection from one 64-bit generator; n >= 1.
uint64_t uniform_below(std::mt19937_64& generator, uint64_t n);

// n standard normal draws into out (Box-Muller on 53-bit uniforms in (0, 1]).
void standard_normals(std::mt19937_64& generator, double* out, int64_t n);

// A generator for draw number `counter` of a seeded stream (std::seed_seq of both, fully
// specified by the standard): a run resumed at `counter` draws what the whole run would have.
std::mt19937_64 counter_generator(uint64_t seed, uint64_t counter);

}  // namespace se3t

// Initial velocities: each component drawn from the Maxwell-Boltzmann distribution of its
// atom, v ~ N(0, k_B T / m), then the centre-of-mass velocity removed so the total momentum
// is zero (the system does not drift; 3N - 3 degrees of freedom remain).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace se3t::md {

// Velocities [N, 3] float64 (A/fs) for masses [N] (amu) at temperature_k (>= 0) from `seed`
// (the same draws on every platform, se3t/util/random.h).
at::Tensor maxwell_boltzmann_velocities(const at::Tensor& masses, double temperature_k,
                                        uint64_t seed);

// velocities minus the centre-of-mass velocity sum(m v) / sum(m).
at::Tensor remove_total_momentum(const at::Tensor& velocities, const at::Tensor& masses);

}  // namespace se3t::md

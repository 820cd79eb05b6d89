// Gaussian radial basis expansion of interatomic distances (as in SchNet / DTNN): K Gaussians
// with centres evenly spaced on [0, r_max] and widths equal to their spacing,
//   e_k(r) = exp(-((r - mu_k) / delta)^2),  mu_k = k delta,  delta = r_max / (K - 1).
// Fed to the radial MLPs as scalar edge attributes: a smooth, rotation-invariant encoding of
// |x_ij| that a small MLP resolves far better than the raw distance alone. Differentiable in
// the distance, so forces F = -dE/dx pass through it.
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t {

// distance [E] or [E, 1] -> [E, K]. Throws for K < 2 or r_max <= 0 (or non-finite).
at::Tensor gaussian_radial_basis(const at::Tensor& distance, int64_t num_basis, double r_max);

// Bessel radial basis of DimeNet (Gasteiger et al. 2020, eq. 7) and NequIP, on [0, r_cut]:
//   e_n(r) = sqrt(2 / r_cut) sin(n pi r / r_cut) / r,  n = 1..K,
// the radial solutions of the Helmholtz equation vanishing at r_cut; with the cutoff envelope
// (se3t/nn/cutoff_envelope.h) every input of the radial MLPs goes smoothly to 0 there. At r = 0
// e_n takes its limit n pi sqrt(2 / r_cut) / r_cut. distance [E] or [E, 1] -> [E, K]; throws
// for K < 1 or r_cut <= 0 (or non-finite).
at::Tensor bessel_radial_basis(const at::Tensor& distance, int64_t num_basis, double r_cut);

}  // namespace se3t

// Smooth cutoff envelope of DimeNet (Gasteiger et al. 2020, eq. 8), also used by NequIP:
//   u(d) = 1 - (p+1)(p+2)/2 d^p + p(p+2) d^(p+1) - p(p+1)/2 d^(p+2),  d = r / r_c < 1,
//   u(d) = 0 for d >= 1.
// u(0) = 1, and u, u' and u'' vanish at d = 1, so a message weighted by u(r_ij) fades out as
// an atom leaves the cutoff sphere: energies and forces stay continuous when the radius graph
// loses or gains the edge (docs/design.md, Smooth cutoff).
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t {

// distance [E] or [E, 1] -> the same shape, differentiable in the distance. Throws for
// r_cut <= 0 (or non-finite) or p < 1.
at::Tensor polynomial_envelope(const at::Tensor& distance, double r_cut, int64_t p = 6);

}  // namespace se3t

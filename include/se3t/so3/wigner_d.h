// Real Wigner-D matrices in the basis of se3t's spherical harmonics: Y^l(R v) = D^l(R) Y^l(v).
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t {

// D^l(R) for rotation matrices R [..., 3, 3] -> [..., 2l+1, 2l+1], same dtype and device.
// Defined by Y^l(R v) = D^l(R) Y^l(v): D^l is solved, in float64, from the harmonics of a
// fixed well-spread point set and their rotated images (a least-squares fit that is exact,
// since Y^l spans a (2l+1)-dimensional invariant space). Orthogonal, and a homomorphism:
// D^l(R1 R2) = D^l(R1) D^l(R2).
at::Tensor wigner_D(int64_t l, const at::Tensor& R);

// The same from unit quaternions (w, x, y, z) [..., 4].
at::Tensor wigner_D_from_quaternion(int64_t l, const at::Tensor& q);

// The same from Euler angles in e3nn's convention R = R_y(alpha) R_x(beta) R_y(gamma).
at::Tensor wigner_D_from_angles(int64_t l, const at::Tensor& alpha, const at::Tensor& beta,
                                const at::Tensor& gamma);

// Block-diagonal D of degrees 0..lmax, [..., (lmax+1)^2, (lmax+1)^2], acting on the
// concatenated output of spherical_harmonics(x, lmax).
at::Tensor wigner_D_block(int64_t lmax, const at::Tensor& R);

}  // namespace se3t

// Real spherical harmonics in e3nn's convention (docs/design.md, Conventions).
//
// Y^l(x) equals e3nn's o3.spherical_harmonics(l, x, normalize=True, normalization='component'):
// |Y^l|^2 = 2l+1 on the unit sphere and Y^1(v) = sqrt(3) (v_x, v_y, v_z). e3nn's polar axis is
// y: its Y^l(x, y, z) is the textbook real harmonic (z polar, m = -l..l, no Condon-Shortley
// phase) evaluated at the permuted vector (z, x, y).
#pragma once
#include <ATen/core/Tensor.h>

#include <vector>

namespace se3t {

// Number of components of degrees 0..lmax, (lmax + 1)^2; degree l starts at column l^2.
inline int64_t sh_dim(int64_t lmax) {
  return (lmax + 1) * (lmax + 1);
}

// Y^0..Y^lmax of x/|x| for x of shape [..., 3] (float32 or float64, any device), concatenated
// to [..., (lmax+1)^2]. Differentiable in x by autograd (polynomial recurrence, no tables).
// The zero vector is defined to give Y^0 = 1 and Y^l = 0 for l >= 1 (the value of the solid
// harmonics r^l Y^l at r = 0), with zero gradient: finite, never NaN.
at::Tensor spherical_harmonics(const at::Tensor& x, int64_t lmax);

// The same, one tensor [..., 2l+1] per degree l = 0..lmax (views into one result).
std::vector<at::Tensor> spherical_harmonics_list(const at::Tensor& x, int64_t lmax);

// A single degree l, [..., 2l+1].
at::Tensor spherical_harmonic(int64_t l, const at::Tensor& x);

}  // namespace se3t

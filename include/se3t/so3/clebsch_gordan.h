// Real Clebsch-Gordan (Wigner 3j) tensors in the basis of se3t's real spherical harmonics.
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t {

// True when (l1, l2, l3) satisfy the triangle rule |l1 - l2| <= l3 <= l1 + l2 (all >= 0).
bool triangle(int64_t l1, int64_t l2, int64_t l3);

// C^{l1 l2 l3} of shape (2l1+1, 2l2+1, 2l3+1): the real coupling tensor, invariant under
// D^l1 x D^l2 x D^l3 (sum_abc D1[a,a'] D2[b,b'] D3[c,c'] C[a,b,c] = C[a',b',c']), Frobenius
// norm 1. Computed once per triple from Racah's closed formula for the complex 3j symbols in
// extended precision, turned real by the unitary change of basis to real harmonics, cached,
// and returned as a float64 CPU tensor (a fresh copy; the cache is never exposed).
// Throws se3t::Error when the triangle rule fails: no invariant exists for such degrees.
at::Tensor clebsch_gordan(int64_t l1, int64_t l2, int64_t l3);

// The same converted to the given dtype / device (cached per dtype and device).
at::Tensor clebsch_gordan(int64_t l1, int64_t l2, int64_t l3, const at::TensorOptions& options);

}  // namespace se3t

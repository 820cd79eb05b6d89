// Batched products of many tiny matrices, out[e] = a[e] b[e]: ConvSE3's contraction of each
// edge's source features with its kernel basis (SPEC §3, [C_k, 2k+1] x [2k+1, nJ (2l+1)] per
// edge). LibTorch's CPU bmm runs a dispatcher call per batch entry once a product exceeds ~400
// multiply-adds, which for tens of thousands of edges costs more than the arithmetic; this
// kernel loops over the edges directly, in parallel, with its own backward.
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t::kernels {

// a [E, n, p], b [E, p, q] -> [E, n, q]. CPU only, float32 or float64, one dtype. Differentiable
// wrt a and b; the backward is a kernel too, and falls back to at::bmm formulas when it is
// itself recorded (create_graph).
at::Tensor batched_matmul(const at::Tensor& a, const at::Tensor& b);

// The reference: at::bmm (any device).
at::Tensor batched_matmul_reference(const at::Tensor& a, const at::Tensor& b);

}  // namespace se3t::kernels

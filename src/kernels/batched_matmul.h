// Batched products of many tiny matrices, out[e] = a[e] b[e]: ConvSE3's contraction of each
// edge's source features with its kernel basis ([C_k, 2k+1] x [2k+1, nJ (2l+1)] per edge;
// docs/design.md, Data flow). LibTorch's CPU bmm runs a dispatcher call per batch entry once a
// product exceeds ~400 multiply-adds, which for tens of thousands of edges costs more than the
// arithmetic; this kernel loops over the edges directly, in parallel, with its own backward.
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t::kernels {

// a [E, n, p], b [E, p, q] -> [E, n, q]. CPU only, float32 or float64, one dtype. Differentiable
// wrt a and b; the backward is a kernel too, and falls back to at::bmm formulas when it is
// itself recorded (create_graph).
at::Tensor batched_matmul(const at::Tensor& a, const at::Tensor& b);

// The reference: at::bmm (any device).
at::Tensor batched_matmul_reference(const at::Tensor& a, const at::Tensor& b);

// Several products per edge, stacked side by side: a_i [E, n_i, p_i], b_i [E, p_i, q_i] ->
// [E, sum_i n_i q_i] with row e = [vec(a_0[e] b_0[e]) | vec(a_1[e] b_1[e]) | ...]. ConvSE3
// stacks all input degrees' basis products this way; written in place, it saves at::cat's copy
// of the whole tensor (and of its gradient). CPU only; differentiable like batched_matmul.
at::Tensor batched_matmul_stacked(at::TensorList a, at::TensorList b);

// The reference: at::bmm per product, then at::cat (any device).
at::Tensor batched_matmul_stacked_reference(at::TensorList a, at::TensorList b);

}  // namespace se3t::kernels

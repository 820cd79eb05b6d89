// Fused radial-weight contraction of ConvSE3 (the paper's eq. 8-9, one output degree l at a
// time):
//   out_e[o, m] = sum_c R_e[o, c] X_e[c, m],   R_e[o, c] = sum_h W[o cols + c, h] h_e[h] + b[o cols
//   + c]
// h_e is the last hidden activation of the radial MLP, W / b the rows of its final Linear that
// belong to degree l, X_e the basis-contracted source features of edge e ([cols, 2l+1]).
// The reference composition materialises R for every edge ([E, C_out cols], ~60k values per
// edge for qm9); the fused kernel recomputes R for a few edges at a time in a per-thread buffer
// (forward and backward), so neither R nor its gradient ever exists for all edges.
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t::kernels {

// How the radial layer's products (R = h W^T + b and its gradients dh, dW) are computed:
// in the inputs' dtype, or with h, W and dR rounded to bfloat16 and float32 sums
// (kernels/packed_linear_bf16.h). kBFloat16 applies to float32 inputs on a CPU with
// AVX512-BF16 (bf16_radial_supported()); elsewhere it computes in float32.
enum class RadialArithmetic { kExact, kBFloat16 };

bool bf16_radial_supported();

// hidden [E, H], stacked [E, cols, M], weight [C_out cols, H], bias [C_out cols]
// -> [E, C_out, M]. CPU only, float32 or float64, all the same dtype. Differentiable wrt
// every input, to any order: its backward is a fused kernel too, and a differentiable
// function of its own when recorded (create_graph, e.g. forces); every order uses the
// same precision.
at::Tensor radial_contraction(const at::Tensor& hidden, const at::Tensor& stacked,
                              const at::Tensor& weight, const at::Tensor& bias, int64_t c_out,
                              RadialArithmetic arithmetic);
// The same in the inputs' dtype (kExact).
at::Tensor radial_contraction(const at::Tensor& hidden, const at::Tensor& stacked,
                              const at::Tensor& weight, const at::Tensor& bias, int64_t c_out);

// The same with X given by the basis products that stack into it: sources a_i [E, n_i, p_i]
// and bases b_i [E, p_i, nJ_i M], X = batched_matmul_stacked(a, b).view(E, K, M) with
// K = sum_i n_i nJ_i (kernels/batched_matmul.h). The products are computed per block of edges
// inside the kernel, and their gradients sent back per block, so neither X nor its gradient
// exists for all edges; values equal the two-step composition bit for bit. Differentiable wrt
// hidden, a_i, b_i, weight and bias to any order.
at::Tensor radial_contraction(const at::Tensor& hidden, at::TensorList sources,
                              at::TensorList bases, int64_t M, const at::Tensor& weight,
                              const at::Tensor& bias, int64_t c_out, RadialArithmetic arithmetic);

// The plain LibTorch composition of the same product (the definition the kernel is tested
// against): bmm((hidden W^T + b).view(E, C_out, cols), stacked).
at::Tensor radial_contraction_reference(const at::Tensor& hidden, const at::Tensor& stacked,
                                        const at::Tensor& weight, const at::Tensor& bias,
                                        int64_t c_out);

// FLOPs of one forward (2 per multiply-add): the radial layer 2 E H C_out cols plus the
// contraction 2 E C_out cols M.
double radial_contraction_flops(int64_t E, int64_t H, int64_t c_out, int64_t cols, int64_t M);

}  // namespace se3t::kernels

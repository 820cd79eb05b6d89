// Fused segment softmax and weighted sum of AttentionSE3 (the paper's eq. 10-11), per head h
// and destination node i:
//   alpha_e = softmax over the edges e with dst_e = i of  scale * <q[i, h, :], k[e, h, :]>,
//   out[i, h, :] = sum_{e: dst_e = i} alpha_e v[e, h, :].
// The reference composition gathers q to every edge, runs a scatter-max, an exp, a scatter-sum,
// a division, a product and another scatter-sum, each a pass over [E, H, ...] with its own
// temporary. The kernel sorts the edges by destination once (a counting sort) and then does
// one pass per node: logits, max, exponentials, normalisation and the weighted sum of the
// values, parallel over nodes, so no two threads write the same row and nothing is atomic.
// Its backward is fused the same way: with gA_e = <g_out[i], v_e> + g_alpha_e, the softmax
// gradient is alpha_e (gA_e - sum_e' alpha_e' gA_e'), a per-node sum the node's task owns.
#pragma once
#include <ATen/core/Tensor.h>

namespace se3t::kernels {

struct SegmentAttention {
  at::Tensor out;    // [N, H, M]: rows of nodes without incoming edges are 0
  at::Tensor alpha;  // [E, H] attention weights, summing to 1 over each node's incoming edges
};

// q [N, H, D], k [E, H, D], v [E, H, M], dst [E] int64 in [0, N). CPU only, float32 or float64,
// q, k, v of one dtype. Differentiable wrt q, k, v through both outputs; the backward is a
// fused kernel too, and falls back to the (differentiable) reference formulas when it is
// itself recorded (create_graph, e.g. a loss on forces).
SegmentAttention segment_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const at::Tensor& dst, double scale);

// The plain LibTorch composition (segment_softmax and segment_sum of kernels/segment_ops.h):
// the definition the kernel is tested against. Any device.
SegmentAttention segment_attention_reference(const at::Tensor& q, const at::Tensor& k,
                                             const at::Tensor& v, const at::Tensor& dst,
                                             double scale);

}  // namespace se3t::kernels

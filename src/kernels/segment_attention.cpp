#include "kernels/segment_attention.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/segment_ops.h"
#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"
#include "simd.h"

namespace se3t::kernels {

namespace {

// Nodes per task: a node has tens of incoming edges, each a few hundred multiply-adds.
constexpr int64_t kGrain = 16;

// Edges grouped by destination (a stable counting sort): node i's incoming edges are
// order[offsets[i] .. offsets[i + 1]).
struct Csr {
  at::Tensor offsets;  // [N + 1] int64
  at::Tensor order;    // [E] int64
};

Csr csr_by_destination(const at::Tensor& dst, int64_t N) {
  const int64_t E = dst.size(0);
  Csr c{at::zeros({N + 1}, at::kLong), at::empty({E}, at::kLong)};
  int64_t* off = c.offsets.data_ptr<int64_t>();
  int64_t* order = c.order.data_ptr<int64_t>();
  const int64_t* d = dst.data_ptr<int64_t>();
  for (int64_t e = 0; e < E; ++e) ++off[d[e] + 1];
  for (int64_t i = 0; i < N; ++i) off[i + 1] += off[i];
  std::vector<int64_t> next(off, off + N);
  for (int64_t e = 0; e < E; ++e) order[next[d[e]]++] = e;
  return c;
}

struct Dims {
  int64_t N, E, H, D, M;
};

Dims dims_of(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  return {q.size(0), k.size(0), q.size(1), q.size(2), v.size(2)};
}

template <typename T>
struct ForwardArgs {
  Dims d;
  const int64_t *off, *order;
  const T *q, *k, *v;
  T scale;
  T *out, *alpha;  // out zeroed; alpha: every entry written (each edge has one destination)
};

template <typename T>
SE3T_INLINE void forward_nodes(const ForwardArgs<T>& a, int64_t begin, int64_t end) {
  const Dims& d = a.d;
  for (int64_t i = begin; i < end; ++i) {
    const int64_t first = a.off[i], last = a.off[i + 1];
    for (int64_t h = 0; h < d.H; ++h) {
      const T* qi = a.q + (i * d.H + h) * d.D;
      T mx = -std::numeric_limits<T>::infinity();
      for (int64_t p = first; p < last; ++p) {
        const int64_t eh = a.order[p] * d.H + h;
        const T s = a.scale * simd::dot(qi, a.k + eh * d.D, d.D);
        a.alpha[eh] = s;
        mx = std::max(mx, s);
      }
      T sum = 0;
      for (int64_t p = first; p < last; ++p) {
        T& w = a.alpha[a.order[p] * d.H + h];
        w = std::exp(w - mx);  // the shift keeps exp <= 1: no overflow for large logits
        sum += w;
      }
      const T inv = T(1) / sum;
      T* oi = a.out + (i * d.H + h) * d.M;
      for (int64_t p = first; p < last; ++p) {
        const int64_t eh = a.order[p] * d.H + h;
        a.alpha[eh] *= inv;
        simd::axpy(a.alpha[eh], a.v + eh * d.M, oi, d.M);
      }
    }
  }
}

template <typename T>
struct BackwardArgs {
  Dims d;
  const int64_t *off, *order;
  const T *q, *k, *v, *alpha;
  const T *g_out, *g_alpha;  // either may be null (that output had no gradient)
  T scale;
  T *gq, *gk, *gv, *ga;  // gq zeroed; gk, gv fully written; ga [E, H] scratch
};

// With gA_e = <g_out[i], v_e> + g_alpha_e and s = sum_e alpha_e gA_e over node i's edges:
// dL/dlogit_e = alpha_e (gA_e - s), dL/dv_e = alpha_e g_out[i], and the logit's own products.
template <typename T>
SE3T_INLINE void backward_nodes(const BackwardArgs<T>& a, int64_t begin, int64_t end) {
  const Dims& d = a.d;
  for (int64_t i = begin; i < end; ++i) {
    const int64_t first = a.off[i], last = a.off[i + 1];
    for (int64_t h = 0; h < d.H; ++h) {
      const T* go = a.g_out ? a.g_out + (i * d.H + h) * d.M : nullptr;
      T s = 0;
      for (int64_t p = first; p < last; ++p) {
        const int64_t eh = a.order[p] * d.H + h;
        T g = a.g_alpha ? a.g_alpha[eh] : T(0);
        T* gve = a.gv + eh * d.M;
        if (go) {
          g += simd::dot(go, a.v + eh * d.M, d.M);
          simd::scale_to(a.alpha[eh], go, gve, d.M);
        } else {
          std::fill(gve, gve + d.M, T(0));
        }
        a.ga[eh] = g;
        s += a.alpha[eh] * g;
      }
      const T* qi = a.q + (i * d.H + h) * d.D;
      T* gqi = a.gq + (i * d.H + h) * d.D;
      for (int64_t p = first; p < last; ++p) {
        const int64_t eh = a.order[p] * d.H + h;
        const T gl = a.scale * a.alpha[eh] * (a.ga[eh] - s);
        simd::scale_to(gl, qi, a.gk + eh * d.D, d.D);
        simd::axpy(gl, a.k + eh * d.D, gqi, d.D);
      }
    }
  }
}

SE3T_CLONES void forward_nodes_f(const ForwardArgs<float>& a, int64_t begin, int64_t end) {
  forward_nodes(a, begin, end);
}
SE3T_CLONES void forward_nodes_d(const ForwardArgs<double>& a, int64_t begin, int64_t end) {
  forward_nodes(a, begin, end);
}
SE3T_CLONES void backward_nodes_f(const BackwardArgs<float>& a, int64_t begin, int64_t end) {
  backward_nodes(a, begin, end);
}
SE3T_CLONES void backward_nodes_d(const BackwardArgs<double>& a, int64_t begin, int64_t end) {
  backward_nodes(a, begin, end);
}
void run_nodes(const ForwardArgs<float>& a, int64_t b, int64_t e) {
  forward_nodes_f(a, b, e);
}
void run_nodes(const ForwardArgs<double>& a, int64_t b, int64_t e) {
  forward_nodes_d(a, b, e);
}
void run_nodes(const BackwardArgs<float>& a, int64_t b, int64_t e) {
  backward_nodes_f(a, b, e);
}
void run_nodes(const BackwardArgs<double>& a, int64_t b, int64_t e) {
  backward_nodes_d(a, b, e);
}

// Parallel over destination nodes: a node's task alone writes its rows and its edges' rows.
template <typename Args>
void parallel_nodes(const Args& a) {
  at::parallel_for(0, a.d.N, kGrain, [&](int64_t begin, int64_t end) { run_nodes(a, begin, end); });
}

SegmentAttention fused_forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const Csr& c, double scale) {
  const Dims d = dims_of(q, k, v);
  SegmentAttention r{at::zeros({d.N, d.H, d.M}, q.options()), at::empty({d.E, d.H}, q.options())};
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "segment_attention", [&] {
    parallel_nodes(ForwardArgs<scalar_t>{
        d, c.offsets.data_ptr<int64_t>(), c.order.data_ptr<int64_t>(), q.data_ptr<scalar_t>(),
        k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(), scalar_t(scale), r.out.data_ptr<scalar_t>(),
        r.alpha.data_ptr<scalar_t>()});
  });
  return r;
}

std::vector<at::Tensor> fused_backward(const at::Tensor& q, const at::Tensor& k,
                                       const at::Tensor& v, const at::Tensor& alpha, const Csr& c,
                                       const at::Tensor& g_out, const at::Tensor& g_alpha,
                                       double scale) {
  const Dims d = dims_of(q, k, v);
  at::Tensor gq = at::zeros_like(q), gk = at::empty_like(k), gv = at::empty_like(v);
  const at::Tensor ga = at::empty({d.E, d.H}, q.options());
  const at::Tensor go = g_out.defined() ? g_out.contiguous() : g_out;
  const at::Tensor gal = g_alpha.defined() ? g_alpha.contiguous() : g_alpha;
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "segment_attention_backward", [&] {
    parallel_nodes(BackwardArgs<scalar_t>{
        d, c.offsets.data_ptr<int64_t>(), c.order.data_ptr<int64_t>(), q.data_ptr<scalar_t>(),
        k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(), alpha.data_ptr<scalar_t>(),
        go.defined() ? go.data_ptr<scalar_t>() : nullptr,
        gal.defined() ? gal.data_ptr<scalar_t>() : nullptr, scalar_t(scale),
        gq.data_ptr<scalar_t>(), gk.data_ptr<scalar_t>(), gv.data_ptr<scalar_t>(),
        ga.data_ptr<scalar_t>()});
  });
  return {gq, gk, gv};
}

// The same gradients as differentiable LibTorch operations, used when the backward pass is
// itself recorded (create_graph), so second derivatives stay exact. alpha is recomputed from
// q and k so that its own dependence on them is part of the recorded graph.
std::vector<at::Tensor> reference_backward(const at::Tensor& q, const at::Tensor& k,
                                           const at::Tensor& v, const at::Tensor& dst,
                                           const at::Tensor& g_out, const at::Tensor& g_alpha,
                                           double scale) {
  const int64_t N = q.size(0);
  const at::Tensor alpha = segment_attention_reference(q, k, v, dst, scale).alpha;
  at::Tensor ga = g_alpha.defined() ? g_alpha : at::zeros_like(alpha);
  at::Tensor gv = at::zeros_like(v);
  if (g_out.defined()) {
    const at::Tensor go = g_out.index_select(0, dst);  // [E, H, M]
    gv = alpha.unsqueeze(2) * go;
    ga = ga + (go * v).sum(2);
  }
  const at::Tensor s = segment_sum(alpha * ga, dst, N).index_select(0, dst);
  const at::Tensor gl = (alpha * (ga - s) * scale).unsqueeze(2);  // [E, H, 1]
  return {segment_sum(gl * k, dst, N), gl * q.index_select(0, dst), gv};
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class SegmentAttentionFunction : public torch::autograd::Function<SegmentAttentionFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                               const at::Tensor& v, const at::Tensor& dst, double scale) {
    const at::Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
    const Csr c = csr_by_destination(dst, q.size(0));
    SegmentAttention r = fused_forward(qc, kc, vc, c, scale);
    ctx->save_for_backward({qc, kc, vc, dst, r.alpha});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["offsets"] = c.offsets;
    ctx->saved_data["order"] = c.order;
    return {r.out, r.alpha};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list s = ctx->get_saved_variables();
    const double scale = ctx->saved_data["scale"].toDouble();
    std::vector<at::Tensor> d;
    if (at::GradMode::is_enabled()) {
      d = reference_backward(s[0], s[1], s[2], s[3], grads[0], grads[1], scale);
    } else {
      const Csr c{ctx->saved_data["offsets"].toTensor(), ctx->saved_data["order"].toTensor()};
      d = fused_backward(s[0], s[1], s[2], s[4], c, grads[0], grads[1], scale);
    }
    return {d[0], d[1], d[2], at::Tensor(), at::Tensor()};
  }
};

void check_arguments(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& dst, double scale) {
  const char* where = "segment_attention: ";
  check_floating(q, "segment_attention: q");
  check_floating(k, "segment_attention: k");
  check_floating(v, "segment_attention: v");
  check_shape(q, {-1, -1, -1}, "segment_attention: q [N, H, D]");
  check_shape(k, {-1, q.size(1), q.size(2)}, "segment_attention: k [E, H, D]");
  check_shape(v, {k.size(0), q.size(1), -1}, "segment_attention: v [E, H, M]");
  check_index(dst, "segment_attention: dst");
  SE3T_CHECK(dst.size(0) == k.size(0), where, "dst must have one entry per edge, got ",
             describe(dst), " for ", describe(k));
  SE3T_CHECK(k.scalar_type() == q.scalar_type() && v.scalar_type() == q.scalar_type(), where,
             "q, k and v must share one dtype, got ", describe(q), ", ", describe(k), ", ",
             describe(v));
  SE3T_CHECK(std::isfinite(scale), where, "scale must be finite, got ", scale);
  if (dst.numel() > 0) {
    const int64_t lo = dst.min().item<int64_t>(), hi = dst.max().item<int64_t>();
    SE3T_CHECK(lo >= 0 && hi < q.size(0), where, "dst entries must lie in [0, ", q.size(0),
               "), got [", lo, ", ", hi, "]");
  }
}

}  // namespace

SegmentAttention segment_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const at::Tensor& dst, double scale) {
  check_arguments(q, k, v, dst, scale);
  for (const at::Tensor* t : {&q, &k, &v, &dst}) {
    SE3T_CHECK(t->device().is_cpu(),
               "segment_attention: the fused kernel runs on the CPU only, got a ",
               t->device().str(), " tensor (use the reference path)");
  }
  const variable_list r = SegmentAttentionFunction::apply(q, k, v, dst.contiguous(), scale);
  return {r[0], r[1]};
}

SegmentAttention segment_attention_reference(const at::Tensor& q, const at::Tensor& k,
                                             const at::Tensor& v, const at::Tensor& dst,
                                             double scale) {
  check_arguments(q, k, v, dst, scale);
  const int64_t N = q.size(0);
  const at::Tensor logits = (q.index_select(0, dst) * k).sum(2) * scale;  // [E, H]
  SegmentAttention r;
  r.alpha = segment_softmax(logits, dst, N);
  r.out = segment_sum(v * r.alpha.unsqueeze(2), dst, N);
  return r;
}

}  // namespace se3t::kernels

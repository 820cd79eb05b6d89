#include "kernels/batched_matmul.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "batched_matmul_avx512.h"
#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"
#include "simd.h"
#include "stacked_products.h"

namespace se3t::kernels {

namespace {

// ld: the distance between edges in out and its gradient (n q, or more when several products
// are stacked side by side per edge).
struct Dims {
  int64_t E, n, p, q, ld;
};

// Edges per task, for `work` multiply-adds per edge (tens to thousands).
int64_t grain(int64_t work) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(work, 1));
}

// out[e, i, :] = sum_k a[e, i, k] b[e, k, :]
template <typename T>
SE3T_INLINE void forward_edges(const T* a, const T* b, T* out, const Dims& d, int64_t begin,
                               int64_t end) {
  for (int64_t e = begin; e < end; ++e) {
    const T* ae = a + e * d.n * d.p;
    const T* be = b + e * d.p * d.q;
    T* oe = out + e * d.ld;
    for (int64_t i = 0; i < d.n; ++i) {
      T* row = oe + i * d.q;
      simd::scale_to(ae[i * d.p], be, row, d.q);
      for (int64_t k = 1; k < d.p; ++k) simd::axpy(ae[i * d.p + k], be + k * d.q, row, d.q);
    }
  }
}

// da[e] = g[e] b[e]^T, db[e] = a[e]^T g[e] (either output may be null: not needed).
template <typename T>
SE3T_INLINE void backward_edges(const T* a, const T* b, const T* g, T* da, T* db, const Dims& d,
                                int64_t begin, int64_t end) {
  for (int64_t e = begin; e < end; ++e) {
    const T* ae = a + e * d.n * d.p;
    const T* be = b + e * d.p * d.q;
    const T* ge = g + e * d.ld;
    if (da) {
      T* dae = da + e * d.n * d.p;
      for (int64_t i = 0; i < d.n; ++i)
        for (int64_t k = 0; k < d.p; ++k)
          dae[i * d.p + k] = simd::dot(ge + i * d.q, be + k * d.q, d.q);
    }
    if (db) {
      T* dbe = db + e * d.p * d.q;
      for (int64_t k = 0; k < d.p; ++k) {
        T* row = dbe + k * d.q;
        simd::scale_to(ae[k], ge, row, d.q);
        for (int64_t i = 1; i < d.n; ++i) simd::axpy(ae[i * d.p + k], ge + i * d.q, row, d.q);
      }
    }
  }
}

SE3T_CLONES void forward_f(const float* a, const float* b, float* out, const Dims& d, int64_t s,
                           int64_t t) {
  forward_edges(a, b, out, d, s, t);
}
SE3T_CLONES void forward_d(const double* a, const double* b, double* out, const Dims& d, int64_t s,
                           int64_t t) {
  forward_edges(a, b, out, d, s, t);
}
SE3T_CLONES void backward_f(const float* a, const float* b, const float* g, float* da, float* db,
                            const Dims& d, int64_t s, int64_t t) {
  backward_edges(a, b, g, da, db, d, s, t);
}
SE3T_CLONES void backward_d(const double* a, const double* b, const double* g, double* da,
                            double* db, const Dims& d, int64_t s, int64_t t) {
  backward_edges(a, b, g, da, db, d, s, t);
}
// The AVX-512 kernels where they apply (p = 2k + 1 <= 7), the portable loops elsewhere.
bool use_avx512(const Dims& d) {
  return avx512::supported() && avx512::handles(d.p);
}
void forward_any(const float* a, const float* b, float* out, const Dims& d, int64_t s, int64_t t) {
  if (use_avx512(d)) return avx512::matmul_edges(a, b, out, d.n, d.p, d.q, d.ld, s, t);
  forward_f(a, b, out, d, s, t);
}
void forward_any(const double* a, const double* b, double* out, const Dims& d, int64_t s,
                 int64_t t) {
  if (use_avx512(d)) return avx512::matmul_edges(a, b, out, d.n, d.p, d.q, d.ld, s, t);
  forward_d(a, b, out, d, s, t);
}
void backward_any(const float* a, const float* b, const float* g, float* da, float* db,
                  const Dims& d, int64_t s, int64_t t) {
  if (use_avx512(d))
    return avx512::matmul_edges_backward(a, b, g, da, db, d.n, d.p, d.q, d.ld, s, t);
  backward_f(a, b, g, da, db, d, s, t);
}
void backward_any(const double* a, const double* b, const double* g, double* da, double* db,
                  const Dims& d, int64_t s, int64_t t) {
  if (use_avx512(d))
    return avx512::matmul_edges_backward(a, b, g, da, db, d.n, d.p, d.q, d.ld, s, t);
  backward_d(a, b, g, da, db, d, s, t);
}

}  // namespace

// ---- several products per edge, stacked: out[e] = [a_0[e] b_0[e] | a_1[e] b_1[e] | ...] ----
// One output tensor written in place, so ConvSE3 needs no at::cat (a copy of the whole
// stacked tensor into fresh memory, and another of its gradient in the backward). A single
// product (batched_matmul) is the stack of one. The loops run per block of edges
// (kernels/stacked_products.h), so the fused radial contraction can run them on its own blocks.
namespace stacked {

Layout layout_of(at::TensorList a, at::TensorList b) {
  Layout layout;
  for (size_t i = 0; i < a.size(); ++i) {
    const int64_t n = a[i].size(1), p = a[i].size(2), q = b[i].size(2);
    layout.products.push_back({n, p, q, layout.width});
    layout.width += n * q;
    layout.work += n * p * q;
  }
  return layout;
}

namespace {

template <typename T>
void forward_block_any(const Layout& layout, const T* const* a, const T* const* b, T* out,
                       int64_t e0, int64_t nb) {
  for (size_t i = 0; i < layout.products.size(); ++i) {
    const Product& pr = layout.products[i];
    if (pr.n == 0 || pr.q == 0) continue;
    if (pr.p == 0) {  // empty sums
      for (int64_t e = 0; e < nb; ++e)
        std::fill_n(out + e * layout.width + pr.offset, pr.n * pr.q, T(0));
      continue;
    }
    forward_any(a[i] + e0 * pr.n * pr.p, b[i] + e0 * pr.p * pr.q, out + pr.offset,
                Dims{nb, pr.n, pr.p, pr.q, layout.width}, 0, nb);
  }
}

template <typename T>
void backward_block_any(const Layout& layout, const T* const* a, const T* const* b, const T* g,
                        T* const* da, T* const* db, int64_t e0, int64_t nb) {
  for (size_t i = 0; i < layout.products.size(); ++i) {
    const Product& pr = layout.products[i];
    T* dai = da && da[i] ? da[i] + e0 * pr.n * pr.p : nullptr;
    T* dbi = db && db[i] ? db[i] + e0 * pr.p * pr.q : nullptr;
    if (pr.n == 0 || pr.q == 0 || pr.p == 0) {  // empty sums
      if (dai) std::fill_n(dai, nb * pr.n * pr.p, T(0));
      if (dbi) std::fill_n(dbi, nb * pr.p * pr.q, T(0));
      continue;
    }
    if (!dai && !dbi) continue;
    backward_any(a[i] + e0 * pr.n * pr.p, b[i] + e0 * pr.p * pr.q, g + pr.offset, dai, dbi,
                 Dims{nb, pr.n, pr.p, pr.q, layout.width}, 0, nb);
  }
}

}  // namespace

void forward_block(const Layout& layout, const float* const* a, const float* const* b, float* out,
                   int64_t e0, int64_t nb) {
  forward_block_any(layout, a, b, out, e0, nb);
}
void forward_block(const Layout& layout, const double* const* a, const double* const* b,
                   double* out, int64_t e0, int64_t nb) {
  forward_block_any(layout, a, b, out, e0, nb);
}
void backward_block(const Layout& layout, const float* const* a, const float* const* b,
                    const float* g, float* const* da, float* const* db, int64_t e0, int64_t nb) {
  backward_block_any(layout, a, b, g, da, db, e0, nb);
}
void backward_block(const Layout& layout, const double* const* a, const double* const* b,
                    const double* g, double* const* da, double* const* db, int64_t e0, int64_t nb) {
  backward_block_any(layout, a, b, g, da, db, e0, nb);
}

}  // namespace stacked

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Data pointers of tensors (null for an undefined one), for the block loops.
template <typename T>
std::vector<T*> pointers(at::TensorList ts) {
  std::vector<T*> p;
  for (const at::Tensor& t : ts)
    p.push_back(t.defined() ? t.data_ptr<std::remove_const_t<T>>() : nullptr);
  return p;
}

class StackedMatmulFunction : public torch::autograd::Function<StackedMatmulFunction> {
 public:
  // ab = [a_0 .. a_{P-1}, b_0 .. b_{P-1}]
  static at::Tensor forward(AutogradContext* ctx, at::TensorList ab) {
    std::vector<at::Tensor> c;
    for (const at::Tensor& t : ab) c.push_back(t.contiguous());
    ctx->save_for_backward(c);
    const size_t P = c.size() / 2;
    const at::TensorList all(c);
    const stacked::Layout layout = stacked::layout_of(all.slice(0, P), all.slice(P));
    const int64_t E = c[0].size(0);
    at::Tensor out = at::empty({E, layout.width}, c[0].options());
    if (out.numel() == 0) return out;
    AT_DISPATCH_FLOATING_TYPES(out.scalar_type(), "batched_matmul_stacked", [&] {
      const std::vector<const scalar_t*> p = pointers<const scalar_t>(all);
      scalar_t* po = out.data_ptr<scalar_t>();
      at::parallel_for(0, E, grain(layout.work), [&](int64_t s, int64_t t) {
        stacked::forward_block(layout, p.data(), p.data() + P, po + s * layout.width, s, t - s);
      });
    });
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list s = ctx->get_saved_variables();
    const size_t P = s.size() / 2;
    const at::TensorList all(s);
    const stacked::Layout layout = stacked::layout_of(all.slice(0, P), all.slice(P));
    const int64_t E = s[0].size(0);
    const at::Tensor g = grads[0].contiguous();
    variable_list out(2 * P);
    if (at::GradMode::is_enabled()) {  // recorded: differentiable formulas
      for (size_t i = 0; i < P; ++i) {
        const stacked::Product& pr = layout.products[i];
        const at::Tensor gi = g.narrow(1, pr.offset, pr.n * pr.q).reshape({E, pr.n, pr.q});
        out[i] = at::bmm(gi, s[P + i].transpose(1, 2));
        out[P + i] = at::bmm(s[i].transpose(1, 2), gi);
      }
      return out;
    }
    for (size_t i = 0; i < 2 * P; ++i) {
      if (ctx->needs_input_grad(i)) out[i] = at::empty_like(s[i]);  // empty sums: zeroed below
    }
    if (E == 0) return out;
    AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "batched_matmul_stacked_backward", [&] {
      const std::vector<const scalar_t*> p = pointers<const scalar_t>(all);
      const std::vector<scalar_t*> d = pointers<scalar_t>(out);
      const scalar_t* pg = g.data_ptr<scalar_t>();
      at::parallel_for(0, E, grain(layout.work), [&](int64_t b, int64_t e) {
        stacked::backward_block(layout, p.data(), p.data() + P, pg + b * layout.width, d.data(),
                                d.data() + P, b, e - b);
      });
    });
    return out;
  }
};

void check_arguments(const at::Tensor& a, const at::Tensor& b) {
  check_floating(a, "batched_matmul: a");
  check_floating(b, "batched_matmul: b");
  check_shape(a, {-1, -1, -1}, "batched_matmul: a [E, n, p]");
  check_shape(b, {a.size(0), a.size(2), -1}, "batched_matmul: b [E, p, q]");
  SE3T_CHECK(a.scalar_type() == b.scalar_type(),
             "batched_matmul: a and b must share one dtype, got ", describe(a), " and ",
             describe(b));
}

}  // namespace

at::Tensor batched_matmul(const at::Tensor& a, const at::Tensor& b) {
  check_arguments(a, b);
  SE3T_CHECK(a.device().is_cpu() && b.device().is_cpu(),
             "batched_matmul: the kernel runs on the CPU only, got ", a.device().str(), " and ",
             b.device().str(), " tensors (use the reference path)");
  const std::vector<at::Tensor> ab = {a, b};
  return StackedMatmulFunction::apply(at::TensorList(ab)).view({a.size(0), a.size(1), b.size(2)});
}

at::Tensor batched_matmul_reference(const at::Tensor& a, const at::Tensor& b) {
  check_arguments(a, b);
  return at::bmm(a, b);
}

namespace {
void check_stacked(at::TensorList a, at::TensorList b) {
  SE3T_CHECK(!a.empty() && a.size() == b.size(),
             "batched_matmul_stacked: needs as many b as a (at least one), got ", a.size(), " and ",
             b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    check_arguments(a[i], b[i]);
    SE3T_CHECK(a[i].size(0) == a[0].size(0) && a[i].scalar_type() == a[0].scalar_type(),
               "batched_matmul_stacked: every product needs the same edges and dtype, got ",
               describe(a[0]), " and ", describe(a[i]));
  }
}
}  // namespace

at::Tensor batched_matmul_stacked(at::TensorList a, at::TensorList b) {
  check_stacked(a, b);
  std::vector<at::Tensor> ab(a.begin(), a.end());
  ab.insert(ab.end(), b.begin(), b.end());
  for (const at::Tensor& t : ab) {
    SE3T_CHECK(t.device().is_cpu(),
               "batched_matmul_stacked: the kernel runs on the CPU only, got a ", t.device().str(),
               " tensor (use the reference path)");
  }
  return StackedMatmulFunction::apply(at::TensorList(ab));
}

at::Tensor batched_matmul_stacked_reference(at::TensorList a, at::TensorList b) {
  check_stacked(a, b);
  std::vector<at::Tensor> parts;
  for (size_t i = 0; i < a.size(); ++i) parts.push_back(at::bmm(a[i], b[i]).flatten(1));
  return at::cat(parts, 1);
}

}  // namespace se3t::kernels

// The radial contraction fed by the basis products (the stacked features X made per block of
// edges inside the kernel) against the two-step composition it replaces, batched_matmul_stacked
// then radial_contraction: equal bit for bit in float32 and float64 (values and gradients, one
// and two threads, AVX-512 and portable loops); against the reference composition to 1e-12 in
// float64, first and second derivatives (forces differentiate through the basis); and its
// error paths.
#include <gtest/gtest.h>

#include <torch/autograd.h>
#include <torch/utils.h>

#include "common/expect_error.h"
#include "common/testing.h"
#include "kernels/batched_matmul.h"
#include "kernels/guards.h"
#include "kernels/radial_contraction.h"

namespace se3t {
namespace {

using testing::relative_error;

// Input degrees k (p = 2k + 1, n channels each) and the output degree l (M = 2l + 1): a product
// per input degree with nJ = 2 min(k, l) + 1, as ConvSE3 stacks them.
struct Problem {
  int64_t E, H, c_out, M;
  std::vector<std::pair<int64_t, int64_t>> inputs;  // (n, p)
};

int64_t num_J(int64_t p, int64_t M) {
  return std::min(p, M);
}

// Sizes: no edges, one edge, every M of the degrees 0-3 and one beyond (M = 9: the per-edge
// loops without AVX-512), channel counts that are not a multiple of a vector (column tails),
// and more edges than one block holds (several blocks and tasks).
const std::vector<Problem> kProblems = {
    {0, 4, 3, 3, {{2, 1}, {3, 3}}},
    {1, 3, 1, 1, {{1, 1}}},
    {23, 8, 4, 3, {{16, 1}, {16, 3}, {16, 5}, {16, 7}}},
    {17, 16, 8, 7, {{16, 1}, {16, 3}, {16, 5}, {16, 7}}},
    {9, 5, 3, 5, {{3, 1}, {5, 3}, {2, 5}}},
    {11, 6, 2, 9, {{4, 3}, {3, 7}}},
    {700, 8, 4, 5, {{8, 1}, {8, 3}, {8, 5}}},
};

struct Inputs {
  at::Tensor h, W, b, proj;
  std::vector<at::Tensor> a, bases;
  int64_t K = 0;
};

Inputs make_inputs(const Problem& p, at::ScalarType dtype, uint64_t seed) {
  auto gen = testing::make_generator(seed);
  auto rnd = [&](std::vector<int64_t> sizes) {
    return at::randn(sizes, gen, at::kDouble).to(dtype).requires_grad_();
  };
  Inputs in;
  for (const auto& [n, pp] : p.inputs) {
    const int64_t q = num_J(pp, p.M) * p.M;
    in.a.push_back(rnd({p.E, n, pp}));
    in.bases.push_back(rnd({p.E, pp, q}));
    in.K += n * num_J(pp, p.M);
  }
  in.h = rnd({p.E, p.H});
  in.W = rnd({p.c_out * in.K, p.H});
  in.b = rnd({p.c_out * in.K});
  in.proj = at::randn({p.E, p.c_out, p.M}, gen, at::kDouble).to(dtype);
  return in;
}

using Contraction = std::function<at::Tensor(const Inputs&, const Problem&)>;

at::Tensor fused(const Inputs& in, const Problem& p) {
  return kernels::radial_contraction(in.h, in.a, in.bases, p.M, in.W, in.b, p.c_out,
                                     kernels::RadialArithmetic::kExact);
}

at::Tensor two_steps(const Inputs& in, const Problem& p) {
  const at::Tensor X = kernels::batched_matmul_stacked(in.a, in.bases).view({p.E, in.K, p.M});
  return kernels::radial_contraction(in.h, X, in.W, in.b, p.c_out);
}

at::Tensor reference(const Inputs& in, const Problem& p) {
  const at::Tensor X =
      kernels::batched_matmul_stacked_reference(in.a, in.bases).view({p.E, in.K, p.M});
  return kernels::radial_contraction_reference(in.h, X, in.W, in.b, p.c_out);
}

std::vector<at::Tensor> wrt(const Inputs& in) {
  std::vector<at::Tensor> x = {in.h, in.W, in.b};
  x.insert(x.end(), in.a.begin(), in.a.end());
  x.insert(x.end(), in.bases.begin(), in.bases.end());
  return x;
}

// Output and gradients wrt (h, W, b, a_i, b_i) of sum(out * proj).
std::vector<at::Tensor> run(const Contraction& op, const Inputs& in, const Problem& p) {
  const at::Tensor out = op(in, p);
  std::vector<at::Tensor> r = {out.detach()};
  for (const at::Tensor& g :
       torch::autograd::grad({(out * in.proj).sum()}, wrt(in), {}, false, false, true))
    r.push_back(g);
  return r;
}

std::string label(const Problem& p) {
  return "E=" + std::to_string(p.E) + " H=" + std::to_string(p.H) +
         " C=" + std::to_string(p.c_out) + " M=" + std::to_string(p.M) +
         " products=" + std::to_string(p.inputs.size());
}

void expect_equal(const std::vector<at::Tensor>& f, const std::vector<at::Tensor>& r,
                  const std::string& what) {
  ASSERT_EQ(f.size(), r.size()) << what;
  for (size_t i = 0; i < r.size(); ++i) {
    ASSERT_TRUE(f[i].defined() && r[i].defined()) << what << " " << i;
    EXPECT_TRUE(at::equal(f[i], r[i])) << what << " entry " << i << ": largest difference "
                                       << (f[i] - r[i]).abs().max().item<double>();
  }
}

void expect_close(const std::vector<at::Tensor>& f, const std::vector<at::Tensor>& r, double tol,
                  const std::string& what) {
  ASSERT_EQ(f.size(), r.size()) << what;
  for (size_t i = 0; i < r.size(); ++i) {
    ASSERT_TRUE(f[i].defined() && r[i].defined()) << what << " " << i;
    if (r[i].numel() == 0) continue;
    EXPECT_LT(relative_error(f[i].to(at::kDouble), r[i].to(at::kDouble)), tol)
        << what << " entry " << i;
  }
}

TEST(RadialContractionOfProducts, EqualsTheTwoStepsBitForBit) {
  uint64_t seed = 1;
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    for (int threads : {1, 2}) {
      testing::ThreadsGuard guard(threads);
      for (const Problem& p : kProblems) {
        const Inputs in = make_inputs(p, dtype, seed++);
        expect_equal(run(fused, in, p), run(two_steps, in, p),
                     label(p) + " " + c10::toString(dtype) + " threads " + std::to_string(threads));
      }
    }
  }
}

TEST(RadialContractionOfProducts, EqualsTheTwoStepsOnThePortableLoops) {
  testing::PortableLoops portable;
  uint64_t seed = 30;
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    for (const Problem& p : kProblems) {
      const Inputs in = make_inputs(p, dtype, seed++);
      expect_equal(run(fused, in, p), run(two_steps, in, p), label(p));
    }
  }
}

// bfloat16 radial weights: the same rounded products either way.
TEST(RadialContractionOfProducts, EqualsTheTwoStepsWithBF16RadialWeights) {
  if (!kernels::bf16_radial_supported()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  const auto bf16 = kernels::RadialArithmetic::kBFloat16;
  uint64_t seed = 40;
  for (const Problem& p : kProblems) {
    const Inputs in = make_inputs(p, at::kFloat, seed++);
    const Contraction fused_bf16 = [&](const Inputs& x, const Problem& q) {
      return kernels::radial_contraction(x.h, x.a, x.bases, q.M, x.W, x.b, q.c_out, bf16);
    };
    const Contraction two_steps_bf16 = [&](const Inputs& x, const Problem& q) {
      const at::Tensor X = kernels::batched_matmul_stacked(x.a, x.bases).view({q.E, x.K, q.M});
      return kernels::radial_contraction(x.h, X, x.W, x.b, q.c_out, bf16);
    };
    const auto f = run(fused_bf16, in, p);
    expect_equal(f, run(two_steps_bf16, in, p), label(p));
    if (p.E > 0) {
      EXPECT_FALSE(at::equal(f[0], run(fused, in, p)[0])) << "rounded: " << label(p);
    }
  }
}

TEST(RadialContractionOfProducts, MatchesReferenceFloat64) {
  uint64_t seed = 50;
  for (const Problem& p : kProblems) {
    const Inputs in = make_inputs(p, at::kDouble, seed++);
    expect_close(run(fused, in, p), run(reference, in, p), 1e-12, label(p));
  }
}

// The AVX-512 per-edge backward (X and dX moved between rows and columns in registers) against
// the portable loops (through scratch): the same sums in the same order.
TEST(RadialContractionOfProducts, Avx512MatchesThePortableLoops) {
  uint64_t seed = 70;
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    for (const Problem& p : kProblems) {
      const Inputs in = make_inputs(p, dtype, seed++);
      const auto fast = run(fused, in, p);
      testing::PortableLoops portable;
      expect_close(fast, run(fused, in, p), dtype == at::kFloat ? 1e-6 : 1e-14, label(p));
    }
  }
}

// Forces differentiate the backward: second derivatives of |dL/db_i|^2 + |dL/da_i|^2 (the basis
// carries the positions) wrt every input, against the reference composition.
TEST(RadialContractionOfProducts, SecondDerivativesMatchReference) {
  for (const Problem& p : {kProblems[4], kProblems[2], kProblems[0]}) {
    const Inputs in = make_inputs(p, at::kDouble, 90);
    auto second = [&](const Contraction& op) {
      const at::Tensor loss = (op(in, p) * in.proj).sum();
      std::vector<at::Tensor> first = in.bases;
      first.insert(first.end(), in.a.begin(), in.a.end());
      first.push_back(in.h);
      const auto g = torch::autograd::grad({loss}, first, {}, true, true, true);
      at::Tensor z = at::zeros({}, in.h.options());
      for (const at::Tensor& t : g) z = z + t.pow(2).sum();
      std::vector<at::Tensor> r = {z.detach()};
      for (const at::Tensor& t : torch::autograd::grad({z}, wrt(in), {}, false, false, true))
        r.push_back(t.defined() ? t : at::zeros({0}, in.h.options()));
      return r;
    };
    const auto f = second(fused), r = second(reference);
    ASSERT_EQ(f.size(), r.size());
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i].numel() == 0 || r[i].abs().max().item<double>() == 0) {
        EXPECT_EQ(f[i].numel() == 0 ? 0.0 : f[i].abs().max().item<double>(), 0)
            << label(p) << " entry " << i;
        continue;
      }
      EXPECT_LT(relative_error(f[i], r[i]), 1e-12) << label(p) << " entry " << i;
    }
  }
}

TEST(RadialContractionOfProducts, RejectsBadArguments) {
  const Problem p = kProblems[4];
  const Inputs in = make_inputs(p, at::kDouble, 95);
  auto call = [&](std::vector<at::Tensor> a, std::vector<at::Tensor> b, int64_t M,
                  const at::Tensor& W, int64_t c_out) {
    kernels::radial_contraction(in.h, a, b, M, W, in.b, c_out, kernels::RadialArithmetic::kExact);
  };
  EXPECT_NO_THROW(call(in.a, in.bases, p.M, in.W, p.c_out));
  std::vector<at::Tensor> fewer(in.bases.begin(), in.bases.end() - 1);
  testing::expect_error([&] { call(in.a, fewer, p.M, in.W, p.c_out); }, {"as many bases"});
  testing::expect_error([&] { call({}, {}, p.M, in.W, p.c_out); }, {"at least one"});
  testing::expect_error([&] { call(in.a, in.bases, 3, in.W, p.c_out); }, {"multiple of M"});
  testing::expect_error([&] { call(in.a, in.bases, 0, in.W, p.c_out); }, {"M must be"});
  testing::expect_error([&] { call(in.a, in.bases, p.M, in.W, p.c_out + 1); }, {"weight"});
  std::vector<at::Tensor> short_a = in.a;
  short_a[0] = short_a[0].narrow(0, 0, 3);
  testing::expect_error([&] { call(short_a, in.bases, p.M, in.W, p.c_out); }, {"source"});
  std::vector<at::Tensor> wrong_p = in.bases;
  wrong_p[1] = wrong_p[1].narrow(1, 0, 2);
  testing::expect_error([&] { call(in.a, wrong_p, p.M, in.W, p.c_out); }, {"basis"});
  std::vector<at::Tensor> as_float = in.a;
  as_float[0] = as_float[0].to(at::kFloat);
  testing::expect_error([&] { call(as_float, in.bases, p.M, in.W, p.c_out); }, {"dtype"});
  std::vector<at::Tensor> on_meta = in.bases;
  on_meta[0] =
      at::empty(on_meta[0].sizes(), at::TensorOptions().dtype(at::kDouble).device(at::kMeta));
  testing::expect_error([&] { call(in.a, on_meta, p.M, in.W, p.c_out); }, {"CPU only"});
}

}  // namespace
}  // namespace se3t

// The fused segment softmax + weighted sum against its reference composition (values and
// gradients through both outputs, float64 to 1e-12, float32 to 1e-5, one and two threads,
// second derivatives), against central finite differences and a hand example, with nodes
// that have no incoming edges, huge logits and bad arguments; and the path switch of
// AttentionSE3.
#include <gtest/gtest.h>

#include <torch/autograd.h>
#include <torch/utils.h>

#include <cmath>

#include "common/expect_error.h"
#include "common/testing.h"
#include "kernels/guards.h"
#include "kernels/segment_attention.h"
#include "nn/nn_testing.h"
#include "se3t/nn/attention_se3.h"

namespace se3t {
namespace {

using testing::relative_error;

struct Problem {
  int64_t N, E, H, D, M;
};

struct Inputs {
  at::Tensor q, k, v, dst;
  at::Tensor proj_out, proj_alpha;  // fixed random projections: the loss is linear in both
};

// Destinations drawn from the first N - 2 nodes only, so the last two nodes have no incoming
// edges (empty neighbourhoods) whenever N > 2.
Inputs make_inputs(const Problem& p, at::ScalarType dtype, uint64_t seed) {
  auto gen = testing::make_generator(seed);
  auto rnd = [&](std::vector<int64_t> sizes) {
    return at::randn(sizes, gen, at::kDouble).to(dtype).requires_grad_();
  };
  Inputs in{rnd({p.N, p.H, p.D}), rnd({p.E, p.H, p.D}), rnd({p.E, p.H, p.M}),
            at::Tensor(),         at::Tensor(),         at::Tensor()};
  const int64_t targets = std::max<int64_t>(p.N - 2, 1);
  in.dst = at::randint(targets, {p.E}, gen, at::kLong);
  in.proj_out = at::randn({p.N, p.H, p.M}, gen, at::kDouble).to(dtype);
  in.proj_alpha = at::randn({p.E, p.H}, gen, at::kDouble).to(dtype);
  return in;
}

using Op = kernels::SegmentAttention (*)(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                         const at::Tensor&, double);

// out, alpha and the gradients wrt (q, k, v) of sum(out proj_out) + sum(alpha proj_alpha).
std::vector<at::Tensor> run(Op op, const Inputs& in, double scale) {
  const kernels::SegmentAttention r = op(in.q, in.k, in.v, in.dst, scale);
  const at::Tensor loss = (r.out * in.proj_out).sum() + (r.alpha * in.proj_alpha).sum();
  const auto g = torch::autograd::grad({loss}, {in.q, in.k, in.v}, {}, false, false, true);
  return {r.out.detach(), r.alpha.detach(), g[0], g[1], g[2]};
}

void expect_match(const std::vector<at::Tensor>& fused, const std::vector<at::Tensor>& ref,
                  double tol, const std::string& what) {
  const char* names[] = {"out", "alpha", "dq", "dk", "dv"};
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_TRUE(fused[i].defined()) << what << " " << names[i];
    ASSERT_EQ(fused[i].sizes(), ref[i].sizes()) << what << " " << names[i];
    EXPECT_EQ(fused[i].scalar_type(), ref[i].scalar_type()) << what << " " << names[i];
    if (ref[i].numel() == 0) continue;
    EXPECT_TRUE(at::isfinite(fused[i]).all().item<bool>()) << what << " " << names[i];
    if (ref[i].abs().max().item<double>() == 0) {
      EXPECT_EQ(fused[i].abs().max().item<double>(), 0) << what << " " << names[i];
      continue;
    }
    EXPECT_LT(relative_error(fused[i].to(at::kDouble), ref[i].to(at::kDouble)), tol)
        << what << " " << names[i];
  }
}

// E = 0, one edge, one head, scalars only (M = 1), many edges per node, degree-3-sized heads.
const std::vector<Problem> kProblems = {{3, 0, 2, 4, 5},
                                        {2, 1, 1, 1, 1},
                                        {5, 40, 2, 3, 1},
                                        {40, 300, 4, 8, 24},
                                        {200, 2000, 8, 12, 33}};

std::string label(const Problem& p) {
  return "N=" + std::to_string(p.N) + " E=" + std::to_string(p.E) + " H=" + std::to_string(p.H) +
         " D=" + std::to_string(p.D) + " M=" + std::to_string(p.M);
}

TEST(SegmentAttention, MatchesReferenceFloat64) {
  uint64_t seed = 1;
  for (const Problem& p : kProblems) {
    const Inputs in = make_inputs(p, at::kDouble, seed++);
    expect_match(run(kernels::segment_attention, in, 0.7),
                 run(kernels::segment_attention_reference, in, 0.7), 1e-12, label(p));
  }
}

TEST(SegmentAttention, MatchesReferenceFloat64TwoThreads) {
  testing::ThreadsGuard threads(2);
  uint64_t seed = 20;
  for (const Problem& p : kProblems) {
    const Inputs in = make_inputs(p, at::kDouble, seed++);
    expect_match(run(kernels::segment_attention, in, 0.5),
                 run(kernels::segment_attention_reference, in, 0.5), 1e-12, label(p));
  }
}

TEST(SegmentAttention, MatchesReferenceFloat32) {
  uint64_t seed = 40;
  for (const Problem& p : kProblems) {
    const Inputs in = make_inputs(p, at::kFloat, seed++);
    expect_match(run(kernels::segment_attention, in, 0.5),
                 run(kernels::segment_attention_reference, in, 0.5), 1e-5, label(p));
  }
}

TEST(SegmentAttention, EmptyNeighbourhoodsGetZeroAndWeightsSumToOne) {
  const Problem p{30, 200, 3, 4, 6};
  const Inputs in = make_inputs(p, at::kDouble, 50);
  torch::NoGradGuard ng;
  const kernels::SegmentAttention r = kernels::segment_attention(in.q, in.k, in.v, in.dst, 1.0);
  EXPECT_EQ(r.out.narrow(0, p.N - 2, 2).abs().max().item<double>(), 0.0);
  const at::Tensor sums = at::zeros({p.N, p.H}, at::kDouble).index_add(0, in.dst, r.alpha);
  const at::Tensor has_edges = at::zeros({p.N}, at::kDouble)
                                   .index_add(0, in.dst, at::ones({p.E}, at::kDouble))
                                   .gt(0)
                                   .to(at::kDouble)
                                   .unsqueeze(1)
                                   .expand({p.N, p.H});
  EXPECT_LT(relative_error(sums, has_edges), 1e-14);
}

TEST(SegmentAttention, HugeLogitsDoNotOverflow) {
  // Logits of order 1e4 overflow exp() unless the per-node maximum is subtracted first.
  const Problem p{6, 30, 2, 4, 3};
  const Inputs in = make_inputs(p, at::kFloat, 55);
  const auto fused = run(kernels::segment_attention, in, 1e4);
  for (const at::Tensor& t : fused) EXPECT_TRUE(at::isfinite(t).all().item<bool>());
  expect_match(fused, run(kernels::segment_attention_reference, in, 1e4), 1e-4, "huge logits");
}

TEST(SegmentAttention, HandExample) {
  // Node 0 receives edges 0 and 1 (one head, D = M = 1): logits 1*2 and 1*0 with scale 1, so
  // alpha = (e^2, 1) / (e^2 + 1), out = alpha . (3, -1). Node 1 receives edge 2 only: alpha = 1.
  const at::Tensor q = at::tensor({1.0, 4.0}, at::kDouble).view({2, 1, 1});
  const at::Tensor k = at::tensor({2.0, 0.0, 5.0}, at::kDouble).view({3, 1, 1});
  const at::Tensor v = at::tensor({3.0, -1.0, 7.0}, at::kDouble).view({3, 1, 1});
  const at::Tensor dst = at::tensor({0, 0, 1}, at::kLong);
  const kernels::SegmentAttention r = kernels::segment_attention(q, k, v, dst, 1.0);
  const double a0 = std::exp(2.0) / (std::exp(2.0) + 1.0), a1 = 1.0 / (std::exp(2.0) + 1.0);
  EXPECT_NEAR(r.alpha[0][0].item<double>(), a0, 1e-15);
  EXPECT_NEAR(r.alpha[1][0].item<double>(), a1, 1e-15);
  EXPECT_DOUBLE_EQ(r.alpha[2][0].item<double>(), 1.0);
  EXPECT_NEAR(r.out[0][0][0].item<double>(), 3.0 * a0 - a1, 1e-14);
  EXPECT_DOUBLE_EQ(r.out[1][0][0].item<double>(), 7.0);
}

// Central differences of the fused operation itself, every entry of q, k and v.
TEST(SegmentAttention, FiniteDifferences) {
  const Problem p{5, 12, 2, 3, 4};
  const Inputs in = make_inputs(p, at::kDouble, 60);
  const auto grads = run(kernels::segment_attention, in, 0.8);
  auto loss = [&] {
    const auto r = kernels::segment_attention(in.q, in.k, in.v, in.dst, 0.8);
    return ((r.out * in.proj_out).sum() + (r.alpha * in.proj_alpha).sum()).item<double>();
  };
  const std::vector<at::Tensor> xs = {in.q, in.k, in.v};
  const double eps = 1e-6;
  for (size_t t = 0; t < xs.size(); ++t) {
    at::Tensor flat = xs[t].detach().view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
      torch::NoGradGuard ng;
      const double orig = flat[i].item<double>();
      flat[i] = orig + eps;
      const double plus = loss();
      flat[i] = orig - eps;
      const double minus = loss();
      flat[i] = orig;
      const double numeric = (plus - minus) / (2 * eps);
      EXPECT_NEAR(grads[t + 2].view({-1})[i].item<double>(), numeric,
                  1e-7 * std::max(1.0, std::abs(numeric)))
          << "input " << t << " entry " << i;
    }
  }
}

// Second derivatives (a loss on forces records the backward): d/d(q, k, v) of |dL/dq|^2 +
// |dL/dk|^2 + |dL/dv|^2.
TEST(SegmentAttention, DoubleBackwardMatchesReference) {
  for (const Problem& p : {Problem{6, 20, 2, 3, 4}, Problem{3, 0, 2, 3, 4}}) {
    const Inputs in = make_inputs(p, at::kDouble, 70);
    auto second = [&](Op op) {
      const auto r = op(in.q, in.k, in.v, in.dst, 0.6);
      const at::Tensor loss = (r.out * in.proj_out).sum() + (r.alpha * in.proj_alpha).sum();
      const auto g = torch::autograd::grad({loss}, {in.q, in.k, in.v}, {}, true, true);
      const at::Tensor z = g[0].pow(2).sum() + g[1].pow(2).sum() + g[2].pow(2).sum();
      const auto gg = torch::autograd::grad({z}, {in.q, in.k, in.v}, {}, false, false, true);
      return std::vector<at::Tensor>{z.detach(), at::zeros({1}), gg[0], gg[1], gg[2]};
    };
    expect_match(second(kernels::segment_attention), second(kernels::segment_attention_reference),
                 1e-12, label(p));
  }
}

TEST(SegmentAttention, OnlyOneOutputUsed) {
  const Problem p{8, 30, 2, 3, 4};
  const Inputs in = make_inputs(p, at::kDouble, 80);
  for (int which : {0, 1}) {
    auto grads = [&](Op op) {
      const auto r = op(in.q, in.k, in.v, in.dst, 0.9);
      const at::Tensor loss =
          which == 0 ? (r.out * in.proj_out).sum() : (r.alpha * in.proj_alpha).sum();
      return torch::autograd::grad({loss}, {in.q, in.k, in.v}, {}, false, false, true);
    };
    const auto f = grads(kernels::segment_attention),
               r = grads(kernels::segment_attention_reference);
    for (int i = 0; i < 3; ++i) {
      if (!r[i].defined()) continue;  // v does not reach alpha
      ASSERT_TRUE(f[i].defined());
      if (r[i].abs().max().item<double>() == 0) {
        EXPECT_EQ(f[i].abs().max().item<double>(), 0);
      } else {
        EXPECT_LT(relative_error(f[i], r[i]), 1e-12) << which << " " << i;
      }
    }
  }
}

TEST(SegmentAttention, RejectsBadArguments) {
  const at::Tensor q = at::randn({4, 2, 3}, at::kDouble), k = at::randn({6, 2, 3}, at::kDouble);
  const at::Tensor v = at::randn({6, 2, 5}, at::kDouble);
  const at::Tensor dst = at::tensor({0, 1, 1, 2, 3, 3}, at::kLong);
  EXPECT_NO_THROW(kernels::segment_attention(q, k, v, dst, 1.0));
  using testing::expect_error;
  expect_error([&] { kernels::segment_attention(q, k.narrow(2, 0, 2), v, dst, 1.0); }, {"k"});
  expect_error([&] { kernels::segment_attention(q, k, v.narrow(0, 0, 5), dst, 1.0); }, {"v"});
  expect_error([&] { kernels::segment_attention(q, k, v, dst.narrow(0, 0, 5), 1.0); }, {"dst"});
  expect_error([&] { kernels::segment_attention(q, k, v, dst + 1, 1.0); }, {"dst", "[0, 4)"});
  expect_error([&] { kernels::segment_attention(q, k, v, dst - 1, 1.0); }, {"dst"});
  expect_error([&] { kernels::segment_attention(q, k.to(at::kFloat), v, dst, 1.0); }, {"dtype"});
  expect_error([&] { kernels::segment_attention(q, k, v, dst.to(at::kInt), 1.0); }, {"dst"});
  expect_error([&] { kernels::segment_attention(q, k, v, dst, std::nan("")); }, {"scale"});
  expect_error(
      [&] {
        kernels::segment_attention_reference(q.view({4, 6}), k, v, dst, 1.0);
      },
      {"q"});
  // A meta tensor stands in for a non-CPU device (the build has no CUDA).
  const at::Tensor meta =
      at::empty({6, 2, 5}, at::TensorOptions().dtype(at::kDouble).device(at::kMeta));
  expect_error([&] { kernels::segment_attention(q, k, meta, dst, 1.0); }, {"CPU only"});
}

// The switch selects the kernel: the attention output's autograd history differs.
TEST(SegmentAttention, AttentionPathSelectsTheKernel) {
  auto gen = testing::make_generator(90);
  const GraphBatch g = testing::random_graphs({5, 4}, at::kFloat, gen);
  const Fiber fiber = Fiber::uniform(2, 4);
  const Features f = testing::random_features(fiber, g.num_nodes(), at::kFloat, gen);
  const EdgeGeometry geo = edge_geometry(g, 2);
  for (KernelPath path : {KernelPath::kReference, KernelPath::kFused}) {
    AttentionSE3 att(AttentionSE3Options(fiber, fiber).num_heads(2).kernel(path));
    at::Tensor alpha;
    att->forward(f, geo, &alpha);
    const std::string node = alpha.grad_fn()->name();
    EXPECT_EQ(node.find("SegmentAttention") != std::string::npos, path == KernelPath::kFused)
        << kernel_path_name(path) << ": " << node;
  }
}

}  // namespace
}  // namespace se3t

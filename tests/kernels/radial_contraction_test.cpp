// The fused radial-weight contraction against its reference composition (values, first and
// second derivatives, float64 to 1e-12 and float32 to 1e-5), against central finite
// differences, its error paths, and ConvSE3 / AttentionSE3 / SE3Transformer on the fused path
// against the reference path (outputs, gradients, equivariance, graphs with isolated nodes).
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/utils.h>

#include <functional>

#include "common/testing.h"
#include "kernels/guards.h"
#include "kernels/radial_contraction.h"
#include "nn/nn_testing.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/attention_se3.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/kernel_path.h"
#include "se3t/so3/rotation.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using testing::relative_error;

using testing::PathGuard;
using testing::ThreadsGuard;

struct Problem {
  int64_t E, H, c_out, K, M;
};

struct Inputs {
  at::Tensor h, X, W, b, proj;  // proj: a fixed random projection of the output (the loss)
};

Inputs make_inputs(const Problem& p, at::ScalarType dtype, uint64_t seed) {
  auto gen = testing::make_generator(seed);
  auto rnd = [&](std::vector<int64_t> sizes) {
    return at::randn(sizes, gen, at::kDouble).to(dtype).requires_grad_();
  };
  Inputs in{rnd({p.E, p.H}), rnd({p.E, p.K, p.M}), rnd({p.c_out * p.K, p.H}), rnd({p.c_out * p.K}),
            at::Tensor()};
  in.proj = at::randn({p.E, p.c_out, p.M}, gen, at::kDouble).to(dtype);
  return in;
}

using Op = at::Tensor (*)(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                          const at::Tensor&, int64_t);

// Output and gradients wrt (h, X, W, b) of sum(op(...) * proj).
std::vector<at::Tensor> run(Op op, const Inputs& in, int64_t c_out) {
  const at::Tensor out = op(in.h, in.X, in.W, in.b, c_out);
  const auto grads = torch::autograd::grad({(out * in.proj).sum()}, {in.h, in.X, in.W, in.b},
                                           /*grad_outputs=*/{}, /*retain_graph=*/false,
                                           /*create_graph=*/false, /*allow_unused=*/true);
  return {out.detach(), grads[0], grads[1], grads[2], grads[3]};
}

// Sizes cover E = 0, single edges, scalars (M = 1), degree 3 (M = 7), one output channel,
// more edges than one block holds (so several blocks and tasks run), M = 9 (the loops without
// register blocking), odd C_out and K (every vector-width tail of the blocked loops), and
// E mod 6 = 0 .. 5 with C_out K not a multiple of 32 (the radial layer's 6-edge tiles, the
// remainders merged into two tiles, and its zero-padded panels), H = 40 (hidden units in one
// and a part panel) and C_out K > 1,024 (the hidden gradient's column chunks).
const std::vector<Problem> kProblems = {{0, 4, 3, 5, 3},     {1, 1, 1, 1, 1},    {7, 8, 2, 9, 7},
                                        {33, 32, 4, 24, 5},  {300, 6, 1, 3, 1},  {97, 16, 8, 40, 7},
                                        {5, 32, 32, 512, 7}, {13, 8, 21, 37, 9}, {11, 4, 29, 31, 3},
                                        {9, 5, 23, 29, 5},   {16, 3, 5, 7, 3},   {8, 2, 3, 11, 1},
                                        {10, 40, 3, 7, 5}};

void expect_match(const std::vector<at::Tensor>& fused, const std::vector<at::Tensor>& ref,
                  double tol, const std::string& what) {
  const char* names[] = {"out", "dh", "dX", "dW", "db"};
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_TRUE(fused[i].defined() && ref[i].defined()) << what << " " << names[i];
    ASSERT_EQ(fused[i].sizes(), ref[i].sizes()) << what << " " << names[i];
    EXPECT_EQ(fused[i].scalar_type(), ref[i].scalar_type());
    if (ref[i].numel() == 0) continue;
    EXPECT_TRUE(at::isfinite(fused[i]).all().item<bool>()) << what << " " << names[i];
    EXPECT_LT(relative_error(fused[i].to(at::kDouble), ref[i].to(at::kDouble)), tol)
        << what << " " << names[i];
  }
}

std::string label(const Problem& p) {
  return "E=" + std::to_string(p.E) + " H=" + std::to_string(p.H) +
         " C=" + std::to_string(p.c_out) + " K=" + std::to_string(p.K) +
         " M=" + std::to_string(p.M);
}

TEST(RadialContraction, MatchesReferenceFloat64) {
  uint64_t seed = 1;
  for (const Problem& p : kProblems) {
    const Inputs in = make_inputs(p, at::kDouble, seed++);
    expect_match(run(kernels::radial_contraction, in, p.c_out),
                 run(kernels::radial_contraction_reference, in, p.c_out), 1e-12, label(p));
  }
}

TEST(RadialContraction, MatchesReferenceFloat64TwoThreads) {
  ThreadsGuard threads(2);
  uint64_t seed = 20;
  for (const Problem& p : kProblems) {
    const Inputs in = make_inputs(p, at::kDouble, seed++);
    expect_match(run(kernels::radial_contraction, in, p.c_out),
                 run(kernels::radial_contraction_reference, in, p.c_out), 1e-12, label(p));
  }
}

TEST(RadialContraction, MatchesReferenceFloat32) {
  uint64_t seed = 40;
  for (const Problem& p : kProblems) {
    const Inputs in = make_inputs(p, at::kFloat, seed++);
    expect_match(run(kernels::radial_contraction, in, p.c_out),
                 run(kernels::radial_contraction_reference, in, p.c_out), 1e-5, label(p));
  }
}

TEST(RadialContraction, ExactOnAHandExample) {
  // One edge, H = 1, C_out = 1, cols = 2, M = 1: R = [2*3 + 1, 4*3 - 1] = [7, 11],
  // out = 7*5 + 11*(-2) = 13.
  const at::Tensor h = at::full({1, 1}, 3.0, at::kDouble);
  const at::Tensor X = at::tensor({5.0, -2.0}, at::kDouble).view({1, 2, 1});
  const at::Tensor W = at::tensor({2.0, 4.0}, at::kDouble).view({2, 1});
  const at::Tensor b = at::tensor({1.0, -1.0}, at::kDouble);
  EXPECT_EQ(kernels::radial_contraction(h, X, W, b, 1).item<double>(), 13.0);
}

TEST(RadialContraction, NonContiguousInputs) {
  const Problem p{11, 5, 3, 4, 3};
  const Inputs in = make_inputs(p, at::kDouble, 60);
  // The same values through transposed storage.
  const at::Tensor X = in.X.detach().transpose(1, 2).contiguous().transpose(1, 2);
  const at::Tensor W = in.W.detach().t().contiguous().t();
  ASSERT_FALSE(X.is_contiguous());
  ASSERT_FALSE(W.is_contiguous());
  const at::Tensor out = kernels::radial_contraction(in.h.detach(), X, W, in.b.detach(), 3);
  EXPECT_LT(relative_error(
                out, kernels::radial_contraction_reference(in.h, in.X, in.W, in.b, 3).detach()),
            1e-12);
}

// Central differences of the fused operation itself, every entry of every input.
TEST(RadialContraction, FiniteDifferences) {
  const Problem p{4, 3, 2, 3, 3};
  const Inputs in = make_inputs(p, at::kDouble, 70);
  const auto grads = run(kernels::radial_contraction, in, p.c_out);
  const std::vector<at::Tensor> xs = {in.h, in.X, in.W, in.b};
  const double eps = 1e-6;
  for (size_t t = 0; t < xs.size(); ++t) {
    at::Tensor flat = xs[t].detach().view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
      at::NoGradGuard no_grad;
      const double orig = flat[i].item<double>();
      flat[i] = orig + eps;
      const double plus = (kernels::radial_contraction(in.h, in.X, in.W, in.b, p.c_out) * in.proj)
                              .sum()
                              .item<double>();
      flat[i] = orig - eps;
      const double minus = (kernels::radial_contraction(in.h, in.X, in.W, in.b, p.c_out) * in.proj)
                               .sum()
                               .item<double>();
      flat[i] = orig;
      const double numeric = (plus - minus) / (2 * eps);
      EXPECT_NEAR(grads[t + 1].view({-1})[i].item<double>(), numeric,
                  1e-7 * std::max(1.0, std::abs(numeric)))
          << "input " << t << " entry " << i;
    }
  }
}

// Second derivatives (as a loss on forces needs): d/d(h, W, b, X) of |dL/dX|^2 and |dL/dh|^2.
TEST(RadialContraction, DoubleBackwardMatchesReference) {
  for (const Problem& p : {Problem{9, 4, 3, 6, 5}, Problem{0, 4, 3, 6, 5}}) {
    const Inputs in = make_inputs(p, at::kDouble, 80);
    auto second = [&](Op op) {
      const at::Tensor loss = (op(in.h, in.X, in.W, in.b, p.c_out) * in.proj).sum();
      const auto g = torch::autograd::grad({loss}, {in.X, in.h}, {}, true, true);
      const at::Tensor z = g[0].pow(2).sum() + g[1].pow(2).sum();
      const auto gg = torch::autograd::grad({z}, {in.h, in.X, in.W, in.b}, {}, false, false, true);
      return std::vector<at::Tensor>{z.detach(), gg[0], gg[1], gg[2], gg[3]};
    };
    expect_match(second(kernels::radial_contraction), second(kernels::radial_contraction_reference),
                 1e-12, label(p));
  }
}

// No gradient (autograd found no path) and a zero gradient are the same derivative.
void expect_same_derivative(const at::Tensor& f, const at::Tensor& r, const std::string& what) {
  if (!r.defined() || !f.defined()) {
    for (const at::Tensor& t : {f, r}) {
      if (t.defined()) {
        EXPECT_EQ(t.abs().max().item<double>(), 0) << what;
      }
    }
    return;
  }
  if (r.numel() == 0) return;
  if (r.abs().max().item<double>() == 0) {
    EXPECT_EQ(f.abs().max().item<double>(), 0) << what;
  } else {
    EXPECT_LT(relative_error(f, r), 1e-12) << what;
  }
}

// The recorded backward is itself a fused function: its gradients for every combination of
// first derivatives in the loss (mask bit i: a random weighting of d/d(h, X, W, b)[i]), wrt every
// input and the incoming gradient g, on every problem size.
std::vector<at::Tensor> second_derivatives(Op op, const Inputs& in, int64_t c_out, int mask,
                                           uint64_t seed) {
  const at::Tensor g = in.proj.detach().clone().requires_grad_();
  const std::vector<at::Tensor> x = {in.h, in.X, in.W, in.b};
  const at::Tensor loss = (op(in.h, in.X, in.W, in.b, c_out) * g).sum();
  const auto d = torch::autograd::grad({loss}, x, {}, true, true, true);
  auto gen = testing::make_generator(seed);
  at::Tensor z = at::zeros({}, in.h.options());
  for (int i = 0; i < 4; ++i) {
    if (mask & (1 << i)) z = z + (d[i] * at::randn(d[i].sizes(), gen, at::kDouble)).sum();
  }
  std::vector<at::Tensor> wrt = x;
  wrt.push_back(g);
  std::vector<at::Tensor> out = {z.detach()};
  for (const at::Tensor& t : torch::autograd::grad({z}, wrt, {}, false, false, true))
    out.push_back(t.defined() ? t : at::Tensor());
  return out;
}

TEST(RadialContraction, SecondDerivativesOfEveryFirstDerivative) {
  const char* names[] = {"z", "d/dh", "d/dX", "d/dW", "d/db", "d/dg"};
  auto compare = [&](const Problem& p, int mask) {
    const Inputs in = make_inputs(p, at::kDouble, 85);
    const auto f = second_derivatives(kernels::radial_contraction, in, p.c_out, mask, 86);
    const auto r = second_derivatives(kernels::radial_contraction_reference, in, p.c_out, mask, 86);
    for (size_t i = 0; i < r.size(); ++i) {
      expect_same_derivative(f[i], r[i],
                             label(p) + " mask " + std::to_string(mask) + " " + names[i]);
    }
  };
  for (int mask = 1; mask < 16; ++mask) compare(Problem{7, 8, 2, 9, 7}, mask);
  for (const Problem& p : kProblems) compare(p, 15);
}

// Third derivatives: the double backward is made of the same differentiable functions.
TEST(RadialContraction, ThirdDerivativesMatchReference) {
  const Problem p{6, 5, 3, 4, 3};
  const Inputs in = make_inputs(p, at::kDouble, 87);
  auto third = [&](Op op) {
    const at::Tensor loss = (op(in.h, in.X, in.W, in.b, p.c_out) * in.proj).sum();
    const at::Tensor dX = torch::autograd::grad({loss}, {in.X}, {}, true, true)[0];
    const at::Tensor dh = torch::autograd::grad({dX.pow(2).sum()}, {in.h}, {}, true, true)[0];
    return torch::autograd::grad({dh.pow(2).sum()}, {in.h, in.X, in.W, in.b}, {}, false, false,
                                 true);
  };
  const auto f = third(kernels::radial_contraction),
             r = third(kernels::radial_contraction_reference);
  int defined = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    defined += r[i].defined();
    expect_same_derivative(f[i], r[i], "input " + std::to_string(i));
  }
  EXPECT_GE(defined, 3);  // h, X and W reach the third derivative
}

TEST(RadialContraction, OnlyRequestedGradients) {
  const Problem p{6, 4, 2, 3, 3};
  Inputs in = make_inputs(p, at::kDouble, 90);
  const at::Tensor h = in.h.detach(), X = in.X.detach();  // constants: no gradient asked
  const at::Tensor loss = (kernels::radial_contraction(h, X, in.W, in.b, 2) * in.proj).sum();
  const auto g = torch::autograd::grad({loss}, {in.W, in.b});
  const at::Tensor loss_ref =
      (kernels::radial_contraction_reference(h, X, in.W, in.b, 2) * in.proj).sum();
  const auto g_ref = torch::autograd::grad({loss_ref}, {in.W, in.b});
  EXPECT_LT(relative_error(g[0], g_ref[0]), 1e-12);
  EXPECT_LT(relative_error(g[1], g_ref[1]), 1e-12);
}

TEST(RadialContraction, RejectsBadArguments) {
  const at::Tensor h = at::randn({4, 3}, at::kDouble);
  const at::Tensor X = at::randn({4, 5, 3}, at::kDouble);
  const at::Tensor W = at::randn({10, 3}, at::kDouble);
  const at::Tensor b = at::randn({10}, at::kDouble);
  EXPECT_NO_THROW(kernels::radial_contraction(h, X, W, b, 2));
  auto throws = [](const std::function<void()>& f, const std::string& part) {
    try {
      f();
      ADD_FAILURE() << "no error (expected one mentioning '" << part << "')";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  throws([&] { kernels::radial_contraction(h, X, W, b, 3); }, "weight");  // 3*5 != 10 rows
  throws([&] { kernels::radial_contraction(h, X, W, b, 0); }, "c_out");
  throws([&] { kernels::radial_contraction(h, X.narrow(0, 0, 3), W, b, 2); }, "stacked");
  throws([&] { kernels::radial_contraction(h, X.view({4, 15}), W, b, 2); }, "stacked");
  throws([&] { kernels::radial_contraction(h, X, W.narrow(1, 0, 2), b, 2); }, "weight");
  throws([&] { kernels::radial_contraction(h, X, W, b.narrow(0, 0, 9), 2); }, "bias");
  throws([&] { kernels::radial_contraction(h, X.to(at::kFloat), W, b, 2); }, "dtype");
  throws([&] { kernels::radial_contraction(h.to(at::kLong), X, W, b, 2); }, "float32 or float64");
  throws([&] { kernels::radial_contraction(at::Tensor(), X, W, b, 2); }, "hidden");
  throws([&] { kernels::radial_contraction_reference(h, X, W, b, 3); }, "weight");
  // A meta tensor stands in for a non-CPU device (the build has no CUDA).
  const at::Tensor meta_W =
      at::empty({10, 3}, at::TensorOptions().dtype(at::kDouble).device(at::kMeta));
  throws([&] { kernels::radial_contraction(h, X, meta_W, b, 2); }, "CPU only");
}

// ---- layers on the two paths ---------------------------------------------------------------

// Output and gradients wrt positions, features and every parameter of one forward pass
// under the given process-wide path.
using LayerRun = std::function<Features(const GraphBatch&, const Features&)>;
struct LayerResult {
  Features out;
  std::vector<at::Tensor> grads;
};

LayerResult run_layer(KernelPath path, const LayerRun& layer, torch::nn::Module& module,
                      GraphBatch g, Features f, bool forces) {
  PathGuard guard(path);
  g.pos = g.pos.detach().clone().requires_grad_();
  std::vector<at::Tensor> wrt = {g.pos};
  for (auto& [l, t] : f) {
    t = t.detach().clone().requires_grad_();
    wrt.push_back(t);
  }
  for (const auto& p : module.parameters()) wrt.push_back(p);
  const Features out = layer(g, f);
  at::Tensor loss = at::zeros({}, g.pos.options());
  auto gen = testing::make_generator(5);
  for (const auto& [l, t] : out)
    loss = loss + (t * at::randn(t.sizes(), gen, at::kDouble).to(t.scalar_type())).sum();
  if (forces) {
    // A force-matching style loss: |d loss / d pos|^2, differentiated once more.
    const at::Tensor F = torch::autograd::grad({loss}, {g.pos}, {}, true, true)[0];
    loss = F.pow(2).sum();
  }
  LayerResult r;
  r.grads = torch::autograd::grad({loss}, wrt, {}, false, false, /*allow_unused=*/true);
  for (const auto& [l, t] : out) r.out[l] = t.detach();
  return r;
}

void expect_same(const LayerResult& fused, const LayerResult& ref, double tol) {
  EXPECT_LT(testing::features_error(fused.out, ref.out), tol);
  ASSERT_EQ(fused.grads.size(), ref.grads.size());
  for (size_t i = 0; i < ref.grads.size(); ++i) {
    ASSERT_EQ(fused.grads[i].defined(), ref.grads[i].defined()) << "gradient " << i;
    if (!ref.grads[i].defined() || ref.grads[i].numel() == 0) continue;
    if (ref.grads[i].abs().max().item<double>() == 0) {
      EXPECT_EQ(fused.grads[i].abs().max().item<double>(), 0) << "gradient " << i;
      continue;
    }
    EXPECT_LT(relative_error(fused.grads[i], ref.grads[i]), tol) << "gradient " << i;
  }
}

const Fiber kAll = Fiber::uniform(3, 4);

// Graph sizes with an isolated node (a one-node graph has no edges) between two graphs.
const std::vector<int64_t> kSizes = {6, 1, 5};

TEST(FusedPath, ConvSE3MatchesReference) {
  auto gen = testing::make_generator(100);
  const GraphBatch g = testing::random_graphs(kSizes, at::kDouble, gen, 1.5, 2);
  const Features f = testing::random_features(kAll, g.num_nodes(), at::kDouble, gen);
  ConvSE3 conv(ConvSE3Options(kAll, Fiber{{0, 3}, {1, 2}, {2, 2}, {3, 5}})
                   .edge_dim(2)
                   .self_interaction(true));
  conv->to(at::kDouble);
  const LayerRun layer = [&](const GraphBatch& gb, const Features& fb) {
    return conv->forward(fb, edge_geometry(gb, 3));
  };
  for (bool forces : {false, true}) {
    const LayerResult ref = run_layer(KernelPath::kReference, layer, *conv, g, f, forces);
    const LayerResult fused = run_layer(KernelPath::kFused, layer, *conv, g, f, forces);
    expect_same(fused, ref, 1e-12);
  }
}

TEST(FusedPath, ConvSE3OptionOverridesTheDefault) {
  auto gen = testing::make_generator(101);
  const GraphBatch g = testing::random_graphs({4, 3}, at::kFloat, gen);
  const Features f = testing::random_features(kAll, g.num_nodes(), at::kFloat, gen);
  ConvSE3 fused(ConvSE3Options(kAll, kAll).kernel(KernelPath::kFused));
  ConvSE3 ref(ConvSE3Options(kAll, kAll).kernel(KernelPath::kReference));
  torch::NoGradGuard no_grad;
  const auto src = fused->parameters();
  const auto dst = ref->parameters();
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  const EdgeGeometry geo = edge_geometry(g, 3);
  EXPECT_LT(testing::features_error(fused->forward(f, geo), ref->forward(f, geo)), 1e-5);
}

// The switch really selects the implementation: the messages' autograd node differs.
TEST(FusedPath, PathSelectsTheKernel) {
  auto gen = testing::make_generator(106);
  const GraphBatch g = testing::random_graphs({4}, at::kFloat, gen);
  const Features f = testing::random_features(kAll, g.num_nodes(), at::kFloat, gen);
  const EdgeGeometry geo = edge_geometry(g, 3);
  for (KernelPath path : {KernelPath::kReference, KernelPath::kFused}) {
    ConvSE3 conv(ConvSE3Options(kAll, kAll).kernel(path));
    const std::string node = conv->edge_messages(f, geo).at(2).grad_fn()->name();
    EXPECT_EQ(node.find("RadialContraction") != std::string::npos, path == KernelPath::kFused)
        << kernel_path_name(path) << ": " << node;
  }
}

TEST(FusedPath, ConvSE3WithoutEdges) {
  auto gen = testing::make_generator(102);
  const GraphBatch g = testing::random_graphs({1, 1, 1}, at::kDouble, gen);  // E = 0
  ASSERT_EQ(g.num_edges(), 0);
  const Features f = testing::random_features(kAll, g.num_nodes(), at::kDouble, gen);
  ConvSE3 conv(ConvSE3Options(kAll, kAll));
  conv->to(at::kDouble);
  const LayerRun layer = [&](const GraphBatch& gb, const Features& fb) {
    return conv->forward(fb, edge_geometry(gb, 3));
  };
  const LayerResult fused = run_layer(KernelPath::kFused, layer, *conv, g, f, false);
  for (const auto& [l, t] : fused.out) EXPECT_EQ(t.abs().max().item<double>(), 0) << l;
  expect_same(fused, run_layer(KernelPath::kReference, layer, *conv, g, f, false), 1e-12);
}

TEST(FusedPath, AttentionSE3MatchesReference) {
  auto gen = testing::make_generator(103);
  const GraphBatch g = testing::random_graphs(kSizes, at::kDouble, gen, 1.5, 1);
  const Features f = testing::random_features(kAll, g.num_nodes(), at::kDouble, gen);
  AttentionSE3 att(AttentionSE3Options(kAll, Fiber::uniform(3, 8)).num_heads(2).edge_dim(1));
  att->to(at::kDouble);
  const LayerRun layer = [&](const GraphBatch& gb, const Features& fb) {
    return att->forward(fb, edge_geometry(gb, 3));
  };
  for (bool forces : {false, true}) {
    expect_same(run_layer(KernelPath::kFused, layer, *att, g, f, forces),
                run_layer(KernelPath::kReference, layer, *att, g, f, forces), 1e-12);
  }
}

SE3TransformerOptions model_options() {
  return testing::small_model_options();
}

TEST(FusedPath, SE3TransformerMatchesReferenceFloat32) {
  // Two float32 paths sum in different orders, so their difference is rounding, whose size
  // depends on the CPU's BLAS kernels. The property that holds on every CPU: the fused
  // path is as close to the float64 result as the reference path is.
  auto gen = testing::make_generator(104);
  const GraphBatch g = testing::random_graphs(kSizes, at::kFloat, gen, 1.5, 1);
  const Features f =
      testing::random_features(model_options().fiber_in, g.num_nodes(), at::kFloat, gen);
  SE3Transformer model(model_options());
  const LayerRun layer = [&](const GraphBatch& gb, const Features& fb) {
    return model->forward(gb, fb);
  };
  const LayerResult fused = run_layer(KernelPath::kFused, layer, *model, g, f, false);
  const LayerResult ref = run_layer(KernelPath::kReference, layer, *model, g, f, false);
  model->to(at::kDouble);
  const GraphBatch g64 = g.to(at::TensorOptions().dtype(at::kDouble));
  Features f64;
  for (const auto& [l, t] : f) f64[l] = t.to(at::kDouble);
  const LayerResult truth = run_layer(KernelPath::kReference, layer, *model, g64, f64, false);

  // How far float32 rounding takes this network from float64 depends on the draw of weights
  // (softmax and cancelling sums amplify it): the reference path's worst error measures it.
  // The fused path may round differently but not worse than a few times that, or 1e-4
  // (about 800 float32 ulps) where both are at rounding level.
  double worst_ref = 0;
  auto error = [](const at::Tensor& a, const at::Tensor& t) {
    return relative_error(a.to(at::kDouble), t);
  };
  auto nonzero = [](const at::Tensor& t) {
    return t.defined() && t.numel() > 0 && t.abs().max().item<double>() > 0;
  };
  for (const auto& [l, t] : truth.out) worst_ref = std::max(worst_ref, error(ref.out.at(l), t));
  ASSERT_EQ(ref.grads.size(), truth.grads.size());
  for (size_t i = 0; i < truth.grads.size(); ++i)
    if (nonzero(truth.grads[i]))
      worst_ref = std::max(worst_ref, error(ref.grads[i], truth.grads[i]));
  const double tol = std::max(4 * worst_ref, 1e-4);
  for (const auto& [l, t] : truth.out)
    EXPECT_LT(error(fused.out.at(l), t), tol) << "output of degree " << l;
  ASSERT_EQ(fused.grads.size(), truth.grads.size());
  for (size_t i = 0; i < truth.grads.size(); ++i) {
    ASSERT_EQ(fused.grads[i].defined(), truth.grads[i].defined()) << "gradient " << i;
    if (nonzero(truth.grads[i])) {
      EXPECT_LT(error(fused.grads[i], truth.grads[i]), tol) << "gradient " << i;
    }
  }
}

TEST(FusedPath, SE3TransformerIsEquivariant) {
  PathGuard guard(KernelPath::kFused);
  auto gen = testing::make_generator(105);
  const GraphBatch g = testing::random_graphs({30, 1, 20}, at::kDouble, gen, 1.5, 1);
  const Features f =
      testing::random_features(model_options().fiber_in, g.num_nodes(), at::kDouble, gen);
  SE3Transformer model(model_options());
  model->to(at::kDouble);
  const Features out = model->forward(g, f);
  for (int trial = 0; trial < 2; ++trial) {
    const at::Tensor R = random_rotation(1, at::kDouble, gen)[0];
    const at::Tensor shift = at::randn({3}, gen, at::kDouble) * 10;
    const Features out_rot =
        model->forward(testing::transform_graph(g, R, shift), testing::rotate_features(f, R));
    EXPECT_LT(testing::features_error(out_rot, testing::rotate_features(out, R)), 1e-12);
  }
}

}  // namespace
}  // namespace se3t

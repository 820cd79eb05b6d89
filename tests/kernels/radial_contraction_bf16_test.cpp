// The radial contraction with bfloat16 radial products (kernels/packed_linear_bf16.h) against
// a float64 computation on the same rounded factors (rounded by c10::BFloat16, an independent
// implementation of round-to-nearest-even), the rounding itself, its float32 fallbacks, and
// an SE3Transformer on it: still equivariant to float32 round-off, within bfloat16 rounding of
// the float32 model.
#include <gtest/gtest.h>

#include <torch/autograd.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "common/testing.h"
#include "kernels/guards.h"
#include "kernels/packed_linear_bf16.h"
#include "kernels/radial_contraction.h"
#include "nn/nn_testing.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/radial_precision.h"
#include "se3t/so3/rotation.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

using kernels::RadialArithmetic;
using testing::relative_error;

#define SKIP_WITHOUT_BF16() \
  if (!kernels::bf16_radial_supported()) GTEST_SKIP() << "no AVX512-BF16 on this CPU"

at::Tensor rounded(const at::Tensor& t) {
  return t.to(at::kBFloat16).to(at::kDouble);
}

struct Case {
  int64_t E, H, c_out, K, M;
};

// Odd H (the zero partner of the last hidden unit), odd E (the zero partner of the last edge
// in the weight gradient), E mod 6 = 0 .. 5 (the forward tiles), E not a multiple of 4 (the
// hidden gradient's tiles), C_out K not a multiple of 32 (padded panels), several blocks,
// H = 37 (a second, part panel of hidden units) and C_out K > 1,024 (column chunks).
const std::vector<Case> kCases = {{1, 1, 1, 1, 1},    {7, 8, 2, 9, 7},     {33, 32, 4, 24, 5},
                                  {97, 16, 8, 40, 7}, {5, 32, 32, 512, 7}, {13, 7, 21, 37, 3},
                                  {300, 6, 1, 3, 1},  {11, 5, 29, 31, 5},  {16, 3, 5, 7, 3},
                                  {10, 37, 3, 7, 5}};

// h and W random; X and the output cotangent g small integers, so dR = g X^T is an integer
// that bfloat16 holds exactly and the rounded factors of every product are unambiguous.
struct Inputs {
  at::Tensor h, X, W, b, g;
};

Inputs make_inputs(const Case& c, uint64_t seed) {
  auto gen = testing::make_generator(seed);
  auto ints = [&](std::vector<int64_t> sizes) {
    return at::randint(-2, 3, sizes, gen, at::TensorOptions().dtype(at::kFloat));
  };
  return {at::randn({c.E, c.H}, gen, at::kFloat).requires_grad_(),
          ints({c.E, c.K, c.M}).requires_grad_(),
          at::randn({c.c_out * c.K, c.H}, gen, at::kFloat).requires_grad_(),
          at::randn({c.c_out * c.K}, gen, at::kFloat).requires_grad_(), ints({c.E, c.c_out, c.M})};
}

std::string label(const Case& c) {
  return "E=" + std::to_string(c.E) + " H=" + std::to_string(c.H) +
         " C=" + std::to_string(c.c_out) + " K=" + std::to_string(c.K) +
         " M=" + std::to_string(c.M);
}

TEST(RadialContractionBF16, MatchesFloat64OnRoundedFactors) {
  SKIP_WITHOUT_BF16();
  uint64_t seed = 300;
  for (const Case& c : kCases) {
    for (int threads : {1, 2}) {
      testing::ThreadsGuard guard(threads);
      const Inputs in = make_inputs(c, seed++);
      const at::Tensor out =
          kernels::radial_contraction(in.h, in.X, in.W, in.b, c.c_out, RadialArithmetic::kBFloat16);
      const auto grads = torch::autograd::grad({(out * in.g).sum()}, {in.h, in.X, in.W, in.b});

      // The same products in float64 on the rounded factors: R = h~ W~^T + b,
      // out = R X, dh = dR~ W~, dW = dR~^T h~, db = sum dR, dX = R^T g.
      const at::Tensor h = rounded(in.h.detach()), W = rounded(in.W.detach());
      const at::Tensor X = in.X.detach().to(at::kDouble), g = in.g.to(at::kDouble);
      const at::Tensor b = in.b.detach().to(at::kDouble);
      const at::Tensor R = at::addmm(b, h, W.t()).view({c.E, c.c_out, c.K});
      const at::Tensor dR = at::bmm(g, X.transpose(1, 2)).reshape({c.E, c.c_out * c.K});
      ASSERT_TRUE(at::equal(rounded(dR.to(at::kFloat)), dR)) << "dR must be exact in bf16";
      const std::vector<at::Tensor> want = {at::bmm(R, X), at::mm(dR, W),
                                            at::bmm(R.transpose(1, 2), g), at::mm(dR.t(), h),
                                            dR.sum(0)};
      const std::vector<at::Tensor> got = {out.detach(), grads[0], grads[1], grads[2], grads[3]};
      const char* names[] = {"out", "dh", "dX", "dW", "db"};
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_LT(relative_error(got[i].to(at::kDouble), want[i]), 2e-6)
            << label(c) << " threads " << threads << " " << names[i];
      }
      // And it did round: the float32 kernel differs by bfloat16's rounding, not float32's.
      if (c.H >= 3) {
        const at::Tensor exact = kernels::radial_contraction(in.h, in.X, in.W, in.b, c.c_out);
        EXPECT_GT(relative_error(out.detach(), exact.detach()), 1e-5) << label(c);
        EXPECT_LT(relative_error(out.detach(), exact.detach()), 3e-2) << label(c);
      }
    }
  }
}

TEST(RadialContractionBF16, RoundsToNearestEvenLikeC10) {
  auto gen = testing::make_generator(7);
  const at::Tensor x = at::cat({at::randn({4096}, gen, at::kFloat) * 100,
                                at::tensor({0.0f, -0.0f, 1.0f, 1.00390625f, 1.01171875f,
                                            std::numeric_limits<float>::infinity(),
                                            -std::numeric_limits<float>::infinity(), 3.0e38f})});
  const at::Tensor want = x.to(at::kBFloat16).to(at::kFloat);
  const float* px = x.data_ptr<float>();
  const float* pw = want.data_ptr<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float got = kernels::bf16::widen(kernels::bf16::round(px[i]));
    ASSERT_EQ(std::memcmp(&got, &pw[i], sizeof got), 0)
        << px[i] << " -> " << got << " not " << pw[i];
  }
  EXPECT_TRUE(std::isnan(kernels::bf16::widen(kernels::bf16::round(std::nanf("")))));
}

TEST(RadialContractionBF16, RoundsGradientBlocksLikeC10) {
  // The vector rounding of dR (random, so most values are not bfloat16 numbers) in both
  // layouts the gradients read: rows, and pairs of edges interleaved per column.
  SKIP_WITHOUT_BF16();
  const int64_t nb = 7, Np = 64, ldr = 96;
  auto gen = testing::make_generator(8);
  const at::Tensor dR = at::randn({nb, ldr}, gen, at::kFloat);
  kernels::bf16::BlockScratch s(nb, 4, ldr, /*gradients=*/true);
  kernels::bf16::round_gradient(dR.data_ptr<float>(), nb, Np, ldr, s);
  const at::Tensor want = dR.to(at::kBFloat16).to(at::kFloat);
  for (int64_t i = 0; i < 8; ++i) {
    for (int64_t j = 0; j < Np; ++j) {
      const float w = i < nb ? want[i][j].item<float>() : 0.0f;
      EXPECT_EQ(kernels::bf16::widen(s.dR_rows[size_t(i * ldr + j)]), w) << i << " " << j;
      EXPECT_EQ(kernels::bf16::widen(s.dR_edges[size_t(((i / 2) * ldr + j) * 2 + i % 2)]), w)
          << i << " " << j;
    }
  }
}

TEST(RadialContractionBF16, SecondDerivativesWithinRoundingOfFloat32) {
  // A loss on the first derivatives (forces) runs the bfloat16 kernels in its backward too.
  SKIP_WITHOUT_BF16();
  const Case c{29, 16, 6, 20, 5};
  const Inputs in = make_inputs(c, 400);
  auto second = [&](RadialArithmetic p) {
    const at::Tensor out = kernels::radial_contraction(in.h, in.X, in.W, in.b, c.c_out, p);
    const auto first = torch::autograd::grad({(out * in.g).sum()}, {in.h, in.X}, {},
                                             /*retain_graph=*/true, /*create_graph=*/true);
    const at::Tensor loss = first[0].pow(2).sum() + first[1].pow(2).sum();
    return torch::autograd::grad({loss}, {in.h, in.X, in.W, in.b});
  };
  const auto bf = second(RadialArithmetic::kBFloat16), ex = second(RadialArithmetic::kExact);
  for (size_t i = 0; i < ex.size(); ++i) {
    EXPECT_TRUE(at::isfinite(bf[i]).all().item<bool>()) << i;
    EXPECT_GT(relative_error(bf[i], ex[i]), 1e-6) << i;  // rounded in bfloat16
    EXPECT_LT(relative_error(bf[i], ex[i]), 3e-2) << i;  // and only by its rounding
  }
}

TEST(RadialContractionBF16, Float64AndUnsupportedCpusComputeExactly) {
  // bfloat16 applies to float32 only: float64 inputs get the exact kernel, bit for bit.
  const Case c{33, 32, 4, 24, 5};
  const Inputs in = make_inputs(c, 500);
  const at::Tensor h = in.h.detach().to(at::kDouble), X = in.X.detach().to(at::kDouble);
  const at::Tensor W = in.W.detach().to(at::kDouble), b = in.b.detach().to(at::kDouble);
  EXPECT_TRUE(
      at::equal(kernels::radial_contraction(h, X, W, b, c.c_out, RadialArithmetic::kBFloat16),
                kernels::radial_contraction(h, X, W, b, c.c_out)));
  EXPECT_EQ(
      effective_radial_precision(RadialPrecision::kBF16Radial),
      kernels::bf16_radial_supported() ? RadialPrecision::kBF16Radial : RadialPrecision::kFloat32);
  EXPECT_EQ(effective_radial_precision(RadialPrecision::kFloat32), RadialPrecision::kFloat32);
}

TEST(RadialPrecisionSetting, ParsesAndNames) {
  EXPECT_EQ(parse_radial_precision("float32"), RadialPrecision::kFloat32);
  EXPECT_EQ(parse_radial_precision("bf16-radial"), RadialPrecision::kBF16Radial);
  EXPECT_STREQ(radial_precision_name(RadialPrecision::kBF16Radial), "bf16-radial");
  try {
    parse_radial_precision("bf16");
    FAIL() << "accepted 'bf16'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("float32 or bf16-radial"), std::string::npos) << e.what();
  }
}

SE3TransformerOptions model_options() {
  return testing::small_model_options();
}

TEST(RadialContractionBF16, SE3TransformerStaysEquivariant) {
  // Rotating the input changes the edge lengths by float32 round-off only, so the rounded
  // radial weights are (almost always) the same numbers: the bfloat16 model is as
  // equivariant as the float32 one, and differs from it by bfloat16 rounding.
  SKIP_WITHOUT_BF16();
  testing::PathGuard path(KernelPath::kFused);
  auto gen = testing::make_generator(106);
  const GraphBatch g = testing::random_graphs({30, 1, 20}, at::kFloat, gen, 1.5, 1);
  const Features f =
      testing::random_features(model_options().fiber_in, g.num_nodes(), at::kFloat, gen);
  SE3Transformer model(model_options());
  const Features exact = model->forward(g, f);
  const RadialPrecisionScope precision(RadialPrecision::kBF16Radial);
  const Features out = model->forward(g, f);
  const double rounding = testing::features_error(out, exact);
  EXPECT_GT(rounding, 1e-6);
  EXPECT_LT(rounding, 3e-2);
  for (int trial = 0; trial < 3; ++trial) {
    const at::Tensor R = random_rotation(1, at::kFloat, gen)[0];
    const at::Tensor shift = at::randn({3}, gen, at::kFloat);
    const Features out_rot =
        model->forward(testing::transform_graph(g, R, shift), testing::rotate_features(f, R));
    const double error = testing::features_error(out_rot, testing::rotate_features(out, R));
    EXPECT_LT(error, 1e-5) << "trial " << trial << " (rounding itself: " << rounding << ")";
  }
}

}  // namespace
}  // namespace se3t

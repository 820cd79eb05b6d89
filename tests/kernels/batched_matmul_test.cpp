// The batched tiny-matrix product of ConvSE3's basis contraction against at::bmm: values and
// gradients (float64 to 1e-12, float32 to 1e-5, one and two threads), second derivatives,
// empty shapes, a hand example and bad arguments.
#include <gtest/gtest.h>

#include <torch/autograd.h>
#include <torch/utils.h>

#include "common/expect_error.h"
#include "common/testing.h"
#include "kernels/guards.h"
#include "se3t/kernels/batched_matmul.h"

namespace se3t {
namespace {

using testing::relative_error;

struct Shape {
  int64_t E, n, p, q;
};

// ConvSE3's shapes ([C_k, 2k+1] x [2k+1, nJ (2l+1)], e.g. 16 x 5 x 25) and the edge cases.
const std::vector<Shape> kShapes = {{0, 3, 2, 4},    {1, 1, 1, 1}, {50, 16, 1, 7}, {40, 8, 5, 25},
                                    {30, 32, 7, 49}, {7, 3, 0, 4}, {9, 0, 3, 5},   {300, 4, 3, 9}};

std::vector<at::Tensor> run(at::Tensor (*op)(const at::Tensor&, const at::Tensor&),
                            const at::Tensor& a, const at::Tensor& b, const at::Tensor& proj) {
  const at::Tensor out = op(a, b);
  const auto g = torch::autograd::grad({(out * proj).sum()}, {a, b}, {}, false, false, true);
  return {out.detach(), g[0], g[1]};
}

void check(const Shape& s, at::ScalarType dtype, double tol, uint64_t seed) {
  auto gen = testing::make_generator(seed);
  const at::Tensor a = at::randn({s.E, s.n, s.p}, gen, at::kDouble).to(dtype).requires_grad_();
  const at::Tensor b = at::randn({s.E, s.p, s.q}, gen, at::kDouble).to(dtype).requires_grad_();
  const at::Tensor proj = at::randn({s.E, s.n, s.q}, gen, at::kDouble).to(dtype);
  const auto f = run(kernels::batched_matmul, a, b, proj);
  const auto r = run(kernels::batched_matmul_reference, a, b, proj);
  const std::string what = "E=" + std::to_string(s.E) + " n=" + std::to_string(s.n) +
                           " p=" + std::to_string(s.p) + " q=" + std::to_string(s.q);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(f[i].defined()) << what << " " << i;
    ASSERT_EQ(f[i].sizes(), r[i].sizes()) << what << " " << i;
    if (r[i].numel() == 0) continue;
    if (r[i].abs().max().item<double>() == 0) {
      EXPECT_EQ(f[i].abs().max().item<double>(), 0) << what << " " << i;
      continue;
    }
    EXPECT_LT(relative_error(f[i].to(at::kDouble), r[i].to(at::kDouble)), tol) << what << " " << i;
  }
}

TEST(BatchedMatmul, MatchesBmmFloat64) {
  uint64_t seed = 1;
  for (const Shape& s : kShapes) check(s, at::kDouble, 1e-12, seed++);
}

TEST(BatchedMatmul, MatchesBmmFloat64TwoThreads) {
  testing::ThreadsGuard threads(2);
  uint64_t seed = 20;
  for (const Shape& s : kShapes) check(s, at::kDouble, 1e-12, seed++);
}

TEST(BatchedMatmul, MatchesBmmFloat32) {
  uint64_t seed = 40;
  for (const Shape& s : kShapes) check(s, at::kFloat, 1e-5, seed++);
}

TEST(BatchedMatmul, HandExample) {
  // [[1, 2]] x [[3], [4]] = [[11]]; second edge [[0, -1]] x [[5], [6]] = [[-6]].
  const at::Tensor a = at::tensor({1.0, 2.0, 0.0, -1.0}, at::kDouble).view({2, 1, 2});
  const at::Tensor b = at::tensor({3.0, 4.0, 5.0, 6.0}, at::kDouble).view({2, 2, 1});
  const at::Tensor out = kernels::batched_matmul(a, b);
  EXPECT_EQ(out[0][0][0].item<double>(), 11.0);
  EXPECT_EQ(out[1][0][0].item<double>(), -6.0);
}

// Second derivatives, as a loss on forces records the backward of the basis contraction.
TEST(BatchedMatmul, DoubleBackwardMatchesBmm) {
  auto gen = testing::make_generator(60);
  const at::Tensor a = at::randn({6, 4, 3}, gen, at::kDouble).requires_grad_();
  const at::Tensor b = at::randn({6, 3, 5}, gen, at::kDouble).requires_grad_();
  const at::Tensor proj = at::randn({6, 4, 5}, gen, at::kDouble);
  auto second = [&](at::Tensor (*op)(const at::Tensor&, const at::Tensor&)) {
    const at::Tensor loss = (op(a, b).pow(2) * proj).sum();
    const auto g = torch::autograd::grad({loss}, {a, b}, {}, true, true);
    const at::Tensor z = g[0].pow(2).sum() + g[1].pow(2).sum();
    return torch::autograd::grad({z}, {a, b});
  };
  const auto f = second(kernels::batched_matmul), r = second(kernels::batched_matmul_reference);
  EXPECT_LT(relative_error(f[0], r[0]), 1e-12);
  EXPECT_LT(relative_error(f[1], r[1]), 1e-12);
}

TEST(BatchedMatmul, NonContiguousInputs) {
  auto gen = testing::make_generator(70);
  const at::Tensor a =
      at::randn({5, 3, 4}, gen, at::kDouble).transpose(1, 2).contiguous().transpose(1, 2);
  const at::Tensor b = at::randn({5, 4, 6}, gen, at::kDouble);
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_LT(relative_error(kernels::batched_matmul(a, b), at::bmm(a, b)), 1e-14);
}

TEST(BatchedMatmul, RejectsBadArguments) {
  const at::Tensor a = at::randn({4, 3, 2}, at::kDouble), b = at::randn({4, 2, 5}, at::kDouble);
  using testing::expect_error;
  expect_error([&] { kernels::batched_matmul(a, b.narrow(1, 0, 1)); }, {"b [E, p, q]"});
  expect_error([&] { kernels::batched_matmul(a, b.narrow(0, 0, 3)); }, {"b [E, p, q]"});
  expect_error([&] { kernels::batched_matmul(a.view({4, 6}), b); }, {"a [E, n, p]"});
  expect_error([&] { kernels::batched_matmul(a, b.to(at::kFloat)); }, {"dtype"});
  expect_error([&] { kernels::batched_matmul(a.to(at::kLong), b); }, {"float32 or float64"});
  const at::Tensor meta =
      at::empty({4, 2, 5}, at::TensorOptions().dtype(at::kDouble).device(at::kMeta));
  expect_error([&] { kernels::batched_matmul(a, meta); }, {"CPU only"});
}

}  // namespace
}  // namespace se3t

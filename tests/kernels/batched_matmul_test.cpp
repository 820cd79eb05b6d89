// The batched tiny-matrix product of ConvSE3's basis contraction against at::bmm: values and
// gradients (float64 to 1e-12, float32 to 1e-5, one and two threads), second derivatives,
// empty shapes, a hand example and bad arguments; and its stacked form (several products per
// edge side by side) against at::bmm + at::cat; the AVX-512 kernels and the portable loops.
#include <gtest/gtest.h>

#include <torch/autograd.h>
#include <torch/utils.h>

#include "common/expect_error.h"
#include "common/testing.h"
#include "kernels/batched_matmul.h"
#include "kernels/batched_matmul_avx512.h"
#include "kernels/guards.h"

namespace se3t {
namespace {

using testing::relative_error;

struct Shape {
  int64_t E, n, p, q;
};

// ConvSE3's shapes ([C_k, 2k+1] x [2k+1, nJ (2l+1)], e.g. 16 x 5 x 25) and the edge cases:
// rows not a multiple of 4 and one row (the AVX-512 kernel's row tiles), odd rows (its
// gradient's pairs), q of exactly one and two vectors and a lane past them (masked tails), and
// even p (the portable loops).
const std::vector<Shape> kShapes = {{0, 3, 2, 4},    {1, 1, 1, 1},   {50, 16, 1, 7}, {40, 8, 5, 25},
                                    {30, 32, 7, 49}, {7, 3, 0, 4},   {9, 0, 3, 5},   {300, 4, 3, 9},
                                    {13, 5, 3, 17},  {11, 7, 7, 16}, {6, 1, 5, 33},  {5, 6, 4, 8}};

using testing::PortableLoops;

// Kernel outputs f against the reference's r (value, then gradients), one by one: exact zeros
// where the reference is all zero, relative error below tol elsewhere.
void expect_match(const std::vector<at::Tensor>& f, const std::vector<at::Tensor>& r, double tol,
                  const std::string& what) {
  ASSERT_EQ(f.size(), r.size()) << what;
  for (size_t i = 0; i < r.size(); ++i) {
    ASSERT_TRUE(f[i].defined() && r[i].defined()) << what << " " << i;
    ASSERT_EQ(f[i].sizes(), r[i].sizes()) << what << " " << i;
    if (r[i].numel() == 0) continue;
    if (r[i].abs().max().item<double>() == 0) {
      EXPECT_EQ(f[i].abs().max().item<double>(), 0) << what << " " << i;
      continue;
    }
    EXPECT_LT(relative_error(f[i].to(at::kDouble), r[i].to(at::kDouble)), tol) << what << " " << i;
  }
}

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
  expect_match(f, r, tol, what);
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

TEST(BatchedMatmul, PortableLoopsMatchBmm) {
  PortableLoops portable;
  uint64_t seed = 60;
  for (const Shape& s : kShapes) check(s, at::kDouble, 1e-12, seed++);
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

// ---- batched_matmul_stacked -----------------------------------------------------------------

using Stack = std::vector<Shape>;  // one E for all

std::vector<at::Tensor> run_stacked(at::Tensor (*op)(at::TensorList, at::TensorList),
                                    const std::vector<at::Tensor>& a,
                                    const std::vector<at::Tensor>& b, const at::Tensor& proj) {
  const at::Tensor out = op(a, b);
  std::vector<at::Tensor> inputs = a;
  inputs.insert(inputs.end(), b.begin(), b.end());
  const auto g = torch::autograd::grad({(out * proj).sum()}, inputs, {}, false, false, true);
  std::vector<at::Tensor> all = {out.detach()};
  all.insert(all.end(), g.begin(), g.end());
  return all;
}

void check_stacked(const Stack& st, at::ScalarType dtype, double tol, uint64_t seed) {
  auto gen = testing::make_generator(seed);
  std::vector<at::Tensor> a, b;
  int64_t width = 0;
  std::string what = "stack";
  for (const Shape& s : st) {
    a.push_back(at::randn({s.E, s.n, s.p}, gen, at::kDouble).to(dtype).requires_grad_());
    b.push_back(at::randn({s.E, s.p, s.q}, gen, at::kDouble).to(dtype).requires_grad_());
    width += s.n * s.q;
    what += " " + std::to_string(s.n) + "x" + std::to_string(s.p) + "x" + std::to_string(s.q);
  }
  const at::Tensor proj = at::randn({st[0].E, width}, gen, at::kDouble).to(dtype);
  const auto f = run_stacked(kernels::batched_matmul_stacked, a, b, proj);
  const auto r = run_stacked(kernels::batched_matmul_stacked_reference, a, b, proj);
  expect_match(f, r, tol, what);
}

// ConvSE3's stacks (all input degrees 0-3 into output degree 2: nJ = 1, 3, 5, 3), one product,
// and stacks with empty products (p = 0, n = 0) or no edges.
const std::vector<Stack> kStacks = {{{40, 8, 1, 5}, {40, 8, 3, 15}, {40, 8, 5, 25}, {40, 8, 7, 25}},
                                    {{300, 4, 3, 9}},
                                    {{7, 3, 0, 4}, {7, 2, 2, 3}, {7, 0, 3, 5}},
                                    {{0, 3, 2, 4}, {0, 1, 1, 1}},
                                    {{1, 1, 1, 1}, {1, 2, 1, 3}}};

TEST(BatchedMatmulStacked, MatchesBmmAndCatFloat64) {
  uint64_t seed = 100;
  for (const Stack& st : kStacks) check_stacked(st, at::kDouble, 1e-12, seed++);
}

TEST(BatchedMatmulStacked, PortableLoopsMatchBmmAndCat) {
  PortableLoops portable;
  uint64_t seed = 160;
  for (const Stack& st : kStacks) check_stacked(st, at::kDouble, 1e-12, seed++);
}

TEST(BatchedMatmulStacked, MatchesBmmAndCatFloat64TwoThreads) {
  testing::ThreadsGuard threads(2);
  uint64_t seed = 120;
  for (const Stack& st : kStacks) check_stacked(st, at::kDouble, 1e-12, seed++);
}

TEST(BatchedMatmulStacked, MatchesBmmAndCatFloat32) {
  uint64_t seed = 140;
  for (const Stack& st : kStacks) check_stacked(st, at::kFloat, 1e-5, seed++);
}

TEST(BatchedMatmulStacked, HandExample) {
  // Edge 0: [[1, 2]] x [[3], [4]] = [[11]] and [[2]] x [[1, -1]] = [[2, -2]] -> row [11, 2, -2].
  const at::Tensor a0 = at::tensor({1.0, 2.0}, at::kDouble).view({1, 1, 2});
  const at::Tensor b0 = at::tensor({3.0, 4.0}, at::kDouble).view({1, 2, 1});
  const at::Tensor a1 = at::tensor({2.0}, at::kDouble).view({1, 1, 1});
  const at::Tensor b1 = at::tensor({1.0, -1.0}, at::kDouble).view({1, 1, 2});
  const at::Tensor out = kernels::batched_matmul_stacked({a0, a1}, {b0, b1});
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{1, 3}));
  EXPECT_EQ(out[0][0].item<double>(), 11.0);
  EXPECT_EQ(out[0][1].item<double>(), 2.0);
  EXPECT_EQ(out[0][2].item<double>(), -2.0);
}

TEST(BatchedMatmulStacked, DoubleBackwardMatchesBmmAndCat) {
  auto gen = testing::make_generator(160);
  const std::vector<at::Tensor> a = {at::randn({6, 4, 3}, gen, at::kDouble).requires_grad_(),
                                     at::randn({6, 2, 1}, gen, at::kDouble).requires_grad_()};
  const std::vector<at::Tensor> b = {at::randn({6, 3, 5}, gen, at::kDouble).requires_grad_(),
                                     at::randn({6, 1, 3}, gen, at::kDouble).requires_grad_()};
  const at::Tensor proj = at::randn({6, 26}, gen, at::kDouble);
  auto second = [&](at::Tensor (*op)(at::TensorList, at::TensorList)) {
    const at::Tensor loss = (op(a, b).pow(2) * proj).sum();
    const auto g = torch::autograd::grad({loss}, {a[0], a[1], b[0], b[1]}, {}, true, true);
    at::Tensor z = at::zeros({}, at::kDouble);
    for (const at::Tensor& t : g) z = z + t.pow(2).sum();
    return torch::autograd::grad({z}, {a[0], a[1], b[0], b[1]});
  };
  const auto f = second(kernels::batched_matmul_stacked);
  const auto r = second(kernels::batched_matmul_stacked_reference);
  for (size_t i = 0; i < r.size(); ++i) EXPECT_LT(relative_error(f[i], r[i]), 1e-12) << i;
}

TEST(BatchedMatmulStacked, RejectsBadArguments) {
  const at::Tensor a = at::randn({4, 3, 2}, at::kDouble), b = at::randn({4, 2, 5}, at::kDouble);
  using testing::expect_error;
  expect_error([&] { kernels::batched_matmul_stacked({}, {}); }, {"at least one"});
  expect_error([&] { kernels::batched_matmul_stacked({a, a}, {b}); }, {"as many b as a"});
  expect_error([&] { kernels::batched_matmul_stacked({a}, {b.narrow(1, 0, 1)}); }, {"b [E, p, q]"});
  expect_error(
      [&] {
        kernels::batched_matmul_stacked({a, a.narrow(0, 0, 3)}, {b, b.narrow(0, 0, 3)});
      },
      {"same edges"});
  expect_error(
      [&] {
        kernels::batched_matmul_stacked({a, a.to(at::kFloat)}, {b, b.to(at::kFloat)});
      },
      {"same edges and dtype"});
  const at::Tensor meta =
      at::empty({4, 2, 5}, at::TensorOptions().dtype(at::kDouble).device(at::kMeta));
  expect_error([&] { kernels::batched_matmul_stacked({a}, {meta}); }, {"CPU only"});
}

}  // namespace
}  // namespace se3t

// NBodyDataset: frame selection, [3, n] -> [n, 3] transposition and batching by concatenation.
#include "se3t/data/nbody_dataset.h"
#include "common/expect_error.h"

#include "se3t/util/check.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace se3t {
namespace {

using testing::expect_error;

NBodySplit small_split() {
  NBodyOptions o;
  o.num_frames = 8;
  o.sample_freq = 10;
  return generate_nbody_dataset(o, 4, 17);
}

TEST(NBodyDataset, SampleIsTransposedFrame) {
  const NBodySplit split = small_split();
  const NBodyDataset ds(split, 2, 6);
  EXPECT_EQ(ds.size(), 4);
  EXPECT_EQ(ds.num_particles(), 5);
  EXPECT_EQ(ds.num_frames(), 8);
  const NBodyBatch b = ds.get(3);
  EXPECT_EQ(b.num_graphs, 1);
  EXPECT_EQ(b.nodes_per_graph, 5);
  EXPECT_EQ(b.pos.sizes(), (at::IntArrayRef{5, 3}));
  EXPECT_EQ(b.charges.sizes(), (at::IntArrayRef{5}));
  for (int64_t i = 0; i < 5; ++i) {
    for (int64_t d = 0; d < 3; ++d) {
      EXPECT_EQ(b.pos[i][d].item<double>(), split.loc[3][2][d][i].item<double>());
      EXPECT_EQ(b.vel[i][d].item<double>(), split.vel[3][2][d][i].item<double>());
      EXPECT_EQ(b.target_pos[i][d].item<double>(), split.loc[3][6][d][i].item<double>());
      EXPECT_EQ(b.target_vel[i][d].item<double>(), split.vel[3][6][d][i].item<double>());
    }
    EXPECT_EQ(b.charges[i].item<double>(), split.charges[3][i][0].item<double>());
  }
  // Frames from the options.
  NBodyOptions o;
  o.input_frame = 1;
  o.target_frame = 7;
  const NBodyDataset from_options(split, o);
  EXPECT_EQ(from_options.input_frame(), 1);
  EXPECT_EQ(from_options.target_frame(), 7);
}

TEST(NBodyDataset, BatchConcatenatesSimulations) {
  const NBodyDataset ds(small_split(), 0, 5);
  const NBodyBatch b = ds.batch({2, 0, 2});
  EXPECT_EQ(b.num_graphs, 3);
  EXPECT_EQ(b.pos.sizes(), (at::IntArrayRef{15, 3}));
  EXPECT_EQ(b.target_vel.sizes(), (at::IntArrayRef{15, 3}));
  EXPECT_EQ(b.charges.sizes(), (at::IntArrayRef{15}));
  const std::vector<int64_t> sims = {2, 0, 2};
  for (int64_t k = 0; k < 3; ++k) {
    const NBodyBatch one = ds.get(sims[k]);
    EXPECT_TRUE(at::equal(b.pos.narrow(0, 5 * k, 5), one.pos)) << k;
    EXPECT_TRUE(at::equal(b.vel.narrow(0, 5 * k, 5), one.vel)) << k;
    EXPECT_TRUE(at::equal(b.target_pos.narrow(0, 5 * k, 5), one.target_pos)) << k;
    EXPECT_TRUE(at::equal(b.target_vel.narrow(0, 5 * k, 5), one.target_vel)) << k;
    EXPECT_TRUE(at::equal(b.charges.narrow(0, 5 * k, 5), one.charges)) << k;
  }
  EXPECT_EQ(b.graph_index.scalar_type(), at::kLong);
  const at::Tensor want =
      at::tensor(std::vector<int64_t>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2});
  EXPECT_TRUE(at::equal(b.graph_index, want));
  const NBodyBatch empty = ds.batch({});
  EXPECT_EQ(empty.pos.sizes(), (at::IntArrayRef{0, 3}));
}

TEST(NBodyDataset, BatchAtUsesPerEntryInputFrames) {
  const NBodySplit split = small_split();
  const NBodyDataset ds(split, 0, 5);
  EXPECT_EQ(ds.num_start_frames(), 3);  // inputs 0, 1, 2 have targets 5, 6, 7
  const NBodyBatch b = ds.batch_at({1, 3}, {2, 0});
  EXPECT_TRUE(at::equal(b.pos.narrow(0, 0, 5), split.loc[1][2].t()));
  EXPECT_TRUE(at::equal(b.target_pos.narrow(0, 0, 5), split.loc[1][7].t()));
  EXPECT_TRUE(at::equal(b.pos.narrow(0, 5, 5), split.loc[3][0].t()));
  EXPECT_TRUE(at::equal(b.target_vel.narrow(0, 5, 5), split.vel[3][5].t()));
  // A backwards offset works too.
  const NBodyDataset back(split, 7, 2);
  EXPECT_EQ(back.num_start_frames(), 3);
  EXPECT_TRUE(at::equal(back.get(0).target_pos, split.loc[0][2].t()));
}

TEST(NBodyDataset, Errors) {
  const NBodySplit split = small_split();
  expect_error([&] { NBodyDataset(split, 0, 8); }, {"target_frame 8"});
  expect_error([&] { NBodyDataset(split, -1, 2); }, {"input_frame -1"});
  const NBodyDataset ds(split, 0, 5);
  expect_error([&] { ds.get(4); }, {"simulation index 4"});
  expect_error([&] { ds.batch({0, -1}); }, {"simulation index -1", "entry 1"});
  expect_error([&] { ds.batch_at({0}, {3}); }, {"input frame 3", "8"});
  expect_error([&] { ds.batch_at({0, 1}, {0}); }, {"2 simulations but 1 input frames"});
  NBodySplit broken = split;
  broken.vel = split.vel.narrow(1, 0, 7);
  expect_error([&] { NBodyDataset(broken, 0, 1); }, {"vel shape"});
}

}  // namespace
}  // namespace se3t

// The N-body augmentations: what they change in a batch, and that the samples they make are
// samples of the simulator's own dynamics (re-simulated here).
#include "se3t/data/nbody_augmentation.h"
#include "common/expect_error.h"

#include "se3t/data/nbody_files.h"
#include "se3t/data/nbody_simulator.h"
#include "se3t/util/check.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace se3t {
namespace {

using testing::expect_error;

// EGNN-protocol simulations (walls only at the start), recorded up to frame 40.
NBodyOptions egnn_options() {
  NBodyOptions o = nbody_protocol_options("egnn");
  o.num_frames = 41;
  return o;
}

// Entry k of a batch as a simulator state.
NBodyState entry_state(const NBodyBatch& b, int64_t k) {
  const int64_t n = b.nodes_per_graph;
  const at::Tensor pos = b.pos.narrow(0, k * n, n).t().contiguous();  // [3, n], the file layout
  const at::Tensor vel = b.vel.narrow(0, k * n, n).t().contiguous();
  const at::Tensor q = b.charges.narrow(0, k * n, n).contiguous();
  NBodyState s;
  s.loc.assign(pos.data_ptr<double>(), pos.data_ptr<double>() + 3 * n);
  s.vel.assign(vel.data_ptr<double>(), vel.data_ptr<double>() + 3 * n);
  s.charges.assign(q.data_ptr<double>(), q.data_ptr<double>() + n);
  return s;
}

// The state after `frames` recorded frames of the simulator from `s`, no walls, as [n, 3].
std::pair<at::Tensor, at::Tensor> simulate_from(NBodyOptions o, const NBodyState& s,
                                                int64_t frames) {
  o.box_size = 0.0;
  o.num_frames = frames + 1;
  const NBodyTrajectory t = simulate_nbody(o, s);
  const int64_t n = s.num_particles();
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  auto last = [&](const std::vector<double>& v) {
    return at::tensor(std::vector<double>(v.end() - 3 * n, v.end()), f64).view({3, n}).t();
  };
  return {last(t.loc), last(t.vel)};
}

TEST(NBodyAugmentation, ReverseTimeSwapsAndNegatesOnlyTheFlaggedEntries) {
  const NBodyDataset ds(generate_nbody_dataset(egnn_options(), 3, 5), 30, 40);
  const NBodyBatch b = ds.batch({0, 1, 2});
  const NBodyBatch r = reverse_time(b, {1, 0, 1});
  for (int64_t k : {0, 2}) {
    const int64_t o = 5 * k;
    EXPECT_TRUE(at::equal(r.pos.narrow(0, o, 5), b.target_pos.narrow(0, o, 5)));
    EXPECT_TRUE(at::equal(r.target_pos.narrow(0, o, 5), b.pos.narrow(0, o, 5)));
    EXPECT_TRUE(at::equal(r.vel.narrow(0, o, 5), -b.target_vel.narrow(0, o, 5)));
    EXPECT_TRUE(at::equal(r.target_vel.narrow(0, o, 5), -b.vel.narrow(0, o, 5)));
  }
  for (const auto& [x, y] : {std::pair{r.pos, b.pos},
                             {r.vel, b.vel},
                             {r.target_pos, b.target_pos},
                             {r.target_vel, b.target_vel}}) {
    EXPECT_TRUE(at::equal(x.narrow(0, 5, 5), y.narrow(0, 5, 5)));
  }
  EXPECT_TRUE(at::equal(r.charges, b.charges));
  // Reversing twice gives the batch back.
  const NBodyBatch rr = reverse_time(r, {1, 0, 1});
  EXPECT_TRUE(at::equal(rr.pos, b.pos) && at::equal(rr.vel, b.vel) &&
              at::equal(rr.target_pos, b.target_pos) && at::equal(rr.target_vel, b.target_vel));
}

// A reversed sample is (up to the simulator's half-step velocity convention) a sample of the
// same dynamics: simulating 1,000 steps from (x_40, -v_40) lands on (x_30, -v_30), except in
// the odd system whose close encounter amplifies the one-kick velocity offset (chaos): 1 of
// these 16. The label noise that leaves, as a position MSE per coordinate (5e-4 here), is an
// order below the errors models reach on the task (5e-3).
TEST(NBodyAugmentation, ReversedSamplesFollowTheSimulatorsDynamics) {
  const NBodyOptions o = egnn_options();
  const int64_t sims = 16;
  const NBodyDataset ds(generate_nbody_dataset(o, sims, 9), 30, 40);
  std::vector<int64_t> all(sims);
  for (int64_t k = 0; k < sims; ++k) all[k] = k;
  const NBodyBatch r = reverse_time(ds.batch(all), std::vector<uint8_t>(sims, 1));
  const double t = 10.0 * static_cast<double>(o.sample_freq) * o.dt;
  int64_t close_pos = 0, close_vel = 0;
  double se_pos = 0.0;
  for (int64_t k = 0; k < sims; ++k) {
    const auto [pos, vel] = simulate_from(o, entry_state(r, k), 10);
    const at::Tensor want_pos = r.target_pos.narrow(0, 5 * k, 5);
    const at::Tensor want_vel = r.target_vel.narrow(0, 5 * k, 5);
    const double e_pos = (pos - want_pos).square().sum().item<double>();
    // The force-free motion's error: what the model starts from (residual = true).
    const at::Tensor free = r.pos.narrow(0, 5 * k, 5) + t * r.vel.narrow(0, 5 * k, 5);
    const double e_free = (free - want_pos).square().sum().item<double>();
    const double e_vel = (vel - want_vel).square().sum().item<double>();
    close_pos += e_pos < 1e-3 * e_free;
    close_vel += e_vel < 1e-2 * want_vel.square().sum().item<double>();
    se_pos += e_pos;
  }
  EXPECT_GE(close_pos, sims - 3);
  EXPECT_GE(close_vel, sims - 3);
  EXPECT_LT(se_pos / static_cast<double>(sims * 15), 1e-3);
  // Without negating the velocities the samples are not the dynamics' (the check can fail).
  const NBodyBatch swapped = [&] {
    NBodyBatch s = r;
    s.vel = -r.vel;
    return s;
  }();
  const auto [pos, vel] = simulate_from(o, entry_state(swapped, 0), 10);
  EXPECT_GT((pos - r.target_pos.narrow(0, 0, 5)).square().sum().item<double>(), 1e-2);
}

// Forces depend on charges through q_i q_j only: the negated system's trajectory is the same,
// to the bit.
TEST(NBodyAugmentation, FlippedChargesLeaveTheTrajectoryUnchanged) {
  const NBodyOptions o = egnn_options();
  const NBodyDataset ds(generate_nbody_dataset(o, 2, 21), 30, 40);
  const NBodyBatch b = ds.batch({0, 1});
  const NBodyBatch f = flip_charges(b, {0, 1});
  EXPECT_TRUE(at::equal(f.charges.narrow(0, 0, 5), b.charges.narrow(0, 0, 5)));
  EXPECT_TRUE(at::equal(f.charges.narrow(0, 5, 5), -b.charges.narrow(0, 5, 5)));
  EXPECT_TRUE(at::equal(f.pos, b.pos) && at::equal(f.vel, b.vel));
  const auto [pos, vel] = simulate_from(o, entry_state(b, 1), 10);
  const auto [fpos, fvel] = simulate_from(o, entry_state(f, 1), 10);
  EXPECT_TRUE(at::equal(pos, fpos) && at::equal(vel, fvel));
}

TEST(NBodyAugmentation, Errors) {
  const NBodyDataset ds(generate_nbody_dataset(egnn_options(), 2, 5), 30, 40);
  const NBodyBatch b = ds.batch({0, 1});
  expect_error([&] { reverse_time(b, {1}); }, {"reverse_time", "1 flags", "2 systems"});
  expect_error([&] { flip_charges(b, {1, 0, 1}); }, {"flip_charges", "3 flags"});
  NBodyBatch no_targets = b;
  no_targets.target_pos = at::Tensor();
  expect_error([&] { reverse_time(no_targets, {1, 1}); }, {"no targets"});
}

}  // namespace
}  // namespace se3t

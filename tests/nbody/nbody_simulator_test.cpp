// Charged-particle simulator: physics (energy, forces, clipping, walls), integration order,
// randomness (charge statistics, reproducibility), protocols and the .npy split files.
#include "se3t/data/nbody_simulator.h"
#include "common/expect_error.h"
#include "common/temp_dir.h"

#include "se3t/data/npy.h"
#include "se3t/util/check.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace se3t {
namespace {

namespace fs = std::filesystem;

using testing::expect_error;

// Frame `f` of a trajectory as a state.
NBodyState frame_state(const NBodyTrajectory& t, int64_t f) {
  const int64_t m = 3 * t.num_particles;
  NBodyState s;
  s.loc.assign(t.loc.begin() + f * m, t.loc.begin() + (f + 1) * m);
  s.vel.assign(t.vel.begin() + f * m, t.vel.begin() + (f + 1) * m);
  s.charges = t.charges;
  return s;
}

// Largest |E(frame) - E(0)| / |E(0)| over the recording.
double max_relative_energy_drift(const NBodyTrajectory& t) {
  const double e0 = nbody_energy(frame_state(t, 0));
  double drift = 0.0;
  for (int64_t f = 1; f < t.num_frames; ++f) {
    drift = std::max(drift, std::abs(nbody_energy(frame_state(t, f)) - e0) / std::abs(e0));
  }
  return drift;
}

// Free (no walls, no clipping) like-charged particles: they repel, so they never come close
// and the Coulomb singularity is never approached.
NBodyOptions free_options(double dt, int64_t steps) {
  NBodyOptions o;
  o.dt = dt;
  o.box_size = 0.0;
  o.clip_forces = false;
  o.sample_freq = steps / 50;
  o.num_frames = 51;
  return o;
}

NBodyState repelling_state(const NBodyOptions& o) {
  NBodyState s = sample_initial_state(o, /*seed=*/7, /*index=*/0);
  std::fill(s.charges.begin(), s.charges.end(), 1.0);
  return s;
}

// The integrator is symplectic Euler: no secular drift, and the recorded (x_k, v_k) pair
// differs from a consistent phase-space point by half a kick, so |dE| ~ dt/2 |F||v|. With
// |F| <~ 1, |v| <~ 1 and E ~ 5 here, dt = 1e-4 bounds the relative error by ~1e-5; 1e-3 leaves
// two orders of margin while still catching a wrong sign, factor or order (those drift O(1)).
TEST(NBodySimulator, EnergyConservedWithSmallDt) {
  const NBodyOptions o = free_options(1e-4, 5000);
  const NBodyTrajectory t = simulate_nbody(o, repelling_state(o));
  const double drift = max_relative_energy_drift(t);
  EXPECT_LT(drift, 1e-3);
  // The particles really moved (the test is not vacuous).
  const NBodyState last = frame_state(t, t.num_frames - 1);
  EXPECT_GT(std::abs(last.loc[0] - t.loc[0]), 1e-2);
}

TEST(NBodySimulator, EnergyDriftGrowsWithDt) {
  // Same physical time (0.5) with a 100x larger step: the O(dt) error must grow accordingly
  // (measured: 1.3e-5 at dt = 1e-4, 1.3e-3 at dt = 1e-2), past the conservation test's bound,
  // which shows that test can fail.
  const NBodyOptions small = free_options(1e-4, 5000);
  const NBodyOptions large = free_options(1e-2, 50);
  const double drift_small =
      max_relative_energy_drift(simulate_nbody(small, repelling_state(small)));
  const double drift_large =
      max_relative_energy_drift(simulate_nbody(large, repelling_state(large)));
  EXPECT_GT(drift_large, 20.0 * drift_small);
  EXPECT_GT(drift_large, 1e-3);
}

TEST(NBodySimulator, ForcesAreMinusGradientOfPotential) {
  NBodyOptions o;
  o.clip_forces = false;
  NBodyState s = sample_initial_state(o, 3, 1);
  const std::vector<double> f = nbody_forces(o, s);
  std::fill(s.vel.begin(), s.vel.end(), 0.0);  // energy = potential only
  const double h = 1e-6;
  double sum[3] = {0, 0, 0};
  for (size_t k = 0; k < s.loc.size(); ++k) {
    NBodyState plus = s, minus = s;
    plus.loc[k] += h;
    minus.loc[k] -= h;
    const double grad = (nbody_energy(plus) - nbody_energy(minus)) / (2 * h);
    EXPECT_NEAR(f[k], -grad, 1e-5 * (1.0 + std::abs(grad))) << k;
    sum[k / 5] += f[k];
  }
  for (const double total : sum) EXPECT_NEAR(total, 0.0, 1e-9);  // Newton's third law
}

TEST(NBodySimulator, ForceClipping) {
  NBodyOptions o;
  o.num_particles = 2;
  NBodyState s;
  s.loc = {0.0, 0.01, 1.0, 1.0, -2.0, -2.0};  // [3, 2]: 0.01 apart along x
  s.vel.assign(6, 0.0);
  s.charges = {1.0, 1.0};
  std::vector<double> f = nbody_forces(o, s);
  // Unclipped: q q (x0 - x1) / r^3 = -0.01 / 1e-6 = -1e4 on particle 0 (repelled to -x).
  EXPECT_EQ(f, (std::vector<double>{-100.0, 100.0, 0.0, 0.0, 0.0, 0.0}));
  s.charges = {1.0, -1.0};
  f = nbody_forces(o, s);
  EXPECT_EQ(f, (std::vector<double>{100.0, -100.0, 0.0, 0.0, 0.0, 0.0}));
  o.clip_forces = false;
  f = nbody_forces(o, s);
  EXPECT_NEAR(f[0], 1e4, 1e-6);
  EXPECT_NEAR(f[1], -1e4, 1e-6);
  // Far apart: clipping changes nothing (1 / 2^2 = 0.25).
  s.loc = {0.0, 2.0, 0.0, 0.0, 0.0, 0.0};
  o.clip_forces = true;
  f = nbody_forces(o, s);
  EXPECT_DOUBLE_EQ(f[0], 0.25);
  // Coinciding particles have no defined force.
  s.loc = {1.0, 1.0, 2.0, 2.0, 3.0, 3.0};
  expect_error([&] { nbody_forces(o, s); }, {"coincide"});
}

TEST(NBodySimulator, IntegrationOrderIsKickThenDriftAsInNri) {
  NBodyOptions o;
  o.sample_freq = 1;
  o.num_frames = 3;
  const NBodyState s0 = sample_initial_state(o, 11, 0);
  const NBodyTrajectory t = simulate_nbody(o, s0);
  // Frame 0 is the initial state (inside the box, so the walls leave it alone).
  ASSERT_LT(*std::max_element(s0.loc.begin(), s0.loc.end()), 5.0);
  EXPECT_EQ(frame_state(t, 0).loc, s0.loc);
  EXPECT_EQ(frame_state(t, 0).vel, s0.vel);
  // Frame 1: v1 = v0 + dt F(x0), x1 = x0 + dt v1 (the recorded velocity carried x0 to x1).
  const std::vector<double> f0 = nbody_forces(o, s0);
  NBodyState s1 = s0;
  for (size_t k = 0; k < s1.loc.size(); ++k) {
    s1.vel[k] = s0.vel[k] + o.dt * f0[k];
    s1.loc[k] = s0.loc[k] + o.dt * s1.vel[k];
  }
  EXPECT_EQ(frame_state(t, 1).loc, s1.loc);
  EXPECT_EQ(frame_state(t, 1).vel, s1.vel);
  const std::vector<double> f1 = nbody_forces(o, s1);
  NBodyState s2 = s1;
  for (size_t k = 0; k < s2.loc.size(); ++k) {
    s2.vel[k] = s1.vel[k] + o.dt * f1[k];
    s2.loc[k] = s1.loc[k] + o.dt * s2.vel[k];
  }
  EXPECT_EQ(frame_state(t, 2).loc, s2.loc);
  EXPECT_EQ(frame_state(t, 2).vel, s2.vel);
}

TEST(NBodySimulator, ReflectionAtTheWalls) {
  NBodyOptions o;
  o.num_particles = 1;  // no partner, no force: straight motion until the wall
  o.sample_freq = 10;
  o.num_frames = 11;
  NBodyState s;
  s.charges = {1.0};
  s.loc = {4.95, 0.0, -4.97};
  s.vel = {1.0, 0.2, -0.5};
  const NBodyTrajectory t = simulate_nbody(o, s);
  // After 100 steps of 0.001: free x would be 5.05 -> 2*5 - 5.05 = 4.95, v_x = -1;
  // free z would be -5.02 -> -2*5 + 5.02 = -4.98, v_z = +0.5; y moves freely.
  const NBodyState last = frame_state(t, 10);
  EXPECT_NEAR(last.loc[0], 4.95, 1e-9);
  EXPECT_NEAR(last.vel[0], -1.0, 1e-12);
  EXPECT_NEAR(last.loc[1], 0.02, 1e-9);
  EXPECT_NEAR(last.vel[1], 0.2, 1e-12);
  EXPECT_NEAR(last.loc[2], -4.98, 1e-9);
  EXPECT_NEAR(last.vel[2], 0.5, 1e-12);
  for (const double x : t.loc) EXPECT_LE(std::abs(x), 5.0);

  // EGNN's protocol applies the walls to the initial state only: the particle leaves the box.
  o.walls_every_step = false;
  const NBodyState free_last = frame_state(simulate_nbody(o, s), 10);
  EXPECT_NEAR(free_last.loc[0], 5.05, 1e-9);
  EXPECT_NEAR(free_last.vel[0], 1.0, 1e-12);
}

TEST(NBodySimulator, ApplyWallsMatchesNriClamp) {
  std::vector<double> loc = {5.3, -5.3, 5.3, 2.0, 5.0, 17.0, 37.0, -37.0};
  std::vector<double> vel = {2.0, -2.0, -2.0, 3.0, 1.0, 1.0, 1.0, 1.0};
  apply_walls(5.0, loc, vel);
  const std::vector<double> want_loc = {4.7, -4.7, 4.7, 2.0, 5.0, -3.0, -3.0, 3.0};
  // Over the top: -|v|; under the bottom: +|v|; inside (and exactly on the wall): unchanged.
  // 17 -> -7 (top) -> -3 (bottom): +|v|; 37 folds the same way as 17.
  const std::vector<double> want_vel = {-2.0, 2.0, -2.0, 3.0, 1.0, 1.0, 1.0, -1.0};
  for (size_t k = 0; k < loc.size(); ++k) {
    EXPECT_NEAR(loc[k], want_loc[k], 1e-12) << k;
    EXPECT_EQ(vel[k], want_vel[k]) << k;
  }
  std::vector<double> nan_loc = {std::nan("")}, v1 = {0.0};
  expect_error([&] { apply_walls(5.0, nan_loc, v1); }, {"non-finite"});
  expect_error([&] { apply_walls(0.0, loc, vel); }, {"box_size"});
}

TEST(NBodySimulator, GeneratedPaperDataStaysInsideTheBox) {
  NBodyOptions o = NBodyOptions::paper();
  const NBodySplit split = generate_nbody_dataset(o, 8, 5);
  EXPECT_LE(split.loc.abs().max().item<double>(), 5.0);
  EXPECT_TRUE(at::isfinite(split.vel).all().item<bool>());
}

TEST(NBodySimulator, ChargeAndInitialStateStatistics) {
  NBodyOptions o;
  o.num_frames = 1;  // only the initial state
  const int64_t sims = 4000;
  const NBodySplit split = generate_nbody_dataset(o, sims, 123);
  const at::Tensor q = split.charges;
  EXPECT_TRUE(((q == 1.0) | (q == -1.0)).all().item<bool>());
  const double count = static_cast<double>(q.numel());
  const double frac = (q == 1.0).sum().item<double>() / count;
  const double sigma = 0.5 / std::sqrt(count);
  EXPECT_LT(std::abs(frac - 0.5), 4 * sigma) << frac;
  // Speeds are exactly vel_norm.
  const at::Tensor speed = split.vel.select(1, 0).pow(2).sum(1).sqrt();
  EXPECT_LT((speed - 0.5).abs().max().item<double>(), 1e-12);

  // Positions: N(0, s^2) with s = (n / 5)^(1/3) = 2 for 40 particles (walls off so the box
  // does not fold the tails).
  o.num_particles = 40;
  o.box_size = 0.0;
  const at::Tensor x = generate_nbody_dataset(o, 300, 9).loc;
  EXPECT_DOUBLE_EQ(o.effective_loc_std(), 2.0);
  EXPECT_NEAR(x.mean().item<double>(), 0.0, 0.045);  // ~4 sigma for 36,000 samples
  EXPECT_NEAR(x.std().item<double>(), 2.0, 0.03);    // ~4 sigma
}

TEST(NBodySimulator, ReproducibleAndIndependentStreams) {
  NBodyOptions o;
  o.num_frames = 6;
  const NBodySplit a = generate_nbody_dataset(o, 8, 42);
  const NBodySplit b = generate_nbody_dataset(o, 8, 42);
  EXPECT_TRUE(at::equal(a.loc, b.loc));
  EXPECT_TRUE(at::equal(a.vel, b.vel));
  EXPECT_TRUE(at::equal(a.charges, b.charges));
  const NBodySplit c = generate_nbody_dataset(o, 8, 43);
  EXPECT_FALSE(at::equal(a.loc, c.loc));
  EXPECT_FALSE(at::equal(a.vel, c.vel));
  // Simulation i depends only on (seed, i): a prefix or an offset range reproduces it.
  const NBodySplit head = generate_nbody_dataset(o, 3, 42);
  const NBodySplit tail = generate_nbody_dataset(o, 5, 42, 3);
  EXPECT_TRUE(at::equal(head.loc, a.loc.narrow(0, 0, 3)));
  EXPECT_TRUE(at::equal(tail.loc, a.loc.narrow(0, 3, 5)));
  EXPECT_TRUE(at::equal(tail.charges, a.charges.narrow(0, 3, 5)));
}

TEST(NBodySimulator, RandomStreamIsPinned) {
  // Pins the portable stream (mt19937_64 + seed_seq + our uniform/normal): a change to the
  // generator silently changes every data set, so it must show up here.
  NBodyOptions o;
  const NBodyState s = sample_initial_state(o, 42, 0);
  EXPECT_EQ(s.charges, (std::vector<double>{1.0, 1.0, -1.0, -1.0, 1.0}));
  const std::vector<double> want = {
      0.11941345920230441,   -1.0697568775106754,  -0.77573488729025186, 0.81881116378947449,
      -0.092173856769758089, 1.6806973994119352,   -0.03157385944720905, -0.52200111569837304,
      -2.1180297036570632,   -0.74893993582773866, -0.36566673139218847, 1.3654354526467529,
      -1.6583958400190029,   -1.6699267012293539,  -1.6583733927339257};
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(s.loc[k], want[k], 1e-12) << k;
}

TEST(NBodySimulator, ProtocolsAndSplits) {
  const NBodyOptions p = NBodyOptions::paper();
  EXPECT_TRUE(p.walls_every_step);
  EXPECT_EQ(p.target_frame - p.input_frame, 5);  // 500 steps at sample_freq 100
  EXPECT_EQ(p.sample_freq, 100);
  EXPECT_EQ(p.dt, 0.001);
  EXPECT_EQ(p.num_train, 5000);
  EXPECT_EQ(p.num_test, 1000);
  NBodyOptions e = NBodyOptions::egnn();
  EXPECT_FALSE(e.walls_every_step);
  EXPECT_EQ(e.input_frame, 30);
  EXPECT_EQ(e.target_frame, 40);
  EXPECT_EQ(e.num_train, 3000);
  EXPECT_EQ(e.num_valid, 2000);
  EXPECT_EQ(e.num_test, 2000);
  p.validate_protocol();
  e.validate_protocol();

  e.num_train = 3;
  e.num_valid = 2;
  e.num_test = 2;
  e.num_frames = 41;
  const NBodySplits s = generate_nbody_splits(e, 1);
  EXPECT_EQ(s.train.num_sims(), 3);
  EXPECT_EQ(s.valid.num_sims(), 2);
  EXPECT_EQ(s.test.num_frames(), 41);
  // The splits use disjoint simulation indices of one stream family.
  EXPECT_TRUE(at::equal(s.test.loc, generate_nbody_dataset(e, 2, 1, 5).loc));
  EXPECT_FALSE(at::equal(s.valid.loc, s.test.loc));

  NBodyOptions bad = NBodyOptions::egnn();
  bad.num_frames = 40;  // target frame 40 would not be recorded
  expect_error([&] { bad.validate_protocol(); }, {"target_frame 40"});
  expect_error([&] { generate_nbody_splits(bad, 0); }, {"target_frame 40"});
  bad.validate();  // the simulation itself does not need the protocol's frames
  bad = NBodyOptions();
  bad.dt = 0.0;
  expect_error([&] { generate_nbody_dataset(bad, 1, 0); }, {"dt"});
  expect_error([&] { generate_nbody_dataset(NBodyOptions(), -1, 0); }, {"num_sims"});
  NBodyState wrong = sample_initial_state(NBodyOptions(), 0, 0);
  wrong.vel.pop_back();
  expect_error([&] { simulate_nbody(NBodyOptions(), wrong); }, {"vel"});
}

class NBodySplitFiles : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }
  testing::TempDir tmp_{"nbody"};
  std::string dir_ = tmp_.str();
};

TEST_F(NBodySplitFiles, RoundTripInEgnnLayout) {
  NBodyOptions o;
  o.num_frames = 7;
  const NBodySplit split = generate_nbody_dataset(o, 4, 3);
  const std::string suffix = "train_charged5_initvel1small";
  write_nbody_split(dir_, suffix, split);
  for (const char* kind : {"loc_", "vel_", "charges_"}) {
    EXPECT_TRUE(fs::exists(path(kind + suffix + ".npy"))) << kind;
  }
  const NpyArray loc = read_npy(path("loc_" + suffix + ".npy"));
  EXPECT_EQ(loc.shape, (std::vector<int64_t>{4, 7, 3, 5}));
  EXPECT_EQ(loc.dtype, "<f8");
  EXPECT_EQ(read_npy(path("charges_" + suffix + ".npy")).shape, (std::vector<int64_t>{4, 5, 1}));
  const NBodySplit back = read_nbody_split(dir_, suffix);
  EXPECT_TRUE(at::equal(back.loc, split.loc));
  EXPECT_TRUE(at::equal(back.vel, split.vel));
  EXPECT_TRUE(at::equal(back.charges, split.charges));
}

TEST_F(NBodySplitFiles, AcceptsFloat32AndFlatCharges) {
  NBodyOptions o;
  o.num_frames = 2;
  const NBodySplit split = generate_nbody_dataset(o, 2, 3);
  write_npy(path("loc_x.npy"), split.loc, /*float32=*/true);
  write_npy(path("vel_x.npy"), split.vel, /*float32=*/true);
  write_npy(path("charges_x.npy"), split.charges.squeeze(-1));
  const NBodySplit back = read_nbody_split(dir_, "x");
  EXPECT_EQ(back.charges.sizes(), split.charges.sizes());
  EXPECT_LT((back.loc - split.loc).abs().max().item<double>(), 1e-5);
}

TEST_F(NBodySplitFiles, ReadErrorsNameTheFile) {
  NBodyOptions o;
  o.num_frames = 2;
  const NBodySplit split = generate_nbody_dataset(o, 3, 3);
  // Missing file.
  expect_error([&] { read_nbody_split(dir_, "none"); }, {path("loc_none.npy")});
  write_nbody_split(dir_, "s", split);
  fs::remove(path("vel_s.npy"));
  expect_error([&] { read_nbody_split(dir_, "s"); }, {path("vel_s.npy"), "cannot open"});
  // vel with a different shape.
  write_npy(path("vel_s.npy"), split.vel.narrow(0, 0, 2));
  expect_error([&] { read_nbody_split(dir_, "s"); }, {path("vel_s.npy"), "[2, 2, 3, 5]"});
  // charges for another number of simulations / of the wrong rank.
  write_npy(path("vel_s.npy"), split.vel);
  write_npy(path("charges_s.npy"), split.charges.narrow(0, 0, 2));
  expect_error([&] { read_nbody_split(dir_, "s"); }, {path("charges_s.npy"), "[3, 5, 1]"});
  write_npy(path("charges_s.npy"), split.charges.unsqueeze(0));
  expect_error([&] { read_nbody_split(dir_, "s"); }, {path("charges_s.npy")});
  // loc that is not [sims, frames, 3, n].
  write_npy(path("charges_s.npy"), split.charges);
  write_npy(path("loc_s.npy"), split.loc.transpose(2, 3));
  expect_error([&] { read_nbody_split(dir_, "s"); }, {path("loc_s.npy"), "[sims, frames, 3, n]"});
  // Writing an inconsistent split is refused before any file is touched.
  NBodySplit broken = split;
  broken.charges = split.charges.narrow(1, 0, 4);
  expect_error([&] { write_nbody_split(dir_, "w", broken); }, {"charges"});
  EXPECT_FALSE(fs::exists(path("loc_w.npy")));
}

}  // namespace
}  // namespace se3t

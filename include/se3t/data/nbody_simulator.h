// Charged-particle N-body simulator in 3D, after NRI's ChargedParticlesSim
// (ethanfetaya/NRI data/synthetic_sim.py) and EGNN's 3D variant
// (vgsatorras/egnn n_body_system/dataset/synthetic_sim.py), and the NRI/EGNN .npy layout.
//
// Physics: n unit-mass particles with charges +1 or -1 (probability 1/2 each). The force on i is
//   F_i = sum_{j != i} q_i q_j (x_i - x_j) / |x_i - x_j|^3   (like charges repel),
// each Cartesian component of the total F_i clipped to [-max_force, max_force] (NRI: 0.1 / dt).
//
// Integration, exactly NRI's order (a symplectic Euler / "leapfrog" with a full first kick):
//   walls(x, v)                       // always applied to the initial state (if walls on)
//   record frame 0 = (x, v)           // state before any step
//   v += dt * F(x)                    // one kick before the loop
//   for step = 1 .. (num_frames - 1) * sample_freq:
//     x += dt * v
//     walls(x, v) if walls_every_step
//     if step % sample_freq == 0: record frame step / sample_freq = (x, v)
//     v += dt * F(x)
// So a recorded velocity is the one that carried the particles to the recorded positions.
// Unlike NRI (whose first in-loop record overwrites frame 0), frame k here is always the state
// after k * sample_freq steps.
//
// Walls (NRI's _clamp): a box [-box_size, box_size]^3; a coordinate x > box_size becomes
// 2 box_size - x with velocity -|v|, one below -box_size becomes -2 box_size - x with velocity
// +|v| (repeated until inside, for starts far outside the box).
//
// Randomness is portable: std::mt19937_64 (whose output the C++ standard fixes) with our own
// uniform and normal (Marsaglia polar) transforms, and simulation i of a data set with seed s
// draws from its own stream seeded from (s, i), so any subset of simulations can be generated
// independently, in parallel, with identical results.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace se3t {

struct NBodyOptions {
  int64_t num_particles = 5;
  double dt = 0.001;
  int64_t sample_freq = 100;     // steps between recorded frames
  int64_t num_frames = 49;       // recorded frames, frame 0 = initial state
  double box_size = 5.0;         // wall half-size; <= 0 disables walls entirely
  bool walls_every_step = true;  // false: walls only applied to the initial state (EGNN)
  bool clip_forces = true;
  double max_force = 100.0;  // = 0.1 / 0.001 as in NRI
  double loc_std = 1.0;      // initial positions ~ N(0, s^2), s = loc_std * (n / 5)^(1/3)
  double vel_norm = 0.5;     // initial speeds; directions uniformly random

  // Learning protocol: which frames form an (input, target) pair and the split sizes.
  int64_t input_frame = 0;
  int64_t target_frame = 5;
  int64_t num_train = 5000;
  int64_t num_valid = 0;
  int64_t num_test = 1000;

  // SE(3)-Transformer paper: walls every step, target 500 steps (5 frames) after the input;
  // 5,000 training and 1,000 test simulations. (The paper's code drew the input frame at random
  // during training; NBodyDataset::batch_at supports that.)
  static NBodyOptions paper();
  // EGNN protocol: walls only on the initial state, input frame 30, target frame 40
  // (1,000 steps); 3,000 training, 2,000 validation and 2,000 test simulations.
  static NBodyOptions egnn();

  // Effective initial position standard deviation: loc_std * (num_particles / 5)^(1/3).
  double effective_loc_std() const;
  // Throws se3t::Error if a simulation field (everything above the protocol) is out of range.
  void validate() const;
  // validate() plus the protocol: input and target frames recorded, split sizes >= 0.
  void validate_protocol() const;
};

// State of one system. loc and vel are [3, n] row-major (coordinate-major, as in NRI's files):
// loc[d * n + i] is coordinate d of particle i. charges is [n].
struct NBodyState {
  std::vector<double> loc;
  std::vector<double> vel;
  std::vector<double> charges;

  int64_t num_particles() const { return static_cast<int64_t>(charges.size()); }
};

// Recorded trajectory of one system: loc and vel are [num_frames, 3, n] row-major.
struct NBodyTrajectory {
  int64_t num_frames = 0;
  int64_t num_particles = 0;
  std::vector<double> loc;
  std::vector<double> vel;
  std::vector<double> charges;  // [n]
};

// Random initial state of simulation `index` of a data set with seed `seed`: charges, then
// positions, then velocity directions, all from that simulation's own stream.
NBodyState sample_initial_state(const NBodyOptions& options, uint64_t seed, uint64_t index);

// Runs the integrator above from `initial` (walls applied to it first if box_size > 0).
NBodyTrajectory simulate_nbody(const NBodyOptions& options, const NBodyState& initial);

// Forces [3, n] on the particles of `state` (clipped if options.clip_forces). Throws if two
// particles coincide.
std::vector<double> nbody_forces(const NBodyOptions& options, const NBodyState& state);

// NRI's wall reflection applied in place to loc/vel ([3, n] or any flat layout, same size).
void apply_walls(double box_size, std::vector<double>& loc, std::vector<double>& vel);

// Total energy: kinetic sum_i |v_i|^2 / 2 plus Coulomb sum_{i<j} q_i q_j / r_ij (unit masses).
double nbody_energy(const NBodyState& state);

// A data set split in the NRI/EGNN layout, float64 contiguous CPU tensors:
// loc and vel [sims, frames, 3, n], charges [sims, n, 1].
struct NBodySplit {
  at::Tensor loc;
  at::Tensor vel;
  at::Tensor charges;

  int64_t num_sims() const;
  int64_t num_frames() const;
  int64_t num_particles() const;
  // Throws se3t::Error (mentioning `where`) unless the three tensors are consistent.
  void validate(const std::string& where) const;
};

// Simulations first_index .. first_index + num_sims - 1 of the data set with seed `seed`
// (run in parallel; the result does not depend on the thread count).
NBodySplit generate_nbody_dataset(const NBodyOptions& options, int64_t num_sims, uint64_t seed,
                                  int64_t first_index = 0);

// The protocol's three splits from one seed (checks validate_protocol()); they use disjoint
// simulation indices (train 0.., valid after train, test after valid). A split of size 0 has 0
// simulations.
struct NBodySplits {
  NBodySplit train;
  NBodySplit valid;
  NBodySplit test;
};
NBodySplits generate_nbody_splits(const NBodyOptions& options, uint64_t seed);

// Writes/reads dir/loc_<suffix>.npy, dir/vel_<suffix>.npy and dir/charges_<suffix>.npy
// (EGNN names a suffix like "train_charged5_initvel1small"). float32 files are accepted on read
// and converted to float64; charges of shape [sims, n] are accepted and reshaped to [sims, n, 1].
void write_nbody_split(const std::string& dir, const std::string& suffix, const NBodySplit& split);
NBodySplit read_nbody_split(const std::string& dir, const std::string& suffix);

}  // namespace se3t

#include "se3t/data/nbody_simulator.h"

#include "se3t/data/npy.h"
#include "se3t/util/check.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace se3t {
namespace {

// Per-simulation random stream. mt19937_64 and seed_seq are specified bit-exactly by the
// standard; the distributions are our own because std:: ones differ between libraries.
class Stream {
 public:
  Stream(uint64_t seed, uint64_t index) {
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                      static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32)};
    engine_.seed(seq);
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Standard normal by Marsaglia's polar method (only sqrt and log, no trigonometry).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

void reflect(double b, double& x, double& v) {
  if (x <= b && x >= -b) return;  // NaN falls through to the finiteness check
  SE3T_CHECK(std::isfinite(x), "nbody walls: non-finite position ", x,
             " (the simulation diverged)");
  // The reflection loop's outcome is unchanged by shifts of 4b that keep |x| > 3b, so far-away
  // starts are brought close first instead of looping |x| / 2b times.
  const double period = 4.0 * b;
  if (x > 3.0 * b) x -= period * std::floor((x - 3.0 * b) / period);
  if (x < -3.0 * b) x += period * std::floor((-3.0 * b - x) / period);
  while (x > b || x < -b) {
    if (x > b) {
      x = 2.0 * b - x;
      v = -std::abs(v);
    } else {
      x = -2.0 * b - x;
      v = std::abs(v);
    }
  }
}

void compute_forces(const NBodyOptions& o, const double* loc, const double* q, int64_t n,
                    double* f) {
  std::fill(f, f + 3 * n, 0.0);
  const double* x = loc;
  const double* y = loc + n;
  const double* z = loc + 2 * n;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
      const double r2 = dx * dx + dy * dy + dz * dz;
      SE3T_CHECK(r2 > 0.0, "nbody forces: particles ", i, " and ", j,
                 " coincide (distance 0), the Coulomb force is undefined");
      const double inv_r = 1.0 / std::sqrt(r2);
      const double s = q[i] * q[j] * inv_r * inv_r * inv_r;
      f[i] += s * dx;
      f[j] -= s * dx;
      f[n + i] += s * dy;
      f[n + j] -= s * dy;
      f[2 * n + i] += s * dz;
      f[2 * n + j] -= s * dz;
    }
  }
  if (o.clip_forces) {
    for (int64_t k = 0; k < 3 * n; ++k) f[k] = std::clamp(f[k], -o.max_force, o.max_force);
  }
}

void check_state(const NBodyOptions& o, const NBodyState& s, const char* where) {
  const int64_t n = s.num_particles();
  SE3T_CHECK(n == o.num_particles, where, ": expected ", o.num_particles,
             " charges (options.num_particles), got ", n);
  SE3T_CHECK(static_cast<int64_t>(s.loc.size()) == 3 * n, where, ": expected loc of size 3 * ", n,
             ", got ", s.loc.size());
  SE3T_CHECK(static_cast<int64_t>(s.vel.size()) == 3 * n, where, ": expected vel of size 3 * ", n,
             ", got ", s.vel.size());
}

std::string shape_str(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace

NBodyOptions NBodyOptions::paper() {
  return NBodyOptions();
}

NBodyOptions NBodyOptions::egnn() {
  NBodyOptions o;
  o.walls_every_step = false;
  o.input_frame = 30;
  o.target_frame = 40;
  o.num_train = 3000;
  o.num_valid = 2000;
  o.num_test = 2000;
  return o;
}

double NBodyOptions::effective_loc_std() const {
  return loc_std * std::cbrt(static_cast<double>(num_particles) / 5.0);
}

void NBodyOptions::validate() const {
  SE3T_CHECK(num_particles >= 1, "NBodyOptions: expected num_particles >= 1, got ", num_particles);
  SE3T_CHECK(std::isfinite(dt) && dt > 0.0, "NBodyOptions: expected dt > 0, got ", dt);
  SE3T_CHECK(sample_freq >= 1, "NBodyOptions: expected sample_freq >= 1, got ", sample_freq);
  SE3T_CHECK(num_frames >= 1, "NBodyOptions: expected num_frames >= 1, got ", num_frames);
  SE3T_CHECK(num_frames - 1 <= std::numeric_limits<int64_t>::max() / sample_freq,
             "NBodyOptions: (num_frames - 1) * sample_freq overflows");
  SE3T_CHECK(!std::isnan(box_size), "NBodyOptions: box_size is NaN");
  SE3T_CHECK(!clip_forces || max_force > 0.0, "NBodyOptions: expected max_force > 0, got ",
             max_force);
  SE3T_CHECK(std::isfinite(loc_std) && loc_std >= 0.0,
             "NBodyOptions: expected finite loc_std >= 0, got ", loc_std);
  SE3T_CHECK(std::isfinite(vel_norm) && vel_norm >= 0.0,
             "NBodyOptions: expected finite vel_norm >= 0, got ", vel_norm);
}

void NBodyOptions::validate_protocol() const {
  validate();
  SE3T_CHECK(input_frame >= 0 && input_frame < num_frames, "NBodyOptions: input_frame ",
             input_frame, " is outside the ", num_frames, " recorded frames");
  SE3T_CHECK(target_frame >= 0 && target_frame < num_frames, "NBodyOptions: target_frame ",
             target_frame, " is outside the ", num_frames, " recorded frames");
  SE3T_CHECK(num_train >= 0 && num_valid >= 0 && num_test >= 0,
             "NBodyOptions: split sizes must be >= 0, got ", num_train, ", ", num_valid, ", ",
             num_test);
}

NBodyState sample_initial_state(const NBodyOptions& options, uint64_t seed, uint64_t index) {
  options.validate();
  const int64_t n = options.num_particles;
  Stream rng(seed, index);
  NBodyState s;
  s.charges.resize(n);
  for (double& q : s.charges) q = rng.uniform() < 0.5 ? 1.0 : -1.0;
  const double sigma = options.effective_loc_std();
  s.loc.resize(3 * n);
  for (double& x : s.loc) x = sigma * rng.normal();
  s.vel.resize(3 * n);
  for (int64_t i = 0; i < n; ++i) {
    double v[3], norm2;
    do {  // a zero vector has no direction: draw again (probability ~0)
      for (double& c : v) c = rng.normal();
      norm2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    } while (norm2 == 0.0);
    const double scale = options.vel_norm / std::sqrt(norm2);
    for (int d = 0; d < 3; ++d) s.vel[d * n + i] = v[d] * scale;
  }
  return s;
}

std::vector<double> nbody_forces(const NBodyOptions& options, const NBodyState& state) {
  options.validate();
  check_state(options, state, "nbody_forces");
  std::vector<double> f(state.loc.size());
  compute_forces(options, state.loc.data(), state.charges.data(), state.num_particles(), f.data());
  return f;
}

void apply_walls(double box_size, std::vector<double>& loc, std::vector<double>& vel) {
  SE3T_CHECK(box_size > 0.0, "apply_walls: expected box_size > 0, got ", box_size);
  SE3T_CHECK(loc.size() == vel.size(), "apply_walls: loc has ", loc.size(), " values but vel ",
             vel.size());
  for (size_t k = 0; k < loc.size(); ++k) reflect(box_size, loc[k], vel[k]);
}

double nbody_energy(const NBodyState& state) {
  const int64_t n = state.num_particles();
  SE3T_CHECK(static_cast<int64_t>(state.loc.size()) == 3 * n &&
                 static_cast<int64_t>(state.vel.size()) == 3 * n,
             "nbody_energy: expected loc and vel of size 3 * ", n, ", got ", state.loc.size(),
             " and ", state.vel.size());
  double kinetic = 0.0;
  for (const double v : state.vel) kinetic += 0.5 * v * v;
  double potential = 0.0;
  const double* x = state.loc.data();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const double dx = x[i] - x[j], dy = x[n + i] - x[n + j], dz = x[2 * n + i] - x[2 * n + j];
      potential += state.charges[i] * state.charges[j] / std::sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return kinetic + potential;
}

NBodyTrajectory simulate_nbody(const NBodyOptions& options, const NBodyState& initial) {
  options.validate();
  check_state(options, initial, "simulate_nbody");
  const int64_t n = initial.num_particles();
  const bool walls = options.box_size > 0.0;
  std::vector<double> x = initial.loc, v = initial.vel, f(3 * n);
  const double* q = initial.charges.data();
  const double dt = options.dt;

  NBodyTrajectory out;
  out.num_frames = options.num_frames;
  out.num_particles = n;
  out.charges = initial.charges;
  out.loc.resize(options.num_frames * 3 * n);
  out.vel.resize(options.num_frames * 3 * n);
  auto record = [&](int64_t frame, int64_t step) {
    for (int64_t k = 0; k < 3 * n; ++k) {
      SE3T_CHECK(std::isfinite(x[k]) && std::isfinite(v[k]), "simulate_nbody: non-finite state at ",
                 "step ", step, " (the simulation diverged; keep clip_forces on or reduce dt)");
    }
    std::copy(x.begin(), x.end(), out.loc.begin() + frame * 3 * n);
    std::copy(v.begin(), v.end(), out.vel.begin() + frame * 3 * n);
  };

  if (walls) apply_walls(options.box_size, x, v);
  record(0, 0);
  const int64_t steps = (options.num_frames - 1) * options.sample_freq;
  if (steps == 0) return out;
  compute_forces(options, x.data(), q, n, f.data());
  for (int64_t k = 0; k < 3 * n; ++k) v[k] += dt * f[k];
  for (int64_t step = 1; step <= steps; ++step) {
    for (int64_t k = 0; k < 3 * n; ++k) x[k] += dt * v[k];
    if (walls && options.walls_every_step) {
      for (int64_t k = 0; k < 3 * n; ++k) reflect(options.box_size, x[k], v[k]);
    }
    if (step % options.sample_freq == 0) record(step / options.sample_freq, step);
    if (step == steps) break;  // the last kick would never be recorded
    compute_forces(options, x.data(), q, n, f.data());
    for (int64_t k = 0; k < 3 * n; ++k) v[k] += dt * f[k];
  }
  return out;
}

int64_t NBodySplit::num_sims() const {
  return loc.defined() && loc.dim() > 0 ? loc.size(0) : 0;
}
int64_t NBodySplit::num_frames() const {
  return loc.defined() && loc.dim() > 1 ? loc.size(1) : 0;
}
int64_t NBodySplit::num_particles() const {
  return loc.defined() && loc.dim() > 3 ? loc.size(3) : 0;
}

void NBodySplit::validate(const std::string& where) const {
  SE3T_CHECK(loc.defined() && vel.defined() && charges.defined(), where,
             ": loc, vel and charges must all be defined");
  for (const at::Tensor* t : {&loc, &vel, &charges}) {
    SE3T_CHECK(t->scalar_type() == at::kDouble && t->device().is_cpu(), where,
               ": expected float64 CPU tensors, got ", t->toString());
  }
  SE3T_CHECK(loc.dim() == 4 && loc.size(2) == 3, where,
             ": expected loc of shape [sims, frames, 3, n], got ", shape_str(loc));
  SE3T_CHECK(vel.sizes() == loc.sizes(), where, ": vel shape ", shape_str(vel),
             " differs from loc shape ", shape_str(loc));
  SE3T_CHECK(charges.dim() == 3 && charges.size(0) == loc.size(0) &&
                 charges.size(1) == loc.size(3) && charges.size(2) == 1,
             where, ": expected charges of shape [", loc.size(0), ", ", loc.size(3),
             ", 1] to match loc ", shape_str(loc), ", got ", shape_str(charges));
}

NBodySplit generate_nbody_dataset(const NBodyOptions& options, int64_t num_sims, uint64_t seed,
                                  int64_t first_index) {
  options.validate();
  SE3T_CHECK(num_sims >= 0, "generate_nbody_dataset: expected num_sims >= 0, got ", num_sims);
  SE3T_CHECK(first_index >= 0, "generate_nbody_dataset: expected first_index >= 0, got ",
             first_index);
  const int64_t n = options.num_particles, frames = options.num_frames;
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  NBodySplit split;
  split.loc = at::empty({num_sims, frames, 3, n}, f64);
  split.vel = at::empty({num_sims, frames, 3, n}, f64);
  split.charges = at::empty({num_sims, n, 1}, f64);
  double* loc = split.loc.data_ptr<double>();
  double* vel = split.vel.data_ptr<double>();
  double* charges = split.charges.data_ptr<double>();
  const int64_t per_sim = frames * 3 * n;
  // Each simulation has its own stream, so the split into threads cannot change the result.
  at::parallel_for(0, num_sims, 4, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      const NBodyTrajectory t = simulate_nbody(
          options, sample_initial_state(options, seed, static_cast<uint64_t>(first_index + s)));
      std::copy(t.loc.begin(), t.loc.end(), loc + s * per_sim);
      std::copy(t.vel.begin(), t.vel.end(), vel + s * per_sim);
      std::copy(t.charges.begin(), t.charges.end(), charges + s * n);
    }
  });
  return split;
}

NBodySplits generate_nbody_splits(const NBodyOptions& options, uint64_t seed) {
  options.validate_protocol();
  NBodySplits out;
  out.train = generate_nbody_dataset(options, options.num_train, seed, 0);
  out.valid = generate_nbody_dataset(options, options.num_valid, seed, options.num_train);
  out.test = generate_nbody_dataset(options, options.num_test, seed,
                                    options.num_train + options.num_valid);
  return out;
}

void write_nbody_split(const std::string& dir, const std::string& suffix, const NBodySplit& split) {
  split.validate("write_nbody_split(" + join(dir, "*_" + suffix + ".npy") + ")");
  write_npy(join(dir, "loc_" + suffix + ".npy"), split.loc);
  write_npy(join(dir, "vel_" + suffix + ".npy"), split.vel);
  write_npy(join(dir, "charges_" + suffix + ".npy"), split.charges);
}

NBodySplit read_nbody_split(const std::string& dir, const std::string& suffix) {
  const std::string loc_path = join(dir, "loc_" + suffix + ".npy");
  const std::string vel_path = join(dir, "vel_" + suffix + ".npy");
  const std::string charges_path = join(dir, "charges_" + suffix + ".npy");
  NBodySplit split;
  split.loc = read_npy_tensor(loc_path);
  split.vel = read_npy_tensor(vel_path);
  split.charges = read_npy_tensor(charges_path);
  const std::string where = "read_nbody_split";
  SE3T_CHECK(split.loc.dim() == 4 && split.loc.size(2) == 3, where, ": ", loc_path, " has shape ",
             shape_str(split.loc), ", expected [sims, frames, 3, n]");
  SE3T_CHECK(split.vel.sizes() == split.loc.sizes(), where, ": ", vel_path, " has shape ",
             shape_str(split.vel), " but ", loc_path, " has ", shape_str(split.loc));
  if (split.charges.dim() == 2) split.charges = split.charges.unsqueeze(-1);
  SE3T_CHECK(split.charges.dim() == 3 && split.charges.size(0) == split.loc.size(0) &&
                 split.charges.size(1) == split.loc.size(3) && split.charges.size(2) == 1,
             where, ": ", charges_path, " has shape ", shape_str(split.charges), ", expected [",
             split.loc.size(0), ", ", split.loc.size(3), ", 1] to match ", loc_path);
  // Non-finite values would train or score as NaN without a word: name the file, the
  // simulation and the frame of the first one.
  const auto check_finite = [&](const at::Tensor& t, const std::string& path, const char* what) {
    const at::Tensor bad = t.isfinite().logical_not();
    if (!bad.any().item<bool>()) return;
    const at::Tensor first = bad.nonzero()[0];
    const int64_t sim = first[0].item<int64_t>();
    SE3T_CHECK(false, path, ": ", what, " of simulation ", sim,
               t.dim() == 4 ? ", frame " + std::to_string(first[1].item<int64_t>()) : "",
               " is not finite (", t.masked_select(bad)[0].item<double>(), "); ",
               bad.sum().item<int64_t>(), " non-finite value(s) in the file");
  };
  check_finite(split.loc, loc_path, "a position");
  check_finite(split.vel, vel_path, "a velocity");
  check_finite(split.charges, charges_path, "a charge");
  split.validate(where);
  return split;
}

}  // namespace se3t

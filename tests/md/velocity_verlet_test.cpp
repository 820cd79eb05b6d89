// Velocity Verlet against closed-form dynamics: harmonic oscillators (exact solution and the
// exactly conserved shadow energy) and a Lennard-Jones cluster (energy and momentum).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/testing.h"
#include "md/analytic_potentials.h"
#include "se3t/md/maxwell_boltzmann.h"
#include "se3t/md/md_state.h"
#include "se3t/md/units.h"
#include "se3t/md/velocity_verlet.h"

namespace se3t {
namespace {

using md::kAccelerationUnit;

struct HarmonicRun {
  double position_error = 0.0;   // max |x(T) - x_exact(T)| (A)
  double energy_range = 0.0;     // (max E - min E) / E(0) over the run
  double shadow_drift = 0.0;     // max |H~(t) - H~(0)| / H~(0)
  double predicted_range = 0.0;  // h^2 / 4 of the stiffest atom, the leading fluctuation
};

// Atoms H, C, O on springs of k = 2 eV/A^2 started off centre with a velocity, for 500 fs.
HarmonicRun run_harmonic(double dt) {
  const at::Tensor x0 =
      at::tensor({0.10, -0.05, 0.02, 0.0, 0.08, -0.03, 0.04, 0.0, 0.06}, at::kDouble).view({3, 3});
  md::MdState s = md::make_state({"H", "C", "O"}, x0);
  s.velocities = at::tensor({0.0, 0.01, -0.02, 0.005, 0.0, 0.003, -0.004, 0.002, 0.0}, at::kDouble)
                     .view({3, 3});
  const at::Tensor v0 = s.velocities.clone();
  const at::Tensor k = at::full({3}, 2.0, at::kDouble);
  testing::HarmonicTethers springs(at::zeros({3, 3}, at::kDouble), k);
  md::evaluate_forces(s, springs);
  const at::Tensor omega = at::sqrt(k * kAccelerationUnit / s.masses).unsqueeze(1);  // 1/fs
  const at::Tensor h2 = (omega * dt).pow(2);
  // Velocity Verlet conserves KE + PE (1 - h^2/4) of each oscillator exactly.
  const auto shadow = [&] {
    const at::Tensor ke = 0.5 * s.masses.unsqueeze(1) * s.velocities.pow(2) / kAccelerationUnit;
    const at::Tensor pe = 0.5 * k.unsqueeze(1) * s.positions.pow(2);
    return (ke + pe * (1 - h2 / 4)).sum().item<double>();
  };
  const double e0 = md::kinetic_energy(s) + s.potential_energy, h0 = shadow();
  double e_min = e0, e_max = e0, drift = 0.0;
  const int64_t steps = std::llround(500.0 / dt);
  for (int64_t i = 0; i < steps; ++i) {
    md::velocity_verlet_step(s, springs, dt);
    const double e = md::kinetic_energy(s) + s.potential_energy;
    e_min = std::min(e_min, e);
    e_max = std::max(e_max, e);
    drift = std::max(drift, std::abs(shadow() - h0) / h0);
  }
  const double t = static_cast<double>(steps) * dt;
  const at::Tensor exact = x0 * at::cos(omega * t) + v0 / omega * at::sin(omega * t);
  HarmonicRun r;
  r.position_error = (s.positions - exact).abs().max().item<double>();
  r.energy_range = (e_max - e_min) / e0;
  r.shadow_drift = drift;
  r.predicted_range = h2.max().item<double>() / 4;
  return r;
}

TEST(VelocityVerlet, HarmonicOscillatorsConvergeAtSecondOrderAndConserveTheShadowEnergy) {
  std::vector<HarmonicRun> runs;
  for (double dt : {2.0, 1.0, 0.5}) runs.push_back(run_harmonic(dt));
  for (size_t i = 0; i < runs.size(); ++i) {
    SCOPED_TRACE("run " + std::to_string(i));
    EXPECT_LT(runs[i].shadow_drift, 1e-12);
    // E lies in [H~, H~ / (1 - h^2/4)] for the stiffest (lightest) oscillator's h = omega dt.
    EXPECT_LT(runs[i].energy_range,
              1.001 * runs[i].predicted_range / (1 - runs[i].predicted_range));
    EXPECT_GT(runs[i].energy_range, 0.1 * runs[i].predicted_range);
    if (i > 0) {
      // Halving dt divides the global error and the energy fluctuation by 4.
      EXPECT_NEAR(runs[i - 1].position_error / runs[i].position_error, 4.0, 0.4);
      EXPECT_NEAR(runs[i - 1].energy_range / runs[i].energy_range, 4.0, 0.4);
    }
  }
}

// 13 argon atoms (epsilon 10.3 meV, sigma 3.405 A) near an icosahedron's vertices and
// centre, at about 40 K, for 400 fs.
struct ClusterRun {
  double energy_error = 0.0;    // max |E(t) - E(0)| (eV)
  double max_momentum = 0.0;    // max |P(t)| (amu A/fs)
  double momentum_scale = 0.0;  // sum_i m_i |v_i| at the start
};

ClusterRun run_cluster(double dt) {
  const double phi = (1.0 + std::sqrt(5.0)) / 2.0, a = 3.8 / 2.0;  // edge ~ 2^(1/6) sigma
  std::vector<double> p = {0, 0, 0};
  for (double s1 : {-1.0, 1.0}) {
    for (double s2 : {-1.0, 1.0}) {
      for (const std::array<double, 3>& v : std::vector<std::array<double, 3>>{
               {0, s1, s2 * phi}, {s1, s2 * phi, 0}, {s2 * phi, 0, s1}}) {
        for (double c : v) p.push_back(a * c);
      }
    }
  }
  at::Tensor x = at::tensor(p, at::kDouble).view({13, 3});
  x = x + 0.05 * at::randn({13, 3}, testing::make_generator(11), at::kDouble);
  md::MdState s = md::make_state(std::vector<std::string>(13, "Ar"), x);
  s.velocities = md::maxwell_boltzmann_velocities(s.masses, 40.0, 3);
  testing::LennardJones lj(0.0103, 3.405);
  md::evaluate_forces(s, lj);
  ClusterRun r;
  r.momentum_scale = (s.masses * s.velocities.norm(2, 1)).sum().item<double>();
  const double e0 = md::kinetic_energy(s) + s.potential_energy;
  for (int64_t i = 0; i < std::llround(400.0 / dt); ++i) {
    md::velocity_verlet_step(s, lj, dt);
    r.energy_error =
        std::max(r.energy_error, std::abs(md::kinetic_energy(s) + s.potential_energy - e0));
    r.max_momentum = std::max(r.max_momentum, md::total_momentum(s).norm().item<double>());
  }
  return r;
}

TEST(VelocityVerlet, LennardJonesClusterConservesEnergyAtSecondOrderAndMomentumExactly) {
  std::vector<ClusterRun> runs;
  for (double dt : {4.0, 2.0, 1.0}) runs.push_back(run_cluster(dt));
  for (size_t i = 0; i < runs.size(); ++i) {
    SCOPED_TRACE("run " + std::to_string(i));
    // Forces are pairwise opposite: the momentum stays zero up to round-off.
    EXPECT_LT(runs[i].max_momentum, 1e-12 * runs[i].momentum_scale);
    if (i > 0) {
      EXPECT_NEAR(runs[i - 1].energy_error / runs[i].energy_error, 4.0, 1.0);
    }
  }
  // At 1 fs the energy stays within 1e-4 eV, well below k_B T per atom (3.4 meV at 40 K).
  EXPECT_LT(runs.back().energy_error, 1e-4);
}

}  // namespace
}  // namespace se3t

// Langevin BAOAB: on independent harmonic oscillators the kinetic energy's mean and variance
// match the canonical ensemble's, and a seed fixes the trajectory bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "md/analytic_potentials.h"
#include "se3t/md/dynamics.h"
#include "se3t/md/langevin_baoab.h"
#include "se3t/md/maxwell_boltzmann.h"
#include "se3t/md/units.h"

namespace se3t {
namespace {

using md::kAccelerationUnit;
using md::kBoltzmann;

// Mean and standard error of a series from the means of `blocks` consecutive blocks (the
// blocks are much longer than the correlation time, so their means are independent).
struct BlockEstimate {
  double mean = 0.0, error = 0.0;
};
BlockEstimate block_average(const std::vector<double>& series, int blocks) {
  const size_t len = series.size() / blocks;
  std::vector<double> means(blocks, 0.0);
  for (int b = 0; b < blocks; ++b) {
    for (size_t i = 0; i < len; ++i) means[b] += series[b * len + i];
    means[b] /= static_cast<double>(len);
  }
  BlockEstimate e;
  for (double m : means) e.mean += m / blocks;
  double var = 0.0;
  for (double m : means) var += (m - e.mean) * (m - e.mean) / (blocks - 1);
  e.error = std::sqrt(var / blocks);
  return e;
}

TEST(Langevin, HarmonicOscillatorsReachTheCanonicalKineticEnergyMeanAndVariance) {
  // 300 atoms of three masses on springs of one frequency omega = 0.05 / fs (period 126 fs),
  // gamma = 50 / ps (relaxation 20 fs), dt = 1 fs (omega dt = 0.05: the O(dt^2) bias of the
  // kinetic energy at full steps, ~ (omega dt)^2 / 4 ~ 1e-3, is below the statistical error).
  const int64_t n = 300;
  std::vector<std::string> species;
  for (int64_t i = 0; i < n; ++i) species.push_back(i % 3 == 0 ? "H" : i % 3 == 1 ? "C" : "O");
  md::MdState s = md::make_state(species, at::zeros({n, 3}, at::kDouble));
  const double omega = 0.05;
  testing::HarmonicTethers springs(at::zeros({n, 3}, at::kDouble),
                                   s.masses * (omega * omega / kAccelerationUnit));
  md::evaluate_forces(s, springs);
  const md::LangevinParameters p{1.0, 300.0, 50.0, 42};
  const double kt = kBoltzmann * p.temperature_k;
  for (int i = 0; i < 500; ++i) md::langevin_baoab_step(s, springs, p);  // 25 / gamma
  // Per step: the total kinetic energy K, the mean over atoms of K_i^2, the potential energy.
  std::vector<double> kinetic, atom_k2, potential;
  for (int i = 0; i < 20000; ++i) {
    md::langevin_baoab_step(s, springs, p);
    const at::Tensor k_i =
        0.5 * s.masses * (s.velocities * s.velocities).sum(1) / kAccelerationUnit;
    kinetic.push_back(k_i.sum().item<double>());
    atom_k2.push_back((k_i * k_i).mean().item<double>());
    potential.push_back(s.potential_energy);
  }
  // Canonical ensemble: K_i ~ Gamma(3/2, kT) for every mass, so <K> = 3N kT / 2,
  // Var K = 3N (kT)^2 / 2 (the oscillators are independent) and <K_i^2> = 15/4 (kT)^2;
  // <U> = 3N kT / 2 as well.
  const double dof = 3.0 * static_cast<double>(n);
  const BlockEstimate mean_k = block_average(kinetic, 40);
  std::vector<double> dev2;
  for (double k : kinetic) dev2.push_back((k - mean_k.mean) * (k - mean_k.mean));
  const BlockEstimate var_k = block_average(dev2, 40);
  const BlockEstimate k2 = block_average(atom_k2, 40);
  const BlockEstimate mean_u = block_average(potential, 40);
  // 40 blocks of 500 fs (25 relaxation times): standard errors of ~0.2% of <K>, ~5% of
  // Var K and ~0.3% of <K_i^2>; asserting within 4 of them fails by chance with probability
  // ~1e-4 each. The first two checks make sure the test has that power.
  EXPECT_LT(mean_k.error, 0.005 * dof * kt / 2);
  EXPECT_LT(k2.error, 0.01 * 3.75 * kt * kt);
  EXPECT_NEAR(mean_k.mean, dof * kt / 2, 4 * mean_k.error);
  EXPECT_NEAR(var_k.mean, dof * kt * kt / 2, 4 * var_k.error);
  EXPECT_NEAR(k2.mean, 3.75 * kt * kt, 4 * k2.error);
  EXPECT_NEAR(mean_u.mean, dof * kt / 2, 4 * mean_u.error);
  // The temperature Langevin reports (3N degrees of freedom) is then the target.
  md::MdSettings settings;
  settings.ensemble = "langevin";
  EXPECT_EQ(md::degrees_of_freedom(settings, n), 3 * n);
  EXPECT_NEAR(md::temperature(mean_k.mean, 3 * n), p.temperature_k,
              4 * md::temperature(mean_k.error, 3 * n));
}

md::MdState lennard_jones_run(uint64_t seed, int steps, testing::LennardJones& lj) {
  const at::Tensor grid =
      at::stack(at::meshgrid({at::arange(2, at::kDouble), at::arange(2, at::kDouble),
                              at::arange(2, at::kDouble)},
                             "ij"),
                3)
          .reshape({8, 3}) *
      3.9;
  md::MdState s = md::make_state(std::vector<std::string>(8, "Ar"), grid);
  s.velocities = md::maxwell_boltzmann_velocities(s.masses, 60.0, seed);
  md::evaluate_forces(s, lj);
  for (int i = 0; i < steps; ++i) md::langevin_baoab_step(s, lj, {2.0, 60.0, 5.0, seed});
  return s;
}

TEST(Langevin, ASeedFixesTheTrajectoryBitForBit) {
  testing::LennardJones lj(0.0103, 3.405);
  const md::MdState a = lennard_jones_run(7, 200, lj);
  const md::MdState b = lennard_jones_run(7, 200, lj);
  const md::MdState c = lennard_jones_run(8, 200, lj);
  EXPECT_TRUE(at::equal(a.positions, b.positions));
  EXPECT_TRUE(at::equal(a.velocities, b.velocities));
  EXPECT_GT((a.positions - c.positions).abs().max().item<double>(), 1e-3);
}

}  // namespace
}  // namespace se3t

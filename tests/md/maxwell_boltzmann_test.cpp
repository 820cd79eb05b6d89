// Maxwell-Boltzmann initial velocities: zero total momentum, each species at the temperature
// within statistical error, and the same draws from the same seed.
#include <gtest/gtest.h>

#include <cmath>

#include "se3t/md/maxwell_boltzmann.h"
#include "se3t/md/md_state.h"
#include "se3t/md/units.h"

namespace se3t {
namespace {

TEST(MaxwellBoltzmann, ZeroMomentumAndEquipartitionPerSpecies) {
  const int64_t n = 3000;
  std::vector<std::string> species;
  for (int64_t i = 0; i < n; ++i) species.push_back(i % 2 ? "H" : "O");
  md::MdState s = md::make_state(species, at::zeros({n, 3}, at::kDouble));
  const double t = 500.0;
  s.velocities = md::maxwell_boltzmann_velocities(s.masses, t, 1);
  const double scale = (s.masses * s.velocities.norm(2, 1)).sum().item<double>();
  EXPECT_LT(md::total_momentum(s).norm().item<double>(), 1e-13 * scale);
  // Per species: m v^2 / kAccelerationUnit averages k_B T per component; over M components
  // the mean of a chi-square(1) variable has a relative standard deviation sqrt(2 / M).
  for (int parity : {0, 1}) {
    const at::Tensor idx = at::arange(parity, n, 2);
    const at::Tensor v = s.velocities.index_select(0, idx);
    const at::Tensor m = s.masses.index_select(0, idx).unsqueeze(1);
    const double mean = (m * v * v).mean().item<double>() / md::kAccelerationUnit;
    const double expected = md::kBoltzmann * t;
    EXPECT_NEAR(mean, expected, 4 * expected * std::sqrt(2.0 / (3.0 * n / 2)))
        << (parity ? "H" : "O");
  }
  // The temperature over 3N - 3 degrees of freedom.
  EXPECT_NEAR(md::temperature(md::kinetic_energy(s), 3 * n - 3), t,
              4 * t * std::sqrt(2.0 / (3.0 * n - 3)));
  EXPECT_TRUE(at::equal(s.velocities, md::maxwell_boltzmann_velocities(s.masses, t, 1)));
  EXPECT_FALSE(at::equal(s.velocities, md::maxwell_boltzmann_velocities(s.masses, t, 2)));
  EXPECT_EQ(md::maxwell_boltzmann_velocities(s.masses, 0.0, 1).abs().max().item<double>(), 0.0);
}

}  // namespace
}  // namespace se3t

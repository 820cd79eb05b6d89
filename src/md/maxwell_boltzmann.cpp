#include "se3t/md/maxwell_boltzmann.h"

#include <ATen/ATen.h>

#include "se3t/md/units.h"
#include "se3t/util/check.h"
#include "se3t/util/random.h"

namespace se3t::md {

at::Tensor maxwell_boltzmann_velocities(const at::Tensor& masses, double temperature_k,
                                        uint64_t seed) {
  SE3T_CHECK(temperature_k >= 0.0,
             "Maxwell-Boltzmann velocities: the temperature must be >= 0 K, got ", temperature_k);
  const at::Tensor m = masses.to(at::kDouble).contiguous();
  SE3T_CHECK((m > 0).all().item<bool>(), "Maxwell-Boltzmann velocities: masses must be > 0");
  const int64_t n = m.size(0);
  at::Tensor xi = at::empty({n, 3}, at::kDouble);
  std::mt19937_64 generator = counter_generator(seed, 0);
  standard_normals(generator, xi.data_ptr<double>(), 3 * n);
  // m v^2 / 2 / kAccelerationUnit = k_B T / 2 per component: v^2 = k_B T kAccelerationUnit / m.
  const at::Tensor sigma = at::sqrt(kBoltzmann * temperature_k * kAccelerationUnit / m);
  return remove_total_momentum(xi * sigma.unsqueeze(1), m);
}

at::Tensor remove_total_momentum(const at::Tensor& velocities, const at::Tensor& masses) {
  const at::Tensor m = masses.to(velocities.options()).unsqueeze(1);
  return velocities - (velocities * m).sum(0, true) / m.sum();
}

}  // namespace se3t::md

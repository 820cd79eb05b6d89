// Potentials with closed-form energies and forces for the molecular dynamics tests.
#pragma once
#include <ATen/ATen.h>

#include <string>

#include "se3t/md/potential.h"

namespace se3t::testing {

// Independent isotropic springs E = sum_i k_i |x_i - c_i|^2 / 2 (k in eV/A^2).
class HarmonicTethers : public md::Potential {
 public:
  HarmonicTethers(at::Tensor centres, at::Tensor stiffness)
      : centres_(std::move(centres)), k_(std::move(stiffness).unsqueeze(1)) {}
  md::PotentialOutput compute(const at::Tensor& x, const md::SimulationCell*) override {
    const at::Tensor d = x - centres_;
    md::PotentialOutput out;
    out.energy = 0.5 * (k_ * d * d).sum().item<double>();
    out.forces = -k_ * d;
    return out;
  }
  std::string describe() const override { return "harmonic tethers"; }

 private:
  at::Tensor centres_, k_;
};

// Lennard-Jones pairs E = sum_{i<j} 4 eps ((s/r)^12 - (s/r)^6), no cutoff.
class LennardJones : public md::Potential {
 public:
  LennardJones(double epsilon_ev, double sigma_a) : eps_(epsilon_ev), sigma_(sigma_a) {}
  md::PotentialOutput compute(const at::Tensor& x, const md::SimulationCell*) override {
    const int64_t n = x.size(0);
    const at::Tensor d = x.unsqueeze(1) - x.unsqueeze(0);  // x_i - x_j
    const at::Tensor eye = at::eye(n, x.options());
    const at::Tensor r2 = (d * d).sum(2) + eye;  // 1 on the diagonal, masked below
    const at::Tensor s6 = at::pow(sigma_ * sigma_ / r2, 3) * (1 - eye);
    md::PotentialOutput out;
    out.energy = 2.0 * eps_ * (s6 * s6 - s6).sum().item<double>();  // each pair twice
    // -dE/dx_i = sum_j 24 eps (2 s^12 - s^6) / r^2 (x_i - x_j)
    const at::Tensor w = 24.0 * eps_ * (2.0 * s6 * s6 - s6) / r2;
    out.forces = (w.unsqueeze(2) * d).sum(1);
    return out;
  }
  std::string describe() const override { return "Lennard-Jones"; }

 private:
  double eps_, sigma_;
};

}  // namespace se3t::testing

// Measured equivariance errors of the SO(3) math core, for `se3t selfcheck` and users who
// want to verify a build on their machine.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace se3t {

struct CheckResult {
  std::string name;   // what was checked, e.g. "Y^l(Rv) = D^l(R) Y^l(v), l<=10"
  std::string dtype;  // "float32" or "float64"
  double error = 0;   // largest relative error seen
  double tolerance = 0;
  bool passed() const { return error <= tolerance; }
};

// Checks, over `rotations` random rotations and random vectors: spherical harmonics against
// Wigner-D (degrees 0..max_degree), D^l homomorphism and orthogonality, Clebsch-Gordan
// invariance, and the kernel basis W(Rx) = D^l W(x) D^k^T for degrees 0..basis_degree.
// Tolerances: 1e-12 in float64, 1e-5 in float32 (docs/design.md, Exactness).
std::vector<CheckResult> so3_self_check(int64_t max_degree = 10, int64_t basis_degree = 3,
                                        int64_t rotations = 16, uint64_t seed = 0);

}  // namespace se3t

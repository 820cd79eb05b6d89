// Invalid arguments to the SO(3) core throw se3t::Error with a message naming the argument,
// never a LibTorch error, a crash or a silent wrong result.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "se3t/so3/clebsch_gordan.h"
#include "se3t/so3/equivariant_basis.h"
#include "se3t/so3/rotation.h"
#include "se3t/so3/spherical_harmonics.h"
#include "se3t/so3/wigner_d.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

// The message of the se3t::Error that f throws, or a marker that makes the check fail.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not an se3t::Error: ") + e.what() + ">";
  }
  return "<no exception>";
}

#define EXPECT_ERROR_NAMES(statement, ...)                                      \
  do {                                                                          \
    const std::string msg_ = error_of([&] { (void)(statement); });              \
    for (const char* part_ : {__VA_ARGS__}) {                                   \
      EXPECT_NE(msg_.find(part_), std::string::npos)                            \
          << #statement << ": message should name '" << part_ << "': " << msg_; \
    }                                                                           \
  } while (false)

at::Tensor vectors() {
  return at::randn({4, 3}, at::kDouble);
}

TEST(Errors, SphericalHarmonics) {
  EXPECT_ERROR_NAMES(spherical_harmonics(at::randn({5, 2}, at::kDouble), 2),
                     "spherical_harmonics: x", "[5, 2]");
  EXPECT_ERROR_NAMES(spherical_harmonics(at::randn({5, 3, 1}, at::kDouble), 2),
                     "spherical_harmonics: x");
  EXPECT_ERROR_NAMES(spherical_harmonics(at::scalar_tensor(1.0, at::kDouble), 2),
                     "spherical_harmonics: x");
  EXPECT_ERROR_NAMES(spherical_harmonics(at::ones({5, 3}, at::kLong), 2), "spherical_harmonics: x",
                     "float");
  EXPECT_ERROR_NAMES(spherical_harmonics(at::ones({5, 3}, at::kInt), 2), "spherical_harmonics: x");
  EXPECT_ERROR_NAMES(spherical_harmonics(at::ones({5, 3}, at::kHalf), 2), "spherical_harmonics: x");
  EXPECT_ERROR_NAMES(spherical_harmonics(at::Tensor(), 2), "spherical_harmonics: x");
  EXPECT_ERROR_NAMES(spherical_harmonics(vectors(), -1), "spherical_harmonics: lmax", "-1");
  EXPECT_ERROR_NAMES(spherical_harmonics_list(vectors(), -2), "spherical_harmonics: lmax");
  EXPECT_ERROR_NAMES(spherical_harmonic(-1, vectors()), "spherical_harmonic: l", "-1");
  EXPECT_ERROR_NAMES(spherical_harmonic(2, at::randn({5, 4}, at::kDouble)),
                     "spherical_harmonics: x");
}

TEST(Errors, Rotations) {
  EXPECT_ERROR_NAMES(wigner_D(1, at::randn({3, 4}, at::kDouble)), "wigner_D: R", "[3, 4]");
  EXPECT_ERROR_NAMES(wigner_D(1, at::randn({3}, at::kDouble)), "wigner_D: R");
  EXPECT_ERROR_NAMES(wigner_D(1, at::eye(3, at::kLong)), "wigner_D: R");
  EXPECT_ERROR_NAMES(wigner_D(-1, at::eye(3, at::kDouble)), "wigner_D: l");
  EXPECT_ERROR_NAMES(wigner_D_from_quaternion(1, at::randn({5, 3}, at::kDouble)), "q:");
  EXPECT_ERROR_NAMES(wigner_D_from_quaternion(1, at::ones({5, 4}, at::kInt)), "q:");
  EXPECT_ERROR_NAMES(wigner_D_block(-1, at::eye(3, at::kDouble)), "wigner_D_block: lmax");
  EXPECT_ERROR_NAMES(wigner_D_block(2, at::randn({2, 3, 4}, at::kDouble)), "wigner_D", "R:");
  EXPECT_ERROR_NAMES(quaternion_to_matrix(at::zeros({2, 4}, at::kDouble)), "q:", "zero");
  EXPECT_ERROR_NAMES(quaternion_to_matrix(at::ones({2, 4}, at::kLong)), "q:");
  EXPECT_ERROR_NAMES(quaternion_to_matrix(at::ones({2, 3}, at::kDouble)), "q:", "[2, 3]");
  EXPECT_ERROR_NAMES(euler_angles_to_matrix(at::ones({2}, at::kLong), at::ones({2}, at::kDouble),
                                            at::ones({2}, at::kDouble)),
                     "angle");
  EXPECT_ERROR_NAMES(rotation_z(at::ones({2}, at::kInt)), "angle");
  EXPECT_ERROR_NAMES(random_rotation(-1), "random_rotation: n");
}

// A rank-1 "rotation" once made wigner_D_block throw std::length_error before checking R.
TEST(Errors, WignerDBlockLowRankRotation) {
  EXPECT_ERROR_NAMES(wigner_D_block(2, at::randn({3}, at::kDouble)), "R:");
}

// Integer dtypes once gave silently truncated rotations and zero coupling tensors.
TEST(Errors, IntegerDtypeOptions) {
  EXPECT_ERROR_NAMES(random_rotation(3, at::kLong), "random_rotation");
  EXPECT_ERROR_NAMES(clebsch_gordan(1, 1, 1, at::TensorOptions().dtype(at::kInt)),
                     "clebsch_gordan");
}

TEST(Errors, ClebschGordan) {
  EXPECT_ERROR_NAMES(clebsch_gordan(-1, 1, 1), "clebsch_gordan", "-1");
  EXPECT_ERROR_NAMES(clebsch_gordan(1, 1, 3), "clebsch_gordan", "triangle");
  EXPECT_ERROR_NAMES(clebsch_gordan(1, 1, -1, at::TensorOptions().dtype(at::kFloat)),
                     "clebsch_gordan");
}

TEST(Errors, EquivariantBasis) {
  EXPECT_ERROR_NAMES(EquivariantBasis(at::randn({6, 2}, at::kDouble), 1, 1), "EquivariantBasis: x",
                     "[6, 2]");
  EXPECT_ERROR_NAMES(EquivariantBasis(at::randn({2, 6, 3}, at::kDouble), 1, 1),
                     "EquivariantBasis: x");
  EXPECT_ERROR_NAMES(EquivariantBasis(at::ones({6, 3}, at::kLong), 1, 1), "EquivariantBasis: x");
  EXPECT_ERROR_NAMES(EquivariantBasis(vectors(), -1, 1), "EquivariantBasis", "degree");
  EXPECT_ERROR_NAMES(EquivariantBasis(vectors(), 1, -1), "EquivariantBasis", "degree");
  const EquivariantBasis basis(vectors(), 1, 2);
  EXPECT_ERROR_NAMES(basis.at(2, 0), "EquivariantBasis::at", "2");
  EXPECT_ERROR_NAMES(basis.at(1, 3), "EquivariantBasis::at", "3");
  const at::Tensor phi = at::randn({4, 3}, at::kDouble);
  EXPECT_ERROR_NAMES(kernel_from_basis(basis.at(1, 1), 1, 1, phi.narrow(1, 0, 2)), "phi");
  EXPECT_ERROR_NAMES(kernel_from_basis(basis.at(1, 1), 1, 1, phi.narrow(0, 0, 3)), "phi");
  EXPECT_ERROR_NAMES(kernel_from_basis(basis.at(1, 1), 1, 2, phi), "basis");
  EXPECT_NO_THROW(kernel_from_basis(basis.at(1, 1), 1, 1, phi));
}

}  // namespace
}  // namespace se3t

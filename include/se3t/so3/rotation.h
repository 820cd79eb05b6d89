// Rotation matrices: uniformly random, from quaternions and from Euler angles.
#pragma once
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <optional>

namespace se3t {

// n rotation matrices [n, 3, 3] drawn uniformly (Haar measure) from SO(3): a normalised
// Gaussian 4-vector is a uniform unit quaternion.
at::Tensor random_rotation(int64_t n, const at::TensorOptions& options = {},
                           std::optional<at::Generator> generator = std::nullopt);

// Unit quaternions (w, x, y, z) [..., 4] -> rotation matrices [..., 3, 3]. The quaternion is
// normalised first; a zero quaternion is an error.
at::Tensor quaternion_to_matrix(const at::Tensor& q);

// Euler angles in e3nn's convention: R = R_y(alpha) R_x(beta) R_y(gamma), each angle [...].
at::Tensor euler_angles_to_matrix(const at::Tensor& alpha, const at::Tensor& beta,
                                  const at::Tensor& gamma);

// Rotation by angle about the x / y / z axis, [..., 3, 3].
at::Tensor rotation_x(const at::Tensor& angle);
at::Tensor rotation_y(const at::Tensor& angle);
at::Tensor rotation_z(const at::Tensor& angle);

// Requires R of shape [..., 3, 3], floating, orthogonal with det +1 (to tolerance tol).
void check_rotation(const at::Tensor& R, const char* name, double tol = 1e-4);

}  // namespace se3t

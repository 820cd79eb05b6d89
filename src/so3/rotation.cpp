#include "se3t/so3/rotation.h"

#include <ATen/ATen.h>

#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {

at::Tensor random_rotation(int64_t n, const at::TensorOptions& options,
                           std::optional<at::Generator> generator) {
  SE3T_CHECK(n >= 0, "random_rotation: n: expected >= 0, got ", n);
  const auto dtype = options.has_dtype() ? options.dtype().toScalarType() : at::kDouble;
  SE3T_CHECK(dtype == at::kFloat || dtype == at::kDouble,
             "random_rotation: options: expected dtype float32 or float64, got ", dtype);
  // Draw on the CPU in float64 so a seeded generator gives the same rotations on any device.
  const c10::optional<at::Generator> gen =
      generator ? c10::optional<at::Generator>(*generator) : c10::nullopt;
  at::Tensor q = at::normal(0.0, 1.0, {n, 4}, gen, at::TensorOptions().dtype(at::kDouble));
  return quaternion_to_matrix(q).to(options.device(), dtype);
}

at::Tensor quaternion_to_matrix(const at::Tensor& q) {
  check_floating(q, "quaternion_to_matrix: q");
  SE3T_CHECK(q.dim() >= 1 && q.size(-1) == 4,
             "quaternion_to_matrix: q: expected shape [..., 4] (w, x, y, z), got ", describe(q));
  const at::Tensor norm = q.norm(2, -1, /*keepdim=*/true);
  SE3T_CHECK(q.numel() == 0 || (norm > 0).all().item<bool>(),
             "quaternion_to_matrix: q: a zero quaternion is not a rotation");
  const at::Tensor u = q / norm;
  const at::Tensor w = u.select(-1, 0), x = u.select(-1, 1), y = u.select(-1, 2),
                   z = u.select(-1, 3);
  std::vector<at::Tensor> e = {
      1 - 2 * (y * y + z * z), 2 * (x * y - z * w),     2 * (x * z + y * w),
      2 * (x * y + z * w),     1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
      2 * (x * z - y * w),     2 * (y * z + x * w),     1 - 2 * (x * x + y * y)};
  auto sizes = q.sizes().vec();
  sizes.back() = 3;
  sizes.push_back(3);
  return at::stack(e, -1).view(sizes);
}

namespace {
// Rotation about one axis: the 2x2 block [[c, -s], [s, c]] placed on the other two axes.
at::Tensor axis_rotation(const at::Tensor& angle, int axis) {
  check_floating(angle, "rotation angle");
  const at::Tensor c = angle.cos(), s = angle.sin(), o = at::ones_like(angle),
                   z = at::zeros_like(angle);
  std::vector<at::Tensor> e;
  if (axis == 0) e = {o, z, z, z, c, -s, z, s, c};
  if (axis == 1) e = {c, z, s, z, o, z, -s, z, c};
  if (axis == 2) e = {c, -s, z, s, c, z, z, z, o};
  auto sizes = angle.sizes().vec();
  sizes.push_back(3);
  sizes.push_back(3);
  return at::stack(e, -1).view(sizes);
}
}  // namespace

at::Tensor rotation_x(const at::Tensor& angle) {
  return axis_rotation(angle, 0);
}
at::Tensor rotation_y(const at::Tensor& angle) {
  return axis_rotation(angle, 1);
}
at::Tensor rotation_z(const at::Tensor& angle) {
  return axis_rotation(angle, 2);
}

at::Tensor euler_angles_to_matrix(const at::Tensor& alpha, const at::Tensor& beta,
                                  const at::Tensor& gamma) {
  return at::matmul(at::matmul(rotation_y(alpha), rotation_x(beta)), rotation_y(gamma));
}

void check_rotation(const at::Tensor& R, const char* name, double tol) {
  check_floating(R, name);
  SE3T_CHECK(R.dim() >= 2 && R.size(-1) == 3 && R.size(-2) == 3, name,
             ": expected rotation matrices [..., 3, 3], got ", describe(R));
  if (R.numel() == 0) return;
  const at::Tensor eye = at::eye(3, R.options());
  const double orth = (at::matmul(R, R.transpose(-1, -2)) - eye).abs().max().item<double>();
  SE3T_CHECK(orth <= tol, name, ": not orthogonal (max |R R^T - I| = ", orth, ")");
  const double det = (at::linalg_det(R) - 1).abs().max().item<double>();
  SE3T_CHECK(det <= tol, name, ": not a proper rotation (det != +1, off by ", det, ")");
}

}  // namespace se3t

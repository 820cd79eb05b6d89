#include "se3t/util/tensor_checks.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "se3t/util/check.h"

namespace se3t {

std::string describe(const at::Tensor& t) {
  if (!t.defined()) return "undefined tensor";
  std::ostringstream out;
  out << "[";
  for (int64_t i = 0; i < t.dim(); ++i) out << (i ? ", " : "") << t.size(i);
  out << "] " << t.scalar_type();
  return out.str();
}

void check_floating(const at::Tensor& t, const std::string& name) {
  SE3T_CHECK(t.defined(), name, ": expected a tensor, got an undefined one");
  SE3T_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, name,
             ": expected float32 or float64, got ", describe(t));
}

void check_shape(const at::Tensor& t, const std::vector<int64_t>& sizes, const std::string& name) {
  SE3T_CHECK(t.defined(), name, ": expected a tensor, got an undefined one");
  bool ok = t.dim() == static_cast<int64_t>(sizes.size());
  for (size_t i = 0; ok && i < sizes.size(); ++i) {
    ok = sizes[i] < 0 || t.size(static_cast<int64_t>(i)) == sizes[i];
  }
  if (!ok) {
    std::ostringstream want;
    want << "[";
    for (size_t i = 0; i < sizes.size(); ++i) {
      want << (i ? ", " : "");
      if (sizes[i] < 0)
        want << "*";
      else
        want << sizes[i];
    }
    want << "]";
    SE3T_CHECK(false, name, ": expected shape ", want.str(), ", got ", describe(t));
  }
}

void check_index(const at::Tensor& t, const std::string& name) {
  SE3T_CHECK(t.defined(), name, ": expected an index tensor, got an undefined one");
  SE3T_CHECK(t.scalar_type() == at::kLong && t.dim() == 1, name,
             ": expected a rank-1 int64 index tensor, got ", describe(t));
}

void check_finite(const at::Tensor& t, const std::string& name) {
  SE3T_CHECK(t.defined(), name, ": expected a tensor, got an undefined one");
  SE3T_CHECK(at::isfinite(t).all().item<bool>(), name, ": contains NaN or infinite values");
}

void check_parameters_finite(const torch::nn::Module& module, const std::string& source) {
  for (const auto& p : module.named_parameters()) {
    SE3T_CHECK(at::isfinite(p.value()).all().item<bool>(), "'", source, "': parameter ", p.key(),
               " holds NaN or infinite values: the file is damaged or from a diverged run");
  }
  for (const auto& b : module.named_buffers()) {
    if (!b.value().is_floating_point()) continue;
    SE3T_CHECK(at::isfinite(b.value()).all().item<bool>(), "'", source, "': buffer ", b.key(),
               " holds NaN or infinite values: the file is damaged or from a diverged run");
  }
}

}  // namespace se3t

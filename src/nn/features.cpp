#include "se3t/nn/features.h"

#include <ATen/ATen.h>

#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {

Fiber fiber_of(const Features& f) {
  std::map<int64_t, int64_t> e;
  for (const auto& [l, t] : f) e[l] = t.size(1);
  return Fiber(e);
}

void check_features(const Features& f, const Fiber& fiber, int64_t rows, const std::string& name) {
  for (const auto& [l, t] : f) {
    SE3T_CHECK(fiber.has(l), name, ": unexpected degree ", l, " (expected fiber ", fiber.str(),
               ")");
  }
  const at::Tensor* first = nullptr;
  for (const auto& [l, c] : fiber.entries()) {
    auto it = f.find(l);
    SE3T_CHECK(it != f.end(), name, ": missing degree ", l, " (expected fiber ", fiber.str(), ")");
    const at::Tensor& t = it->second;
    const std::string what = name + "[degree " + std::to_string(l) + "]";
    check_floating(t, what);
    check_shape(t, {rows < 0 && first ? first->size(0) : rows, c, 2 * l + 1}, what);
    if (first) {
      SE3T_CHECK(t.scalar_type() == first->scalar_type() && t.device() == first->device(), what,
                 ": dtype/device differs from the other degrees");
    } else {
      first = &t;
    }
  }
}

Features index_select(const Features& f, const at::Tensor& index) {
  Features out;
  for (const auto& [l, t] : f) out[l] = t.index_select(0, index);
  return out;
}

Features concat_channels(const Features& a, const Features& b) {
  Features out = a;
  for (const auto& [l, t] : b) {
    auto it = out.find(l);
    out[l] = it == out.end() ? t : at::cat({it->second, t}, 1);
  }
  return out;
}

Features concat_rows(const Features& a, const Features& b) {
  SE3T_CHECK(fiber_of(a).degrees() == fiber_of(b).degrees(),
             "concat_rows: degrees differ: ", fiber_of(a).str(), " vs ", fiber_of(b).str());
  Features out;
  for (const auto& [l, t] : a) out[l] = at::cat({t, b.at(l)}, 0);
  return out;
}

at::Tensor flatten_features(const Features& f) {
  std::vector<at::Tensor> parts;
  for (const auto& [l, t] : f) parts.push_back(t.reshape({t.size(0), -1}));
  return at::cat(parts, 1);
}

Features unflatten_features(const at::Tensor& flat, const Fiber& fiber) {
  check_shape(flat, {-1, fiber.num_features()}, "unflatten_features: flat");
  Features out;
  int64_t offset = 0;
  for (const auto& [l, c] : fiber.entries()) {
    const int64_t width = c * (2 * l + 1);
    out[l] = flat.narrow(1, offset, width).reshape({flat.size(0), c, 2 * l + 1});
    offset += width;
  }
  return out;
}

}  // namespace se3t

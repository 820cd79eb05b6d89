#include "se3t/nn/radial_precision.h"

#include <atomic>

#include "kernels/radial_contraction.h"
#include "se3t/util/check.h"

namespace se3t {

namespace {
std::atomic<RadialPrecision> g_default{RadialPrecision::kFloat32};
}  // namespace

RadialPrecision default_radial_precision() {
  return g_default.load();
}

void set_default_radial_precision(RadialPrecision precision) {
  g_default.store(precision);
}

RadialPrecisionScope::RadialPrecisionScope(RadialPrecision precision)
    : previous_(default_radial_precision()) {
  set_default_radial_precision(precision);
}

RadialPrecisionScope::~RadialPrecisionScope() {
  set_default_radial_precision(previous_);
}

bool bf16_radial_available() {
  return kernels::bf16_radial_supported();
}

RadialPrecision effective_radial_precision(RadialPrecision precision) {
  return precision == RadialPrecision::kBF16Radial && bf16_radial_available()
             ? RadialPrecision::kBF16Radial
             : RadialPrecision::kFloat32;
}

const char* radial_precision_name(RadialPrecision precision) {
  return precision == RadialPrecision::kBF16Radial ? "bf16-radial" : "float32";
}

RadialPrecision parse_radial_precision(const std::string& name) {
  if (name == "float32") return RadialPrecision::kFloat32;
  if (name == "bf16-radial") return RadialPrecision::kBF16Radial;
  throw Error("se3t: unknown precision '" + name + "' (expected float32 or bf16-radial)");
}

}  // namespace se3t

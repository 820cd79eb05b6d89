// The arithmetic of the radial weights phi(|x_ij|) on the fused path: float32, or bfloat16
// products with float32 sums (`bf16-radial`). The radial weights are functions of the
// invariant edge lengths only, so rounding them rounds invariant numbers: the basis, the
// contraction with the features, the attention and every sum stay in float32 and the layer
// stays equivariant to float32 round-off (docs/design.md, Kernels). It is a process-wide
// setting like the kernel path (`se3t bench --precision`, `[train] precision`); it applies to
// float32 models on the fused path of a CPU with AVX512-BF16 and computes in float32
// elsewhere (bf16_radial_available() says which).
#pragma once
#include <string>

namespace se3t {

enum class RadialPrecision { kFloat32, kBF16Radial };

RadialPrecision default_radial_precision();
void set_default_radial_precision(RadialPrecision precision);

// Sets the process-wide precision while alive, then restores the one it found (a training run,
// a test).
class RadialPrecisionScope {
 public:
  explicit RadialPrecisionScope(RadialPrecision precision);
  ~RadialPrecisionScope();
  RadialPrecisionScope(const RadialPrecisionScope&) = delete;
  RadialPrecisionScope& operator=(const RadialPrecisionScope&) = delete;

 private:
  RadialPrecision previous_;
};

// Whether this CPU runs the bfloat16 radial kernels (AVX512-BF16).
bool bf16_radial_available();
// The precision a float32 fused-path layer actually computes in under `precision`.
RadialPrecision effective_radial_precision(RadialPrecision precision);

const char* radial_precision_name(RadialPrecision precision);     // "float32" | "bf16-radial"
RadialPrecision parse_radial_precision(const std::string& name);  // throws se3t::Error

}  // namespace se3t

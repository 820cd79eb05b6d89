// Which implementation the hot layers use: the plain LibTorch composition (the reference,
// kept as the definition every fused kernel is tested against) or hand-written fused CPU
// kernels. A layer's option kAuto follows the process-wide default, which `se3t bench
// --path` and tests switch.
#pragma once
#include <string>

namespace se3t {

enum class KernelPath { kAuto, kReference, kFused };

KernelPath default_kernel_path();
void set_default_kernel_path(KernelPath path);  // kAuto is rejected
// kAuto -> the process default; others unchanged.
KernelPath resolve_kernel_path(KernelPath path);

const char* kernel_path_name(KernelPath path);          // "auto" | "reference" | "fused"
KernelPath parse_kernel_path(const std::string& name);  // throws se3t::Error

}  // namespace se3t

#include "se3t/nn/kernel_path.h"

#include <atomic>

#include "se3t/util/check.h"

namespace se3t {

namespace {
// Fused by default: test_kernels checks it against the reference (values and gradients).
std::atomic<KernelPath> g_default{KernelPath::kFused};
}  // namespace

KernelPath default_kernel_path() {
  return g_default.load();
}

void set_default_kernel_path(KernelPath path) {
  SE3T_CHECK(path != KernelPath::kAuto, "set_default_kernel_path: choose reference or fused");
  g_default.store(path);
}

KernelPath resolve_kernel_path(KernelPath path) {
  return path == KernelPath::kAuto ? default_kernel_path() : path;
}

const char* kernel_path_name(KernelPath path) {
  switch (path) {
    case KernelPath::kAuto:
      return "auto";
    case KernelPath::kReference:
      return "reference";
    case KernelPath::kFused:
      return "fused";
  }
  return "?";
}

KernelPath parse_kernel_path(const std::string& name) {
  if (name == "auto") return KernelPath::kAuto;
  if (name == "reference") return KernelPath::kReference;
  if (name == "fused") return KernelPath::kFused;
  throw Error("se3t: unknown kernel path '" + name + "' (expected auto, reference or fused)");
}

}  // namespace se3t

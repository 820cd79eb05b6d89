#include "se3t/nn/pooling.h"

#include <ATen/ATen.h>

#include "kernels/segment_ops.h"
#include "se3t/util/check.h"
#include "se3t/util/profiler.h"

namespace se3t {

Pooling parse_pooling(const std::string& name) {
  if (name == "none") return Pooling::kNone;
  if (name == "avg" || name == "mean") return Pooling::kAvg;
  if (name == "max") return Pooling::kMax;
  SE3T_CHECK(false, "pooling: expected none, avg or max, got '", name, "'");
  return Pooling::kNone;
}

std::string to_string(Pooling p) {
  switch (p) {
    case Pooling::kAvg:
      return "avg";
    case Pooling::kMax:
      return "max";
    default:
      return "none";
  }
}

Features pool_graphs(const Features& features, const at::Tensor& graph_id, int64_t num_graphs,
                     Pooling mode) {
  if (mode == Pooling::kNone) return features;
  SE3T_PROFILE_PHASE(kOther);
  Features out;
  for (const auto& [l, f] : features) {
    SE3T_CHECK(mode != Pooling::kMax || l == 0, "pooling: max pooling of degree ", l,
               " features is not equivariant; use avg");
    out[l] = mode == Pooling::kMax ? kernels::segment_max(f, graph_id, num_graphs)
                                   : kernels::segment_mean(f, graph_id, num_graphs);
  }
  return out;
}

}  // namespace se3t

#include "kernels/segment_ops.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "se3t/util/check.h"
#include "se3t/util/tensor_checks.h"

namespace se3t::kernels {

namespace {
// LibTorch 1.13 announces once per process, on stderr, that scatter_reduce "is in beta", which
// tells a user of se3t nothing. One tiny call under a silent handler spends that announcement;
// the handler is process-wide, so this happens exactly once (a thread-safe static).
class SilentWarnings : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation&, const std::string&, const bool) override {}
};

void spend_scatter_reduce_notice() {
  static const bool done = [] {
    SilentWarnings silent;
    c10::Warning::WarningHandlerGuard guard(&silent);
    const at::Tensor one = at::zeros({1});
    at::zeros({1}).scatter_reduce(0, at::zeros({1}, at::kLong), one, "amax", false);
    return true;
  }();
  (void)done;
}

void check_args(const at::Tensor& values, const at::Tensor& index, const char* name) {
  check_index(index, std::string(name) + ": index");
  SE3T_CHECK(values.dim() >= 1 && values.size(0) == index.size(0), name,
             ": values must have one row per index entry, got ", describe(values), " and ",
             describe(index));
}

std::vector<int64_t> rows_shape(const at::Tensor& values, int64_t rows) {
  auto s = values.sizes().vec();
  s[0] = rows;
  return s;
}
}  // namespace

at::Tensor segment_sum(const at::Tensor& values, const at::Tensor& index, int64_t num_segments) {
  check_args(values, index, "segment_sum");
  return at::zeros(rows_shape(values, num_segments), values.options()).index_add(0, index, values);
}

at::Tensor segment_mean(const at::Tensor& values, const at::Tensor& index, int64_t num_segments) {
  check_args(values, index, "segment_mean");
  const at::Tensor sum = segment_sum(values, index, num_segments);
  at::Tensor count = at::zeros({num_segments}, values.options())
                         .index_add(0, index, at::ones({index.size(0)}, values.options()))
                         .clamp_min(1);
  std::vector<int64_t> view(values.dim(), 1);
  view[0] = num_segments;
  return sum / count.view(view);
}

at::Tensor segment_max(const at::Tensor& values, const at::Tensor& index, int64_t num_segments) {
  check_args(values, index, "segment_max");
  std::vector<int64_t> view(values.dim(), 1);
  view[0] = index.size(0);
  const at::Tensor expanded = index.view(view).expand_as(values);
  spend_scatter_reduce_notice();
  return at::zeros(rows_shape(values, num_segments), values.options())
      .scatter_reduce(0, expanded, values, "amax", /*include_self=*/false);
}

at::Tensor segment_softmax(const at::Tensor& logits, const at::Tensor& index,
                           int64_t num_segments) {
  check_args(logits, index, "segment_softmax");
  // The shift is a constant per segment, so it needs no gradient (softmax is shift-invariant).
  const at::Tensor shift = segment_max(logits.detach(), index, num_segments).index_select(0, index);
  const at::Tensor e = (logits - shift).exp();
  const at::Tensor denom = segment_sum(e, index, num_segments).index_select(0, index);
  return e / denom;
}

}  // namespace se3t::kernels

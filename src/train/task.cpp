#include "se3t/train/task.h"

namespace se3t {

const char* to_string(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValid:
      return "valid";
    default:
      return "test";
  }
}

Metrics Task::evaluate(Split split) {
  const int64_t n = eval_batches(split);
  std::vector<std::vector<double>> rows;
  rows.reserve(static_cast<size_t>(n));
  for (int64_t b = 0; b < n; ++b) rows.push_back(eval_batch(split, b));
  return eval_metrics(split, rows);
}

}  // namespace se3t

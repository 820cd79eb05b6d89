#include "se3t/util/batch_rows.h"

namespace se3t {

std::vector<std::vector<double>> rows_in_order(int64_t num_batches, const BatchRow& row) {
  std::vector<std::vector<double>> rows;
  rows.reserve(static_cast<size_t>(num_batches > 0 ? num_batches : 0));
  for (int64_t b = 0; b < num_batches; ++b) rows.push_back(row(b));
  return rows;
}

}  // namespace se3t

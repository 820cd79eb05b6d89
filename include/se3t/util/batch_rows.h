// Work split into batches whose results are rows of numbers (partial sums, predictions): how the
// rows of batches 0..n-1 are computed is the caller's choice, in order in this process
// (rows_in_order) or shared among the processes of a job (se3t/distributed/shared_batches.h).
// Either way the caller gets every batch's row, in batch order, and combines them as it would
// alone: the result does not depend on who computed which batch.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace se3t {

using BatchRow = std::function<std::vector<double>(int64_t batch)>;
using BatchRows =
    std::function<std::vector<std::vector<double>>(int64_t num_batches, const BatchRow& row)>;

// row(0), ..., row(num_batches - 1), computed here in that order.
std::vector<std::vector<double>> rows_in_order(int64_t num_batches, const BatchRow& row);

}  // namespace se3t

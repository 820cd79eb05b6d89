#include "se3t/distributed/shared_batches.h"

#include <ATen/ATen.h>

#include <utility>

namespace se3t::distributed {

std::vector<std::vector<double>> shared_batch_rows(Communicator* comm, int64_t num_batches,
                                                   const BatchRow& row) {
  if (comm == nullptr || comm->size() == 1) return rows_in_order(num_batches, row);
  const int rank = comm->rank(), size = comm->size();
  std::vector<std::vector<double>> mine;
  for (int64_t b = rank; b < num_batches; b += size) mine.push_back(row(b));
  // Row lengths first (each known to its owner only), then the rows themselves.
  at::Tensor lengths = at::zeros({num_batches}, at::kLong);
  int64_t k = 0;
  for (int64_t b = rank; b < num_batches; b += size, ++k) {
    lengths[b] = static_cast<int64_t>(mine[k].size());
  }
  comm->all_reduce_sum(lengths);
  std::vector<int64_t> offset(num_batches + 1, 0);
  const int64_t* len = lengths.data_ptr<int64_t>();
  for (int64_t b = 0; b < num_batches; ++b) offset[b + 1] = offset[b] + len[b];
  at::Tensor all = at::full({offset[num_batches]}, -0.0, at::kDouble);
  double* p = all.data_ptr<double>();
  k = 0;
  for (int64_t b = rank; b < num_batches; b += size, ++k) {
    std::copy(mine[k].begin(), mine[k].end(), p + offset[b]);
  }
  comm->all_reduce_sum(all);
  p = all.data_ptr<double>();
  std::vector<std::vector<double>> rows(num_batches);
  for (int64_t b = 0; b < num_batches; ++b) rows[b].assign(p + offset[b], p + offset[b + 1]);
  return rows;
}

BatchRows shared_batches(std::shared_ptr<Communicator> comm) {
  return [comm = std::move(comm)](int64_t num_batches, const BatchRow& row) {
    return shared_batch_rows(comm.get(), num_batches, row);
  };
}

}  // namespace se3t::distributed

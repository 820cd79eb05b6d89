// Batches shared round robin among the processes of a job (batch b computed by rank b % size),
// their rows (se3t/util/batch_rows.h) then gathered on every process in batch order. The rows
// travel in one all-reduce in which every entry is non-zero on its owner only; the others send
// -0.0, and x + (-0.0) == x for every x (+0.0 and -0.0 included), so each process receives every
// row bit for bit, and sums them in the same order as a single process would.
#pragma once
#include <memory>

#include "se3t/distributed/communicator.h"
#include "se3t/util/batch_rows.h"

namespace se3t::distributed {

// Every batch's row, on every process; rows may differ in length. Without a communicator,
// rows_in_order.
std::vector<std::vector<double>> shared_batch_rows(Communicator* comm, int64_t num_batches,
                                                   const BatchRow& row);

// shared_batch_rows over `comm` as a BatchRows (the communicator is kept alive by it).
BatchRows shared_batches(std::shared_ptr<Communicator> comm);

}  // namespace se3t::distributed

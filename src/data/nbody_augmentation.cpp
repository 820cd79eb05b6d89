#include "se3t/data/nbody_augmentation.h"

#include <ATen/ATen.h>

#include "se3t/util/check.h"

namespace se3t {
namespace {

// entries [B] as a boolean mask over the batch's nodes [B * n].
at::Tensor node_mask(const NBodyBatch& batch, const std::vector<uint8_t>& entries,
                     const char* where) {
  SE3T_CHECK(static_cast<int64_t>(entries.size()) == batch.num_graphs, where, ": ", entries.size(),
             " flags for a batch of ", batch.num_graphs, " systems");
  SE3T_CHECK(batch.graph_index.defined(), where, ": the batch has no graph_index");
  const at::Tensor flags =
      at::tensor(std::vector<int64_t>(entries.begin(), entries.end()), at::kLong).ne(0);
  return flags.index_select(0, batch.graph_index.to(at::kLong));
}

}  // namespace

NBodyBatch reverse_time(const NBodyBatch& batch, const std::vector<uint8_t>& entries) {
  SE3T_CHECK(batch.target_pos.defined() && batch.target_vel.defined(),
             "reverse_time: the batch has no targets to swap with its inputs");
  const at::Tensor m = node_mask(batch, entries, "reverse_time").unsqueeze(1);
  NBodyBatch out = batch;
  out.pos = at::where(m, batch.target_pos, batch.pos);
  out.target_pos = at::where(m, batch.pos, batch.target_pos);
  out.vel = at::where(m, -batch.target_vel, batch.vel);
  out.target_vel = at::where(m, -batch.vel, batch.target_vel);
  return out;
}

NBodyBatch flip_charges(const NBodyBatch& batch, const std::vector<uint8_t>& entries) {
  const at::Tensor m = node_mask(batch, entries, "flip_charges");
  NBodyBatch out = batch;
  out.charges = at::where(m, -batch.charges, batch.charges);
  return out;
}

}  // namespace se3t

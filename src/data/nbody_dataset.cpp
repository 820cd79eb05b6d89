#include "se3t/data/nbody_dataset.h"

#include "se3t/util/check.h"

#include <ATen/ATen.h>

#include <utility>

namespace se3t {

NBodyDataset::NBodyDataset(NBodySplit split, int64_t input_frame, int64_t target_frame)
    : split_(std::move(split)), input_frame_(input_frame), target_frame_(target_frame) {
  split_.validate("NBodyDataset");
  const int64_t frames = split_.num_frames();
  SE3T_CHECK(input_frame >= 0 && input_frame < frames, "NBodyDataset: input_frame ", input_frame,
             " is outside the split's ", frames, " frames");
  SE3T_CHECK(target_frame >= 0 && target_frame < frames, "NBodyDataset: target_frame ",
             target_frame, " is outside the split's ", frames, " frames");
  const int64_t n = split_.num_particles();
  SE3T_CHECK(n >= 1, "NBodyDataset: the split has no particles");
  // Transposed once here so every batch is a plain row gather.
  pos_ = split_.loc.transpose(2, 3).contiguous().view({-1, n, 3});
  vel_ = split_.vel.transpose(2, 3).contiguous().view({-1, n, 3});
  charges_ = split_.charges.reshape({-1, n}).contiguous();
}

NBodyDataset::NBodyDataset(NBodySplit split, const NBodyOptions& options)
    : NBodyDataset(std::move(split), options.input_frame, options.target_frame) {}

int64_t NBodyDataset::num_start_frames() const {
  const int64_t offset = target_frame_ - input_frame_;
  return offset >= 0 ? num_frames() - offset : num_frames() + offset;
}

NBodyBatch NBodyDataset::get(int64_t sim) const {
  return batch({sim});
}

NBodyBatch NBodyDataset::batch(const std::vector<int64_t>& sims) const {
  return batch_at(sims, std::vector<int64_t>(sims.size(), input_frame_));
}

NBodyBatch NBodyDataset::batch_at(const std::vector<int64_t>& sims,
                                  const std::vector<int64_t>& input_frames) const {
  SE3T_CHECK(sims.size() == input_frames.size(), "NBodyDataset::batch_at: ", sims.size(),
             " simulations but ", input_frames.size(), " input frames");
  const int64_t b = static_cast<int64_t>(sims.size());
  const int64_t n = num_particles(), frames = num_frames();
  const int64_t offset = target_frame_ - input_frame_;
  std::vector<int64_t> in_rows(b), target_rows(b);
  for (int64_t k = 0; k < b; ++k) {
    const int64_t s = sims[k], f = input_frames[k];
    SE3T_CHECK(s >= 0 && s < size(), "NBodyDataset: simulation index ", s, " (entry ", k,
               ") is outside [0, ", size(), ")");
    SE3T_CHECK(f >= 0 && f < frames && f + offset >= 0 && f + offset < frames,
               "NBodyDataset: input frame ", f, " (entry ", k, ") with target offset ", offset,
               " needs frames ", f, " and ", f + offset, " inside [0, ", frames, ")");
    in_rows[k] = s * frames + f;
    target_rows[k] = s * frames + f + offset;
  }
  const auto i64 = at::TensorOptions().dtype(at::kLong);
  const at::Tensor in_idx = at::tensor(in_rows, i64);
  const at::Tensor target_idx = at::tensor(target_rows, i64);
  const at::Tensor sim_idx = at::tensor(sims, i64);

  NBodyBatch out;
  out.num_graphs = b;
  out.nodes_per_graph = n;
  out.pos = pos_.index_select(0, in_idx).view({b * n, 3});
  out.vel = vel_.index_select(0, in_idx).view({b * n, 3});
  out.target_pos = pos_.index_select(0, target_idx).view({b * n, 3});
  out.target_vel = vel_.index_select(0, target_idx).view({b * n, 3});
  out.charges = charges_.index_select(0, sim_idx).view({b * n});
  out.graph_index = at::arange(b, i64).repeat_interleave(n);
  return out;
}

}  // namespace se3t

// N-body learning samples: (positions, velocities, charges) at an input frame and the positions
// and velocities at a target frame, per simulation of an NBodySplit. Batches concatenate
// simulations along the node dimension ([B * n, 3], the usual graph batching), with a
// graph_index telling which batch entry each node belongs to. Independent of the graph code.
#pragma once
#include "se3t/data/nbody_simulator.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace se3t {

struct NBodyBatch {
  at::Tensor pos;          // [B * n, 3] float64, input positions
  at::Tensor vel;          // [B * n, 3] input velocities
  at::Tensor charges;      // [B * n] +1 / -1
  at::Tensor target_pos;   // [B * n, 3] positions at the target frame
  at::Tensor target_vel;   // [B * n, 3] velocities at the target frame
  at::Tensor graph_index;  // [B * n] int64: node k belongs to batch entry graph_index[k]
  int64_t num_graphs = 0;
  int64_t nodes_per_graph = 0;
};

class NBodyDataset {
 public:
  // Frames index the split's frame axis; target_frame may be any frame (also before input).
  NBodyDataset(NBodySplit split, int64_t input_frame, int64_t target_frame);
  // Uses options.input_frame and options.target_frame.
  NBodyDataset(NBodySplit split, const NBodyOptions& options);

  int64_t size() const { return split_.num_sims(); }
  int64_t num_particles() const { return split_.num_particles(); }
  int64_t num_frames() const { return split_.num_frames(); }
  int64_t input_frame() const { return input_frame_; }
  int64_t target_frame() const { return target_frame_; }
  // Number of input frames f with f + (target_frame - input_frame) inside the recording:
  // batch_at accepts input frames 0 .. num_start_frames() - 1 (if the offset is >= 0).
  int64_t num_start_frames() const;
  const NBodySplit& split() const { return split_; }

  // Simulation `sim` alone (B = 1).
  NBodyBatch get(int64_t sim) const;
  // Simulations `sims` (repeats allowed) at (input_frame, target_frame), in that order.
  NBodyBatch batch(const std::vector<int64_t>& sims) const;
  // Per-entry input frames with the dataset's frame offset, target = input + offset (the
  // SE(3)-Transformer code drew the input frame at random during training).
  NBodyBatch batch_at(const std::vector<int64_t>& sims,
                      const std::vector<int64_t>& input_frames) const;

 private:
  NBodySplit split_;
  int64_t input_frame_;
  int64_t target_frame_;
  at::Tensor pos_;      // [sims * frames, n, 3] contiguous (the file's [3, n] transposed)
  at::Tensor vel_;      // [sims * frames, n, 3]
  at::Tensor charges_;  // [sims, n]
};

}  // namespace se3t

// Evaluation of N-body predictors (the paper's Table 1): mean squared errors of positions and
// velocities and the paper's equivariance error of the predicted positions.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "se3t/data/nbody_dataset.h"
#include "se3t/models/nbody_model.h"
#include "se3t/util/batch_rows.h"

namespace se3t {

// Maps a batch to predicted positions and velocities at the target frame, [B * n, 3].
using NBodyPredictor = std::function<NBodyPrediction(const NBodyBatch&)>;

struct NBodyMetrics {
  // Means over simulations, particles and coordinates, in simulator units (float64).
  double mse_position = 0.0;
  double mse_velocity = 0.0;
  // Training loss on the same data: (mse_position + mse_velocity) / 2, the mean over the
  // stacked [N, 2, 3] target as in the paper's code.
  double loss = 0.0;
  // |L Phi(f) - Phi(L f)| / |L Phi(f)| of the predicted positions (Frobenius norms over the
  // whole split), averaged over random rotations and translations L; NaN if not measured.
  double equivariance_error_position = 0.0;
  int64_t num_samples = 0;
  int64_t rotations = 0;

  // One JSON object (keys as the fields; NaN written as null).
  std::string to_json() const;
};

struct EvalOptions {
  int64_t batch_size = 100;
  int64_t rotations = 4;  // for the equivariance error; 0 skips it
  uint64_t seed = 0;      // rotations and translations
  double translation_std = 1.0;
  // false: every simulation at the dataset's input_frame. true: simulation i of m at input
  // frame lo + floor((hi - lo) * i / m), spread over all frames [lo, hi) that leave room for the
  // target, as the paper's code evaluated (nbody_dataloader.py, ri_start_at = 'all'); the
  // target stays target_frame - input_frame frames later.
  bool spread_input_frames = false;
};

// Input frames [lo, hi) from which the dataset's target offset stays inside the recording.
std::pair<int64_t, int64_t> input_frame_range(const NBodyDataset& data);

// Runs `predict` over the whole dataset (no gradients). `batch_rows` computes the batches' rows
// of partial sums (empty: in order here; se3t/distributed/shared_batches.h shares them among
// processes, with the same metrics bit for bit).
NBodyMetrics evaluate_nbody(const NBodyPredictor& predict, const NBodyDataset& data,
                            const EvalOptions& options = {}, const BatchRows& batch_rows = {});

// evaluate_nbody in batches, so that processes can share them: each batch's row of partial
// sums (squared errors of positions and velocities, then per rotation |L Phi(f) - Phi(L f)|^2
// and |L Phi(f)|^2), and the metrics of the rows of all batches summed in batch order (the same
// sums as evaluate_nbody). The rotations are drawn from options.seed, the same in every process.
class NBodyEvaluation {
 public:
  NBodyEvaluation(const NBodyDataset& data, const EvalOptions& options);
  int64_t num_batches() const;
  std::vector<double> batch_sums(const NBodyPredictor& predict, int64_t batch) const;
  NBodyMetrics metrics(const std::vector<std::vector<double>>& rows) const;

 private:
  const NBodyDataset& data_;
  EvalOptions options_;
  at::Tensor R_, shift_;  // [rotations, 3, 3], [rotations, 3]
};

// The model's predictor (eval mode, no gradients; the module's training flag is restored).
NBodyPredictor model_predictor(NBodyModel model);
// The Linear baseline's predictor with the given interval t.
NBodyPredictor linear_predictor(double interval);

// L f: rotates positions and velocities (x -> R x + b, v -> R v) of a batch; targets alike.
NBodyBatch transform_batch(const NBodyBatch& batch, const at::Tensor& R, const at::Tensor& b);

}  // namespace se3t

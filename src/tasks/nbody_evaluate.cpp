#include "se3t/tasks/nbody_evaluate.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <vector>

#include "se3t/so3/rotation.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"

namespace se3t {
std::string NBodyMetrics::to_json() const {
  std::ostringstream out;
  out << "{\"mse_position\": " << json_number(mse_position)
      << ", \"mse_velocity\": " << json_number(mse_velocity) << ", \"loss\": " << json_number(loss)
      << ", \"equivariance_error_position\": " << json_number(equivariance_error_position)
      << ", \"rotations\": " << rotations << ", \"num_samples\": " << num_samples << "}";
  return out.str();
}

NBodyBatch transform_batch(const NBodyBatch& batch, const at::Tensor& R, const at::Tensor& b) {
  NBodyBatch out = batch;
  const at::Tensor Rt = R.to(batch.pos.scalar_type()).t();
  const at::Tensor shift = b.to(batch.pos.scalar_type()).view({1, 3});
  out.pos = at::matmul(batch.pos, Rt) + shift;
  out.vel = at::matmul(batch.vel, Rt);
  if (batch.target_pos.defined()) out.target_pos = at::matmul(batch.target_pos, Rt) + shift;
  if (batch.target_vel.defined()) out.target_vel = at::matmul(batch.target_vel, Rt);
  return out;
}

std::pair<int64_t, int64_t> input_frame_range(const NBodyDataset& data) {
  const int64_t offset = data.target_frame() - data.input_frame();
  const int64_t lo = std::max<int64_t>(0, -offset);
  const int64_t hi = std::min(data.num_frames(), data.num_frames() - offset);
  SE3T_CHECK(hi > lo, "no input frame leaves room for a target ", offset, " frames away");
  return {lo, hi};
}

NBodyEvaluation::NBodyEvaluation(const NBodyDataset& data, const EvalOptions& options)
    : data_(data), options_(options) {
  SE3T_CHECK(options.batch_size >= 1, "evaluate_nbody: batch_size must be >= 1, got ",
             options.batch_size);
  SE3T_CHECK(options.rotations >= 0, "evaluate_nbody: rotations must be >= 0, got ",
             options.rotations);
  if (options.rotations > 0) {
    const auto f64 = at::TensorOptions().dtype(at::kDouble);
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    R_ = random_rotation(options.rotations, f64, gen);
    shift_ = at::randn({options.rotations, 3}, gen, f64) * options.translation_std;
  }
}

int64_t NBodyEvaluation::num_batches() const {
  return (data_.size() + options_.batch_size - 1) / options_.batch_size;
}

std::vector<double> NBodyEvaluation::batch_sums(const NBodyPredictor& predict,
                                                int64_t batch) const {
  SE3T_CHECK(batch >= 0 && batch < num_batches(), "evaluate_nbody: batch ", batch, " out of range");
  at::NoGradGuard no_grad;
  const int64_t k_rot = options_.rotations;
  const int64_t sims = data_.size();
  const int64_t start = batch * options_.batch_size;
  std::vector<int64_t> idx(std::min(options_.batch_size, sims - start));
  std::iota(idx.begin(), idx.end(), start);
  std::vector<int64_t> frames(idx.size(), data_.input_frame());
  if (options_.spread_input_frames) {
    const auto [lo, hi] = input_frame_range(data_);
    for (size_t j = 0; j < idx.size(); ++j) frames[j] = lo + (hi - lo) * idx[j] / sims;
  }
  const NBodyBatch b = data_.batch_at(idx, frames);
  const NBodyPrediction p = predict(b);
  const at::Tensor pos = p.pos.to(at::kDouble), vel = p.vel.to(at::kDouble);
  std::vector<double> row(2 + 2 * k_rot, 0.0);
  row[0] = (pos - b.target_pos).square().sum().item<double>();
  row[1] = (vel - b.target_vel).square().sum().item<double>();
  for (int64_t k = 0; k < k_rot; ++k) {
    // L Phi(f) against Phi(L f), L: x -> R x + b, v -> R v (the paper's definition, §4.1).
    const at::Tensor L_phi = at::matmul(pos, R_[k].t()) + shift_[k].view({1, 3});
    const at::Tensor phi_L = predict(transform_batch(b, R_[k], shift_[k])).pos.to(at::kDouble);
    row[2 + 2 * k] = (L_phi - phi_L).square().sum().item<double>();
    row[3 + 2 * k] = L_phi.square().sum().item<double>();
  }
  return row;
}

NBodyMetrics NBodyEvaluation::metrics(const std::vector<std::vector<double>>& rows) const {
  const int64_t k_rot = options_.rotations;
  const int64_t sims = data_.size();
  double se_pos = 0.0, se_vel = 0.0;
  std::vector<double> diff2(k_rot, 0.0), ref2(k_rot, 0.0);
  for (const std::vector<double>& r : rows) {
    SE3T_CHECK(static_cast<int64_t>(r.size()) == 2 + 2 * k_rot, "evaluate_nbody: a row of ",
               r.size(), " sums, expected ", 2 + 2 * k_rot);
    se_pos += r[0];
    se_vel += r[1];
    for (int64_t k = 0; k < k_rot; ++k) {
      diff2[k] += r[2 + 2 * k];
      ref2[k] += r[3 + 2 * k];
    }
  }
  NBodyMetrics m;
  m.num_samples = sims;
  m.rotations = k_rot;
  const double count = static_cast<double>(sims * data_.num_particles() * 3);
  m.mse_position = sims > 0 ? se_pos / count : std::nan("");
  m.mse_velocity = sims > 0 ? se_vel / count : std::nan("");
  m.loss = 0.5 * (m.mse_position + m.mse_velocity);
  if (k_rot == 0 || sims == 0) {
    m.equivariance_error_position = std::nan("");
  } else {
    double sum = 0.0;
    for (int64_t k = 0; k < k_rot; ++k) sum += std::sqrt(diff2[k] / ref2[k]);
    m.equivariance_error_position = sum / static_cast<double>(k_rot);
  }
  return m;
}

NBodyMetrics evaluate_nbody(const NBodyPredictor& predict, const NBodyDataset& data,
                            const EvalOptions& options, const BatchRows& batch_rows) {
  const NBodyEvaluation evaluation(data, options);
  const BatchRow row = [&](int64_t b) { return evaluation.batch_sums(predict, b); };
  return evaluation.metrics(batch_rows ? batch_rows(evaluation.num_batches(), row)
                                       : rows_in_order(evaluation.num_batches(), row));
}

NBodyPredictor model_predictor(NBodyModel model) {
  return [model](const NBodyBatch& batch) mutable {
    at::NoGradGuard no_grad;
    const bool was_training = model->is_training();
    model->eval();
    NBodyPrediction p = model->forward(batch);
    model->train(was_training);
    return p;
  };
}

NBodyPredictor linear_predictor(double interval) {
  return [interval](const NBodyBatch& batch) { return linear_baseline(batch, interval); };
}

}  // namespace se3t

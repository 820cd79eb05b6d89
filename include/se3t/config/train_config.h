// The [train] section every task shares: Adam with a cosine (or constant) learning rate stepped
// every iteration, the run's seed, threads and output directory.
#pragma once
#include <cstdint>
#include <string>

#include "se3t/util/fields.h"

namespace se3t {

struct TrainConfig {
  int64_t epochs = 100;
  int64_t batch_size = 64;
  double lr = 1e-3;
  double lr_min = -1.0;                // end of the cosine schedule; < 0: lr / 10
  std::string lr_schedule = "cosine";  // "cosine" | "constant"
  double weight_decay = 0.0;           // L2 penalty added to the gradient (Adam's weight_decay)
  // > 0: validate, select and save the exponential moving average of the weights
  // (se3t/train/weight_average.h) instead of the optimizer's own; 0: off.
  double ema_decay = 0.0;
  uint64_t seed = 0;    // model initialisation and data order
  int64_t threads = 0;  // intra-op threads; 0: all hardware threads
  std::string out_dir = "runs/train";
  int64_t eval_every = 1;  // validate every this many epochs (and after the last)
  // Arithmetic of the model's parameters: "float32" | "float64" (the data-parallel tests compare
  // runs to float64 round-off).
  std::string dtype = "float32";
  // Arithmetic of the radial weights on the fused path (se3t/nn/radial_precision.h):
  // "float32" | "bf16-radial" (bfloat16 products, float32 sums; float32 models only).
  std::string precision = "float32";
  // Data-parallel runs (se3t/distributed): every collective (and the rendezvous) gives up after
  // this long, so a dead or hung process ends the job instead of hanging it; gradients are
  // all-reduced in buckets of at most grad_bucket_mb megabytes.
  double collective_timeout_s = 300.0;
  double grad_bucket_mb = 25.0;

  void visit(FieldVisitor& v);
  // Cross-field checks after the ranges (lr_min above lr, an empty out_dir).
  void check(const std::string& where) const;
  // Learning rate at fractional epoch t in [0, epochs] (the paper steps a cosine schedule every
  // iteration: CosineAnnealingWarmRestarts(T_0 = epochs, eta_min) over one period).
  double learning_rate(double t) const;
  double resolved_lr_min() const { return lr_min < 0.0 ? lr / 10.0 : lr_min; }
  // Sets the fields a resumed run may change (epochs, threads, out_dir, eval_every and the
  // data-parallel settings) to fixed
  // values, so that what remains is what a resumed run must share with the run it continues.
  void clear_run_settings();
};

}  // namespace se3t

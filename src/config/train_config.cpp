#include "se3t/config/train_config.h"

#include <algorithm>
#include <cmath>

#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {

void TrainConfig::visit(FieldVisitor& v) {
  v.field("epochs", epochs, "passes over the training set", Range::at_least(0));
  v.field("batch_size", batch_size, "samples per optimizer step", Range::at_least(1));
  v.field("lr", lr, "learning rate (Adam)", Range::above(0));
  v.field("lr_min", lr_min, "end of the cosine schedule (< 0: lr / 10)");
  v.field("lr_schedule", lr_schedule, "learning-rate schedule, stepped every iteration",
          {"cosine", "constant"});
  v.field("weight_decay", weight_decay, "L2 penalty added to the gradient", Range::at_least(0));
  v.field("ema_decay", ema_decay,
          "> 0: validation, the best model, the test and every model file use the exponential "
          "moving average of the weights with this decay per step (e.g. 0.99); 0: the weights "
          "as trained",
          Range::between(0, 1));
  v.field("seed", seed, "model initialisation and data order");
  v.field("threads", threads, "intra-op threads (0: all cores)", Range::between(0, 1024));
  v.field("out_dir", out_dir, "output directory of the run");
  v.field("eval_every", eval_every, "validate every this many epochs (and after the last)",
          Range::at_least(1));
  v.field("dtype", dtype, "arithmetic of the model's parameters", {"float32", "float64"});
  v.field("precision", precision,
          "radial weights on the fused path: float32, or bf16-radial (bfloat16 products with "
          "float32 sums, on CPUs with AVX512-BF16; float32 elsewhere)",
          {"float32", "bf16-radial"});
  v.field("collective_timeout_s", collective_timeout_s,
          "data-parallel runs: seconds a rendezvous or collective may wait for the other processes",
          Range::above(0));
  v.field("grad_bucket_mb", grad_bucket_mb,
          "data-parallel runs: gradients are all-reduced in buckets of this many megabytes",
          Range::above(0));
}

void TrainConfig::check(const std::string& where) const {
  SE3T_CHECK(!out_dir.empty(), where, "out_dir must not be empty");
  SE3T_CHECK(precision == "float32" || dtype == "float32", where, "precision = \"", precision,
             "\" needs dtype = \"float32\", got \"", dtype, "\"");
  SE3T_CHECK(ema_decay < 1.0, where,
             "ema_decay must be below 1 (1 would keep the initial weights), got ",
             format_real(ema_decay));
  SE3T_CHECK(lr_min <= lr, where, "lr_min (", format_real(lr_min), ") must not exceed lr (",
             format_real(lr), "): the schedule would raise the rate");
}

double TrainConfig::learning_rate(double t) const {
  if (lr_schedule == "constant" || epochs <= 0) return lr;
  const double lo = resolved_lr_min();
  const double x = std::min(std::max(t / static_cast<double>(epochs), 0.0), 1.0);
  return lo + 0.5 * (lr - lo) * (1.0 + std::cos(M_PI * x));
}

void TrainConfig::clear_run_settings() {
  epochs = 0;
  threads = 0;
  out_dir = "-";
  eval_every = 1;
  collective_timeout_s = 300.0;
  grad_bucket_mb = 25.0;
}

}  // namespace se3t

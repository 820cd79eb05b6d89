#include "se3t/tasks/nbody_task.h"

#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <random>

#include "se3t/data/nbody_augmentation.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"
#include "se3t/util/random.h"
#include "se3t/util/text.h"

namespace se3t {
void NBodyDataConfig::visit(FieldVisitor& v) {
  v.field("protocol", protocol, "data protocol: the paper's, or EGNN's", {"paper", "egnn"});
  v.field("dir", dir, "directory of the .npy files (generated there when missing)");
  v.field("num_train", num_train, "training simulations", Range::at_least(1));
  v.field("num_valid", num_valid, "validation simulations", Range::at_least(0));
  v.field("num_test", num_test, "test simulations", Range::at_least(0));
  v.field("seed", seed, "simulation seed");
  v.field("input_frame", input_frame, "input frame of every simulation", Range::at_least(0));
  v.field("target_frame", target_frame, "target frame", Range::at_least(0));
  v.field("random_input_frame", random_input_frame,
          "training inputs start at a random frame (the paper's code)");
  v.field("eval_frames", eval_frames,
          "validation and test inputs: fixed (input_frame) or spread over the trajectory",
          {"fixed", "spread"});
}

void NBodyHeadConfig::visit(FieldVisitor& v) {
  v.field("residual", residual,
          "predict x_0 + v_0 t + network (force-free motion plus a learned deviation)");
}

void NBodyLossConfig::visit(FieldVisitor& v) {
  v.field("velocity_weight", velocity_weight,
          "loss (MSE position + w MSE velocity) / (1 + w): 1 the paper's, 0 positions only",
          Range::at_least(0));
  v.field("time_reversal", time_reversal,
          "use each training sample time-reversed with probability 1/2 (augmentation)");
  v.field("charge_flip", charge_flip,
          "negate each training sample's charges with probability 1/2 (augmentation)");
}

void NBodyDataConfig::use_protocol_defaults() {
  const NBodyOptions p = nbody_protocol_options(protocol);
  num_train = p.num_train;
  num_valid = p.num_valid;
  num_test = p.num_test;
  input_frame = p.input_frame;
  target_frame = p.target_frame;
}

NBodyOptions NBodyDataConfig::nbody_options() const {
  NBodyOptions o = nbody_protocol_options(protocol);
  o.num_train = num_train;
  o.num_valid = num_valid;
  o.num_test = num_test;
  o.input_frame = input_frame;
  o.target_frame = target_frame;
  return o;
}

NBodyConfig::NBodyConfig() {
  data.use_protocol_defaults();
  train.out_dir = "runs/nbody";
}

ConfigSections NBodyConfig::sections() {
  return {{"data", [this](FieldVisitor& v) { data.visit(v); }},
          {"model",
           [this](FieldVisitor& v) {
             model.visit(v);
             head.visit(v);
           }},
          {"train", [this](FieldVisitor& v) {
             train.visit(v);
             loss.visit(v);
           }}};
}

void NBodyConfig::read(const std::string& text, const std::string& source) {
  // The protocol first: its sizes and frames are the defaults of the keys the file omits.
  NBodyConfig probe;
  read_config(text, source, task(), probe.sections());
  check_config(source, {probe.sections()[0]});
  data.protocol = probe.data.protocol;
  data.use_protocol_defaults();
  ExperimentConfig::read(text, source);
}

void NBodyConfig::check(const std::string& where) const {
  ExperimentConfig::check(where);
  SE3T_CHECK(!data.dir.empty(), where, "[data].dir must not be empty");
  const NBodyOptions o = data.nbody_options();
  SE3T_CHECK(data.input_frame < o.num_frames, where, "[data].input_frame must be in [0, ",
             o.num_frames, "), got ", data.input_frame);
  SE3T_CHECK(data.target_frame < o.num_frames, where, "[data].target_frame must be in [0, ",
             o.num_frames, "), got ", data.target_frame);
  if (model.type == "linear") return;
  SE3T_CHECK(model.skip != "add" || model.num_layers == 0 || model.num_channels == 1, where,
             "[model].skip = \"add\" needs equal channels in and out of every block, but the "
             "N-body input has 1 channel per degree and the blocks ",
             model.num_channels, "; use \"cat\"");
  try {
    (void)nbody_network(model);
  } catch (const Error& e) {
    SE3T_CHECK(false, where, "[model]: ", e.message());
  }
}

EpochPlan epoch_plan(uint64_t seed, int64_t epoch, const NBodyDataset& train, bool random_frames,
                     const EpochAugmentation& augmentation) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(epoch), static_cast<uint32_t>(epoch >> 32), 0x5e37u};
  std::mt19937_64 g(seq);
  EpochPlan p;
  const int64_t n = train.size();
  p.sims.resize(n);
  for (int64_t i = 0; i < n; ++i) p.sims[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    std::swap(p.sims[i], p.sims[uniform_below(g, static_cast<uint64_t>(i) + 1)]);
  }
  p.input_frames.assign(n, train.input_frame());
  if (random_frames) {
    const auto [lo, hi] = input_frame_range(train);
    for (int64_t i = 0; i < n; ++i) {
      p.input_frames[i] = lo + static_cast<int64_t>(uniform_below(g, hi - lo));
    }
  }
  // Drawn after the order and frames, so that these stay those of a plan without augmentation.
  auto coin_flips = [&](bool on) {
    std::vector<uint8_t> c(n, 0);
    if (on) {
      for (int64_t i = 0; i < n; ++i) c[i] = static_cast<uint8_t>(uniform_below(g, 2));
    }
    return c;
  };
  p.reversed = coin_flips(augmentation.time_reversal);
  p.flipped = coin_flips(augmentation.charge_flip);
  return p;
}

NBodyTask::NBodyTask(NBodyConfig config) : config_(std::move(config)) {}

std::string NBodyTask::resume_fingerprint_of(const std::string& config_toml,
                                             const std::string& source) const {
  return NBodyConfig::parse(config_toml, source + " (stored config)").resume_fingerprint();
}

void NBodyTask::load_data(std::ostream* log) {
  NBodyDataRequest request;
  request.dir = config_.data.dir;
  request.protocol = config_.data.protocol;
  request.seed = config_.data.seed;
  request.options = config_.data.nbody_options();
  data_ = prepare_nbody_data(request, log);
}

std::string NBodyTask::describe() const {
  const NBodyDataConfig& d = config_.data;
  return config_.model.type + ", " + std::to_string(data_.train->size()) + " training simulations" +
         (d.random_input_frame ? " (random input frames)" : "") + ", frames " +
         std::to_string(d.input_frame) + " -> " + std::to_string(d.target_frame) +
         (d.eval_frames == "spread" ? " (evaluated on input frames spread over the trajectory)"
                                    : "");
}

void NBodyTask::build_model() {
  if (config_.model.type == "linear") return;
  model_ = NBodyModel(nbody_network(config_.model));
  if (config_.head.residual) {
    model_->set_residual_interval(
        nbody_interval(data_.options, config_.data.input_frame, config_.data.target_frame));
  }
}

torch::nn::Module& NBodyTask::module() {
  if (model_.is_empty()) return baseline_;
  return *model_;
}

void NBodyTask::begin_epoch(uint64_t seed, int64_t epoch) {
  plan_ = epoch_plan(seed, epoch, *data_.train, config_.data.random_input_frame,
                     {config_.loss.time_reversal, config_.loss.charge_flip});
}

at::Tensor NBodyTask::batch_loss(int64_t begin, int64_t end, int64_t batch_begin,
                                 int64_t batch_end) {
  const std::vector<int64_t> sims(plan_.sims.begin() + begin, plan_.sims.begin() + end);
  const std::vector<int64_t> frames(plan_.input_frames.begin() + begin,
                                    plan_.input_frames.begin() + end);
  NBodyBatch batch = data_.train->batch_at(sims, frames);
  if (config_.loss.time_reversal) {
    batch = reverse_time(batch, {plan_.reversed.begin() + begin, plan_.reversed.begin() + end});
  }
  if (config_.loss.charge_flip) {
    batch = flip_charges(batch, {plan_.flipped.begin() + begin, plan_.flipped.begin() + end});
  }
  const NBodyPrediction d = model_->forward_delta(batch);
  const at::ScalarType t = model_->dtype();
  const at::Tensor dpos = (batch.target_pos - batch.pos).to(t);
  const at::Tensor dvel = (batch.target_vel - batch.vel).to(t);
  // velocity_weight 1: the paper's loss, the MSE over the stacked [N, 2, 3] (position change,
  // velocity change).
  const at::Tensor loss =
      config_.loss.combine((d.pos - dpos).square().mean(), (d.vel - dvel).square().mean());
  if (begin == batch_begin && end == batch_end) return loss;
  // Every simulation has the same particles: a part's share of the mean is its share of samples.
  return loss * (static_cast<double>(end - begin) / static_cast<double>(batch_end - batch_begin));
}

std::vector<std::string> NBodyTask::metric_names() const {
  return {"mse_position", "mse_velocity"};
}

NBodyEvaluation NBodyTask::evaluation(Split split) const {
  // Validation (and training-set) passes skip the rotations: cheap.
  EvalOptions eo;
  eo.rotations = split == Split::kTest ? eo.rotations : 0;
  eo.spread_input_frames = config_.data.eval_frames == "spread";
  const NBodyDataset& data = split == Split::kTrain   ? *data_.train
                             : split == Split::kValid ? *data_.validation
                                                      : *data_.test;
  return NBodyEvaluation(data, eo);
}

int64_t NBodyTask::eval_batches(Split split) {
  return evaluation(split).num_batches();
}

std::vector<double> NBodyTask::eval_batch(Split split, int64_t batch) {
  const NBodyPredictor predict =
      model_.is_empty() ? linear_predictor(nbody_interval(data_.options, config_.data.input_frame,
                                                          config_.data.target_frame))
                        : model_predictor(model_);
  return evaluation(split).batch_sums(predict, batch);
}

Metrics NBodyTask::eval_metrics(Split split, const std::vector<std::vector<double>>& rows) {
  NBodyMetrics m = evaluation(split).metrics(rows);
  m.loss = config_.loss.combine(m.mse_position, m.mse_velocity);  // the training loss's weights
  Metrics out;
  out.loss = m.loss;
  out.values = {m.mse_position, m.mse_velocity};
  out.json = m.to_json();
  out.count = m.num_samples;
  return out;
}

std::string NBodyTask::test_header() const {
  const NBodyDataConfig& d = config_.data;
  return "\"type\": " + json_string(config_.model.type) +
         ", \"input_frame\": " + std::to_string(d.input_frame) +
         ", \"target_frame\": " + std::to_string(d.target_frame) +
         ", \"frames\": " + json_string(d.eval_frames) + ", ";
}

void NBodyTask::write_model(torch::serialize::OutputArchive& archive) {
  // The network at the top level, exactly as save_model writes it.
  archive.write("se3t_options", c10::IValue(model_->options().to_text()));
  write_residual_interval(archive, *model_);
  model_->network()->save(archive);
}

void NBodyTask::read_model(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue text;
  SE3T_CHECK(archive.try_read("se3t_options", text) && text.isString(), "'", path,
             "' holds no N-body network (se3t_options)");
  const SE3TransformerOptions stored = SE3TransformerOptions::from_text(text.toStringRef());
  SE3T_CHECK(stored.to_text() == model_->options().to_text(), "'", path,
             "' holds a different network:\n", stored.to_text(), "but the config builds:\n",
             model_->options().to_text());
  const double residual = read_residual_interval(archive);
  const auto describe = [](double t) {
    return t == 0.0 ? std::string("none") : "residual interval " + std::to_string(t);
  };
  SE3T_CHECK(residual == model_->residual_interval(), "'", path, "' holds a model with ",
             describe(residual), " but the config builds ", describe(model_->residual_interval()));
  model_->network()->load(archive);
}

}  // namespace se3t

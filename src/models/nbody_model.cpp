#include "se3t/models/nbody_model.h"

#include <ATen/ATen.h>

#include <cmath>
#include <filesystem>

#include "se3t/graph/neighbourhood.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

void check_network_options(const SE3TransformerOptions& o) {
  SE3T_CHECK(o.fiber_in == Fiber({{0, 1}, {1, 1}}),
             "NBodyModel: expected fiber_in {0:1,1:1} (charge, velocity), got ", o.fiber_in.str());
  SE3T_CHECK(o.fiber_out == Fiber({{1, 2}}),
             "NBodyModel: expected fiber_out {1:2} (change of position, of velocity), got ",
             o.fiber_out.str());
  SE3T_CHECK(o.edge_dim == 1, "NBodyModel: expected edge_dim 1 (q_i q_j), got ", o.edge_dim);
  SE3T_CHECK(o.pooling == Pooling::kNone, "NBodyModel: the network must not pool, got pooling ",
             to_string(o.pooling));
}

void check_batch(const NBodyBatch& b) {
  SE3T_CHECK(b.pos.defined() && b.vel.defined() && b.charges.defined() && b.graph_index.defined(),
             "NBodyModel: incomplete batch (pos, vel, charges and graph_index are needed)");
  const int64_t n = b.pos.size(0);
  SE3T_CHECK(b.pos.dim() == 2 && b.pos.size(1) == 3 && b.vel.sizes() == b.pos.sizes(),
             "NBodyModel: expected pos and vel of shape [N, 3]");
  SE3T_CHECK(b.charges.dim() == 1 && b.charges.size(0) == n && b.graph_index.dim() == 1 &&
                 b.graph_index.size(0) == n,
             "NBodyModel: expected charges and graph_index of shape [", n, "]");
}

}  // namespace

SE3TransformerOptions nbody_network(const BackboneOptions& backbone) {
  return backbone.network(Fiber({{0, 1}, {1, 1}}), Fiber({{1, 2}}), /*edge_dim=*/1);
}

GraphBatch nbody_graph(const NBodyBatch& batch, at::ScalarType dtype) {
  check_batch(batch);
  GraphBatch g = fully_connected_graph(batch.pos.to(dtype), batch.graph_index, batch.num_graphs);
  const at::Tensor q = batch.charges.to(dtype);
  // Edge attribute of the paper's code: w_ij = q_i q_j.
  g.edge_attr = (q.index_select(0, g.src) * q.index_select(0, g.dst)).unsqueeze(1);
  return g;
}

NBodyModelImpl::NBodyModelImpl(const SE3TransformerOptions& options)
    : NBodyModelImpl(SE3Transformer(options)) {}

NBodyModelImpl::NBodyModelImpl(SE3Transformer network) {
  SE3T_CHECK(!network.is_empty(), "NBodyModel: no network given");
  check_network_options(network->options());
  network_ = register_module("net", std::move(network));
}

at::ScalarType NBodyModelImpl::dtype() const {
  const auto params = network_->parameters();
  return params.empty() ? at::kFloat : params.front().scalar_type();
}

NBodyPrediction NBodyModelImpl::forward_delta(const NBodyBatch& batch) {
  const at::ScalarType t = dtype();
  const GraphBatch graph = nbody_graph(batch, t);
  Features in;
  in[0] = batch.charges.to(t).view({-1, 1, 1});
  in[1] = batch.vel.to(t).unsqueeze(1);
  const Features out = network_->forward(graph, in);
  const at::Tensor v = out.at(1);  // [N, 2, 3]
  if (residual_interval_ == 0.0) return {v.select(1, 0), v.select(1, 1)};
  return {v.select(1, 0) + residual_interval_ * in[1].squeeze(1), v.select(1, 1)};
}

void NBodyModelImpl::set_residual_interval(double t) {
  SE3T_CHECK(std::isfinite(t) && t >= 0.0, "NBodyModel: the residual interval must be finite and ",
             ">= 0, got ", t);
  residual_interval_ = t;
}

void write_residual_interval(torch::serialize::OutputArchive& archive, const NBodyModelImpl& m) {
  if (m.residual_interval() == 0.0) return;  // files of models without it stay as they were
  archive.write("se3t_nbody_residual_interval", c10::IValue(m.residual_interval()));
}

double read_residual_interval(torch::serialize::InputArchive& archive) {
  c10::IValue t;
  if (!archive.try_read("se3t_nbody_residual_interval", t)) return 0.0;
  SE3T_CHECK(t.isDouble(), "se3t_nbody_residual_interval: expected a number");
  return t.toDouble();
}

NBodyPrediction NBodyModelImpl::forward(const NBodyBatch& batch) {
  const NBodyPrediction d = forward_delta(batch);
  return {batch.pos.to(at::kDouble) + d.pos.to(at::kDouble),
          batch.vel.to(at::kDouble) + d.vel.to(at::kDouble)};
}

double nbody_interval(const NBodyOptions& options, int64_t input_frame, int64_t target_frame) {
  return static_cast<double>(target_frame - input_frame) *
         static_cast<double>(options.sample_freq) * options.dt;
}

NBodyPrediction linear_baseline(const NBodyBatch& batch, double interval) {
  check_batch(batch);
  const at::Tensor pos = batch.pos.to(at::kDouble), vel = batch.vel.to(at::kDouble);
  return {pos + vel * interval, vel.clone()};
}

NBodyModel load_nbody_model(const std::string& path) {
  SE3T_CHECK(std::filesystem::exists(path), "checkpoint '", path, "' does not exist");
  NBodyModel model(load_model(path));
  torch::serialize::InputArchive archive;
  archive.load_from(path);  // load_model read it already: it is readable
  model->set_residual_interval(read_residual_interval(archive));
  return model;
}

}  // namespace se3t

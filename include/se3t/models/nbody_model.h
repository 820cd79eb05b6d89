// The N-body model of the SE(3)-Transformer paper (Fuchs et al. 2020, §4.1 and App. D.2), and
// the Linear baseline it is compared with (the paper's Table 1; docs/design.md, N-body experiment).
//
// Input per particle: its velocity as a type-1 feature (one channel: the vector itself; se3t's
// type-1 basis is Cartesian, D^1(R) = R) and its charge as a type-0 feature (one channel).
// Each system is a fully connected graph; the edge attribute is q_i q_j. The network's output
// fiber is {1: 2}: two vectors per particle, the predicted changes of position and velocity
// over the prediction interval, so prediction = input + network output (as the paper's code
// regresses x_T - x_0 and v_T - v_0). Positions only enter through relative positions, so the
// model is translation invariant in its changes and equivariant in its predictions.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/serialize/archive.h>

#include "se3t/data/nbody_dataset.h"
#include "se3t/graph/graph_batch.h"
#include "se3t/models/backbone_options.h"
#include "se3t/models/se3_transformer.h"

namespace se3t {

// The SE3TransformerOptions of the N-body network with the given hidden layers: fiber_in
// {0: 1, 1: 1}, fiber_out {1: 2}, edge_dim 1, no pooling. Validated.
SE3TransformerOptions nbody_network(const BackboneOptions& backbone);

// Predicted state: positions and velocities [B * n, 3].
struct NBodyPrediction {
  at::Tensor pos;
  at::Tensor vel;
};

// Graph of an N-body batch: fully connected within each system, edge_attr q_i q_j [E, 1],
// positions converted to `dtype`.
GraphBatch nbody_graph(const NBodyBatch& batch, at::ScalarType dtype);

class NBodyModelImpl : public torch::nn::Module {
 public:
  // options must have fiber_in {0: 1, 1: 1}, fiber_out {1: 2} and edge_dim 1.
  explicit NBodyModelImpl(const SE3TransformerOptions& options);
  // Wraps an existing network (e.g. from load_model); the same checks apply.
  explicit NBodyModelImpl(SE3Transformer network);

  // Predicted changes (delta position, delta velocity), [B * n, 3] each, in the network's
  // dtype (float32 unless the module was converted). Differentiable.
  NBodyPrediction forward_delta(const NBodyBatch& batch);
  // Predicted absolute state at the target frame: input + change, float64.
  NBodyPrediction forward(const NBodyBatch& batch);

  // With t > 0 the position change is v_0 t + network (the force-free motion plus a learned
  // deviation, as EGNN's update x + v + f): the network regresses what forces add. 0: none.
  void set_residual_interval(double t);
  double residual_interval() const { return residual_interval_; }

  SE3Transformer& network() { return network_; }
  const SE3TransformerOptions& options() const { return network_->options(); }
  at::ScalarType dtype() const;

 private:
  SE3Transformer network_{nullptr};
  double residual_interval_ = 0.0;
};
TORCH_MODULE(NBodyModel);

// The residual interval in a model file (key se3t_nbody_residual_interval; absent = 0).
void write_residual_interval(torch::serialize::OutputArchive& archive, const NBodyModelImpl& m);
double read_residual_interval(torch::serialize::InputArchive& archive);

// The network of a model file (a training checkpoint or a save_model file), as an NBodyModel,
// with the residual interval it was trained with.
NBodyModel load_nbody_model(const std::string& path);

// Time between the input and the target frame of a data set in simulator units:
// (target_frame - input_frame) * sample_freq * dt.
double nbody_interval(const NBodyOptions& options, int64_t input_frame, int64_t target_frame);

// The Linear baseline: x_T = x_0 + v_0 t, v_T = v_0, with t from nbody_interval. In the
// simulator a recorded velocity is the one that moved the particles to the recorded positions
// over the previous dt, so x_0 + v_0 t is exact for force-free particles between wall hits.
NBodyPrediction linear_baseline(const NBodyBatch& batch, double interval);

}  // namespace se3t

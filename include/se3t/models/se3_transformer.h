// SE3Transformer and TensorFieldNetwork (docs/design.md, Layers): a stack of blocks, each
// attention (or ConvSE3 for the TFN) + skip + self-interaction, followed by a NormSE3
// nonlinearity; then a final ConvSE3 with self-interaction to the output fiber, and optional
// graph pooling.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "se3t/graph/graph_batch.h"
#include "se3t/nn/attention_block_se3.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/norm_se3.h"
#include "se3t/nn/pooling.h"

namespace se3t {

// One options struct for both models (a plain struct, loaded from TOML by the configs).
struct SE3TransformerOptions {
  Fiber fiber_in{{0, 1}};
  Fiber fiber_hidden = Fiber::uniform(3, 16);
  Fiber fiber_out{{0, 1}};
  int64_t num_layers = 4;
  int64_t num_heads = 2;
  int64_t channels_div = 2;  // key/query channels = hidden channels / channels_div
  int64_t radial_hidden = 32;
  int64_t edge_dim = 0;  // scalar edge attributes per edge
  SelfInteraction self_interaction = SelfInteraction::kLinear;
  Skip skip = Skip::kCat;
  bool norm = true;  // NormSE3 after every block
  Pooling pooling = Pooling::kNone;
  bool attention = true;  // false: Tensor Field Network (ConvSE3 in place of attention)
  // Channels of the attention values (se3t/nn/attention_block_se3.h); model files written
  // before this setting existed hold the wide layout and load as such.
  ValueLayout value_layout = ValueLayout::kPaper;
  // > 0: every message and attention weight is multiplied by the smooth cutoff envelope of its
  // edge, u(|x_ij| / smooth_cutoff) (se3t/nn/cutoff_envelope.h), so outputs and their
  // derivatives stay continuous as edges of a radius graph with this cutoff come and go.
  double smooth_cutoff = 0.0;
  // Of the radial MLPs, NormSE3 and the attentive self-interaction (se3t/nn/activation.h):
  // ReLU, the paper's, or SiLU, whose smooth energies give continuous forces.
  Activation activation = Activation::kReLU;

  // Highest degree any layer uses: the edge basis is built up to it once per forward pass.
  int64_t max_degree() const;
  // Throws se3t::Error for inconsistent settings (e.g. heads not dividing channels).
  void validate() const;
  // "key = value" lines, and back (the checkpoint stores the options this way).
  std::string to_text() const;
  static SE3TransformerOptions from_text(const std::string& text);
};

class SE3TransformerImpl : public torch::nn::Module {
 public:
  explicit SE3TransformerImpl(const SE3TransformerOptions& options);

  // node_features: fiber_in, [N, C, 2l+1] per degree. Returns fiber_out per node, or per graph
  // ([num_graphs, C, 2l+1]) when pooling is on.
  Features forward(const GraphBatch& graph, const Features& node_features);

  const SE3TransformerOptions& options() const { return options_; }

 private:
  SE3TransformerOptions options_;
  torch::nn::ModuleList blocks_;
  torch::nn::ModuleList norms_;
  ConvSE3 final_{nullptr};
};
TORCH_MODULE(SE3Transformer);

// The attention-free special case: the same network with ConvSE3 blocks.
class TensorFieldNetworkImpl : public SE3TransformerImpl {
 public:
  explicit TensorFieldNetworkImpl(SE3TransformerOptions options);
};
TORCH_MODULE(TensorFieldNetwork);

// Checkpoints hold the options and the parameters, so the file alone rebuilds the model.
// save_model writes a temporary file and renames it (se3t/util/save_archive.h): an interrupted
// save never leaves a truncated checkpoint behind, and a failed one throws se3t::Error.
void save_model(SE3TransformerImpl& model, const std::string& path);
SE3Transformer load_model(const std::string& path);

}  // namespace se3t

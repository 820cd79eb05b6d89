// The settings of the equivariant network shared by every model of se3t (the [model] section of
// every config, and the part of a model file that says which network it holds): a stack of
// num_layers attention blocks (the paper's GSE3Res, or ConvSE3 for a Tensor Field Network) with
// num_channels channels of each hidden degree 0 .. num_degrees - 1. The paper's nbody_run.py
// and NVIDIA's SE3Transformer use the same names.
#pragma once
#include <cstdint>
#include <string>

#include "se3t/models/se3_transformer.h"
#include "se3t/util/fields.h"

namespace se3t {

struct BackboneOptions {
  // "se3_transformer" | "tfn" (N-body configs also take "linear": no network, the Linear
  // baseline of the paper's Table 1).
  std::string type = "se3_transformer";
  int64_t num_layers = 4;
  int64_t num_degrees = 4;  // hidden degrees 0 .. num_degrees - 1
  int64_t num_channels = 16;
  int64_t num_heads = 2;
  int64_t channels_div = 2;  // keys and queries have num_channels / channels_div channels
  int64_t radial_hidden = 32;
  std::string self_interaction = "linear";  // "linear" | "attentive"
  std::string skip = "cat";                 // "cat" | "add"
  bool norm = true;
  // "paper": attention values with num_channels / channels_div channels, like the keys (the
  // paper's and NVIDIA's network); "wide": values with num_channels.
  std::string value_layout = "paper";
  std::string activation = "relu";  // "relu" (the paper's) | "silu" (continuous forces)

  void visit(FieldVisitor& v);
  bool attention() const { return type == "se3_transformer"; }
  // Throws se3t::Error "<where>..." for settings the layers would refuse (heads or channels_div
  // not dividing the channels).
  void check(const std::string& where) const;
  // The network from fiber_in to fiber_out through these hidden layers (no pooling).
  SE3TransformerOptions network(const Fiber& fiber_in, const Fiber& fiber_out,
                                int64_t edge_dim) const;
};

}  // namespace se3t

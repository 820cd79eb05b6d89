#include "se3t/models/se3_transformer.h"

#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "se3t/util/check.h"
#include "se3t/util/fields.h"
#include "se3t/util/memory.h"
#include "se3t/util/save_archive.h"
#include "se3t/util/tensor_checks.h"
#include "se3t/util/text.h"

namespace se3t {

int64_t SE3TransformerOptions::max_degree() const {
  return std::max({fiber_in.max_degree(), fiber_hidden.max_degree(), fiber_out.max_degree()});
}

void SE3TransformerOptions::validate() const {
  SE3T_CHECK(!fiber_in.empty(), "model options: fiber_in must not be empty");
  SE3T_CHECK(!fiber_out.empty(), "model options: fiber_out must not be empty");
  SE3T_CHECK(num_layers >= 0, "model options: num_layers must be >= 0, got ", num_layers);
  SE3T_CHECK(num_layers == 0 || !fiber_hidden.empty(),
             "model options: fiber_hidden must not be empty");
  SE3T_CHECK(num_heads >= 1, "model options: num_heads must be >= 1, got ", num_heads);
  SE3T_CHECK(channels_div >= 1, "model options: channels_div must be >= 1, got ", channels_div);
  SE3T_CHECK(radial_hidden >= 1, "model options: radial_hidden must be >= 1, got ", radial_hidden);
  SE3T_CHECK(edge_dim >= 0, "model options: edge_dim must be >= 0, got ", edge_dim);
  SE3T_CHECK(std::isfinite(smooth_cutoff) && smooth_cutoff >= 0,
             "model options: smooth_cutoff must be >= 0 (0: none), got ", smooth_cutoff);
  SE3T_CHECK(pooling != Pooling::kMax || fiber_out.max_degree() == 0,
             "model options: max pooling needs a degree-0 output fiber, got ", fiber_out.str());
  // A lower bound of the parameters, before any is allocated: the last layer of the radial
  // MLPs of each hidden-to-hidden block maps radial_hidden units to one weight per channel
  // pair and basis element, radial_hidden * C_in * C_out * (2 min(l, k) + 1) for every pair of
  // degrees (l, k) (eq. 8 of the paper; keys, queries and the other layers come on top).
  // Every block also ends in a self-interaction mapping at least C_l channels to C_l per
  // hidden degree.
  // The paper's value layout has C / channels_div value channels (and as many key channels).
  const double out_share = attention && value_layout == ValueLayout::kPaper
                               ? 1.0 / static_cast<double>(std::max<int64_t>(channels_div, 1))
                               : 1.0;
  double radial = 0.0, self = 0.0;
  for (const auto& [l, ci] : fiber_hidden.entries()) {
    self += static_cast<double>(ci) * static_cast<double>(ci);
    for (const auto& [k, co] : fiber_hidden.entries()) {
      radial += static_cast<double>(radial_hidden) * static_cast<double>(ci) *
                static_cast<double>(co) * out_share * static_cast<double>(2 * std::min(l, k) + 1);
    }
  }
  const double weights = radial * static_cast<double>(std::max<int64_t>(num_layers - 1, 0)) +
                         self * static_cast<double>(num_layers);
  check_fits_in_memory(weights * 4.0,
                       "a model of " + std::to_string(num_layers) + " layers with hidden fiber " +
                           fiber_hidden.str() + " and radial_hidden " +
                           std::to_string(radial_hidden),
                       "lower num_channels (memory grows with its square), num_degrees, "
                       "radial_hidden or num_layers");
}

std::string SE3TransformerOptions::to_text() const {
  KeyValueText t;
  t.put("fiber_in", fiber_in.str());
  t.put("fiber_hidden", fiber_hidden.str());
  t.put("fiber_out", fiber_out.str());
  t.put("num_layers", std::to_string(num_layers));
  t.put("num_heads", std::to_string(num_heads));
  t.put("channels_div", std::to_string(channels_div));
  t.put("radial_hidden", std::to_string(radial_hidden));
  t.put("edge_dim", std::to_string(edge_dim));
  t.put("self_interaction", to_string(self_interaction));
  t.put("skip", to_string(skip));
  t.put("norm", norm ? "true" : "false");
  t.put("pooling", to_string(pooling));
  t.put("attention", attention ? "true" : "false");
  t.put("value_layout", to_string(value_layout));
  if (smooth_cutoff > 0) t.put("smooth_cutoff", format_real(smooth_cutoff));
  // Files without the key (all written before SiLU existed) hold ReLU networks.
  if (activation != Activation::kReLU) t.put("activation", to_string(activation));
  return t.str();
}

SE3TransformerOptions SE3TransformerOptions::from_text(const std::string& text) {
  const KeyValueText t = KeyValueText::parse(text, "model options");
  SE3TransformerOptions o;
  o.value_layout = ValueLayout::kWide;  // the only layout of files without the key
  for (const auto& [key, v] : t.entries()) {
    if (key == "fiber_in")
      o.fiber_in = Fiber::parse(v);
    else if (key == "fiber_hidden")
      o.fiber_hidden = Fiber::parse(v);
    else if (key == "fiber_out")
      o.fiber_out = Fiber::parse(v);
    else if (key == "num_layers")
      o.num_layers = t.integer(key);
    else if (key == "num_heads")
      o.num_heads = t.integer(key);
    else if (key == "channels_div")
      o.channels_div = t.integer(key);
    else if (key == "radial_hidden")
      o.radial_hidden = t.integer(key);
    else if (key == "edge_dim")
      o.edge_dim = t.integer(key);
    else if (key == "self_interaction")
      o.self_interaction = parse_self_interaction(v);
    else if (key == "skip")
      o.skip = parse_skip(v);
    else if (key == "norm")
      o.norm = t.boolean(key);
    else if (key == "pooling")
      o.pooling = parse_pooling(v);
    else if (key == "attention")
      o.attention = t.boolean(key);
    else if (key == "value_layout")
      o.value_layout = parse_value_layout(v);
    else if (key == "smooth_cutoff")
      o.smooth_cutoff = t.real(key);
    else if (key == "activation")
      o.activation = parse_activation(v, "model options");
    else
      SE3T_CHECK(false, "model options: unknown key '", key, "'");
  }
  o.validate();
  return o;
}

SE3TransformerImpl::SE3TransformerImpl(const SE3TransformerOptions& options) : options_(options) {
  options.validate();
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  norms_ = register_module("norms", torch::nn::ModuleList());
  Fiber current = options.fiber_in;
  for (int64_t i = 0; i < options.num_layers; ++i) {
    blocks_->push_back(AttentionBlockSE3(AttentionBlockSE3Options(current, options.fiber_hidden)
                                             .attention(options.attention)
                                             .num_heads(options.num_heads)
                                             .channels_div(options.channels_div)
                                             .edge_dim(options.edge_dim)
                                             .radial_hidden(options.radial_hidden)
                                             .activation(options.activation)
                                             .skip(options.skip)
                                             .self_interaction(options.self_interaction)
                                             .value_layout(options.value_layout)));
    if (options.norm) {
      norms_->push_back(
          NormSE3(NormSE3Options(options.fiber_hidden).activation(options.activation)));
    }
    current = options.fiber_hidden;
  }
  final_ = register_module(
      "final", ConvSE3(ConvSE3Options(current, options.fiber_out)
                           .edge_dim(options.edge_dim)
                           .radial_hidden(options.radial_hidden)
                           .activation(options.activation)
                           .self_interaction(!current.restricted_to(options.fiber_out).empty())));
}

Features SE3TransformerImpl::forward(const GraphBatch& graph, const Features& node_features) {
  check_features(node_features, options_.fiber_in, graph.num_nodes(), "SE3Transformer: features");
  // The basis and radial inputs are computed once and shared by every layer.
  // A lower bound of one layer's edge messages, [E, C, 2l+1] per hidden degree in float32,
  // before any is formed (training keeps every layer's): a batch that cannot fit is refused.
  // (The paper's value layout forms C / channels_div value channels.)
  const bool narrow = options_.attention && options_.value_layout == ValueLayout::kPaper;
  double per_edge = 0.0;
  for (const auto& [l, c] : options_.fiber_hidden.entries()) {
    const int64_t formed = narrow ? c / options_.channels_div : c;
    per_edge += static_cast<double>(formed) * static_cast<double>(2 * l + 1) * 4.0;
  }
  if (options_.num_layers > 0) {
    check_fits_in_memory(per_edge * static_cast<double>(graph.num_edges()),
                         "a batch of " + std::to_string(graph.num_nodes()) + " nodes and " +
                             std::to_string(graph.num_edges()) + " edges",
                         "lower the batch size (or the neighbours per node)");
  }
  const EdgeGeometry geometry = edge_geometry(graph, options_.max_degree(), options_.smooth_cutoff);
  Features h = node_features;
  for (size_t i = 0; i < blocks_->size(); ++i) {
    h = blocks_->ptr<AttentionBlockSE3Impl>(i)->forward(h, geometry);
    if (options_.norm) h = norms_->ptr<NormSE3Impl>(i)->forward(h);
  }
  h = final_->forward(h, geometry);
  return pool_graphs(h, graph.graph_id, graph.num_graphs, options_.pooling);
}

TensorFieldNetworkImpl::TensorFieldNetworkImpl(SE3TransformerOptions options)
    : SE3TransformerImpl([&] {
        options.attention = false;
        return options;
      }()) {}

void save_model(SE3TransformerImpl& model, const std::string& path) {
  torch::serialize::OutputArchive archive;
  archive.write("se3t_options", c10::IValue(model.options().to_text()));
  model.save(archive);
  save_archive_atomic(archive, path, "model");
}

SE3Transformer load_model(const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    SE3T_CHECK(false, "load_model: cannot read checkpoint '", path,
               "': ", e.what_without_backtrace());
  }
  c10::IValue text;
  SE3T_CHECK(!archive.try_read("se3t_molecule_options", text), "'", path,
             "' is a molecule model (from a task = \"molecules\" run), not an N-body network: "
             "se3t predict and se3t eval --config MOLECULE_CONFIG take it");
  SE3T_CHECK(archive.try_read("se3t_options", text) && text.isString(), "load_model: '", path,
             "' is not an se3t model file (it holds no se3t_options)");
  SE3Transformer model(SE3TransformerOptions::from_text(text.toStringRef()));
  load_module_as_saved(*model, archive);
  check_parameters_finite(*model, path);
  return model;
}

}  // namespace se3t

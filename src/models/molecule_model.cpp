#include "se3t/models/molecule_model.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "se3t/nn/radial_basis.h"
#include "se3t/util/check.h"
#include "se3t/util/save_archive.h"
#include "se3t/util/tensor_checks.h"
#include "se3t/util/text.h"

namespace se3t {

void MoleculeModelOptions::visit_head(FieldVisitor& v) {
  v.field("pooling", pooling, "per molecule: sum (size-extensive energies), avg or max",
          {"sum", "avg", "max"});
  v.field("out_channels", out_channels, "degree-0 channels of the network output",
          Range::at_least(1));
  v.field("mlp_hidden", mlp_hidden, "hidden width of the MLP after the network",
          Range::at_least(1));
  v.field("radial_basis", radial_basis,
          "Gaussians expanding |x_ij| for the radial MLPs (0: the raw distance; else >= 2)",
          Range::at_least(0));
  v.field("radial_max", radial_max, "range of the Gaussians (Angstrom)", Range::above(0));
  v.field("radial_basis_kind", radial_basis_kind,
          "gaussian (on [0, radial_max]) or bessel (DimeNet's, on [0, cutoff]; needs a cutoff)",
          {"gaussian", "bessel"});
  v.field("smooth_cutoff", smooth_cutoff,
          "messages and attention weights fade out smoothly at the cutoff, so energies and "
          "forces are continuous as atoms cross it (needs a cutoff)");
}

namespace {
// Every setting of the options, in the order of their key = value text.
FieldList all_fields(MoleculeModelOptions& o) {
  return [&o](FieldVisitor& v) {
    o.backbone.visit(v);
    o.visit_head(v);
    v.field("cutoff", o.cutoff, "radius graph cutoff (A); <= 0: fully connected");
  };
}
}  // namespace

void MoleculeModelOptions::validate() const {
  MoleculeModelOptions o = *this;
  check_fields(all_fields(o), "molecule model: ");
  SE3T_CHECK(backbone.type != "linear", "molecule model: type must be se3_transformer or tfn");
  SE3T_CHECK(radial_basis == 0 || radial_basis >= 2,
             "molecule model: radial_basis must be 0 (raw distance) or >= 2, got ", radial_basis);
  SE3T_CHECK(radial_basis_kind != "bessel" || cutoff > 0,
             "molecule model: radial_basis_kind = \"bessel\" lives on [0, cutoff]: set a cutoff");
  SE3T_CHECK(!smooth_cutoff || cutoff > 0,
             "molecule model: smooth_cutoff needs a cutoff (a radius graph) to fade out at");
}

SE3TransformerOptions MoleculeModelOptions::network(int64_t num_elements) const {
  validate();
  SE3T_CHECK(num_elements >= 1, "molecule model: empty element vocabulary");
  // Pooled here, after (avg/max) or before (sum) the MLP, not by the network.
  SE3TransformerOptions o =
      backbone.network(Fiber({{0, num_elements}}), Fiber({{0, out_channels}}), radial_basis);
  if (smooth_cutoff) o.smooth_cutoff = cutoff;
  return o;
}

std::string MoleculeModelOptions::to_text() const {
  MoleculeModelOptions o = *this;
  return to_key_value(all_fields(o));
}

MoleculeModelOptions MoleculeModelOptions::from_text(const std::string& text) {
  const KeyValueText in = KeyValueText::parse(text, "molecule model options");
  // Files written before the backbone's settings were shared say attention = true|false.
  KeyValueText t = KeyValueText::parse("", in.what());
  for (const auto& [key, value] : in.entries()) {
    if (key == "attention") {
      t.put("type", in.boolean(key) ? "se3_transformer" : "tfn");
    } else {
      t.put(key, value);
    }
  }
  // Files written before value_layout existed hold the wide layout.
  if (!in.has("value_layout")) t.put("value_layout", "wide");
  MoleculeModelOptions o;
  from_key_value(t, all_fields(o));
  o.validate();
  return o;
}

MoleculeModelImpl::MoleculeModelImpl(const MoleculeModelOptions& options, const EnergyStats& stats)
    : options_(options), stats_(stats), vocab_(stats.elements) {
  SE3T_CHECK(stats.reference.size() == stats.elements.size() &&
                 vocab_.size() == static_cast<int64_t>(stats.elements.size()),
             "MoleculeModel: statistics need one reference energy per distinct element");
  SE3T_CHECK(std::isfinite(stats.mean) && std::isfinite(stats.std) && stats.std > 0.0,
             "MoleculeModel: statistics need a finite mean and std > 0");
  network_ = register_module("net", SE3Transformer(options.network(vocab_.size())));
  mlp_ = register_module(
      "mlp", torch::nn::Sequential(torch::nn::Linear(options.out_channels, options.mlp_hidden),
                                   torch::nn::SiLU(), torch::nn::Linear(options.mlp_hidden, 1)));
  // The prediction starts at y = 0 (the training mean): a sum over ~20 atoms of O(1) random
  // contributions would start tens of standard deviations away from the targets.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : mlp_[2]->parameters()) p.zero_();
  }
}

at::ScalarType MoleculeModelImpl::dtype() const {
  const auto params = network_->parameters();
  return params.empty() ? at::kFloat : params.front().scalar_type();
}

MoleculeBatch MoleculeModelImpl::batch(const std::vector<Molecule>& molecules,
                                       const std::vector<int64_t>& indices) const {
  return make_molecule_batch(molecules, indices, vocab_, options_.cutoff, dtype());
}

namespace {
// The network's degree-0 output h [N, C] at positions pos (and cells) on the batch's edges.
at::Tensor network_output(SE3Transformer& network, const MoleculeModelOptions& options,
                          const ElementVocabulary& vocab, at::ScalarType t,
                          const MoleculeBatch& batch, const at::Tensor& pos,
                          const at::Tensor& cell) {
  SE3T_CHECK(
      batch.one_hot.defined() && batch.one_hot.dim() == 2 && batch.one_hot.size(1) == vocab.size(),
      "MoleculeModel: batch one-hot has the wrong number of elements (expected ", vocab.size(),
      ")");
  GraphBatch g = batch.graph;
  g.pos = pos;
  if (cell.defined()) {
    g.cell = cell;
  } else if (g.cell.defined()) {
    g.cell = g.cell.to(pos.scalar_type());
  }
  if (options.radial_basis > 0) {
    // From pos itself, so that dE/dx includes the path through the expansion.
    const at::Tensor x = g.relative_positions();
    const at::Tensor d = (x * x).sum(1).clamp_min(1e-12).sqrt();  // atoms never coincide
    g.edge_attr = options.radial_basis_kind == "bessel"
                      ? bessel_radial_basis(d, options.radial_basis, options.cutoff)
                      : gaussian_radial_basis(d, options.radial_basis, options.radial_max);
  }
  Features in;
  in[0] = batch.one_hot.to(t).unsqueeze(2);         // [N, K, 1]
  return network->forward(g, in).at(0).squeeze(2);  // [N, C]
}
}  // namespace

at::Tensor MoleculeModelImpl::atom_outputs_at(const MoleculeBatch& batch, const at::Tensor& pos,
                                              const at::Tensor& cell) {
  SE3T_CHECK(options_.pooling == "sum", "MoleculeModel: per-atom outputs need pooling \"sum\", ",
             "this model pools with \"", options_.pooling, "\"");
  const at::Tensor h = network_output(network_, options_, vocab_, dtype(), batch, pos, cell);
  return mlp_->forward(h).squeeze(1);  // [N]
}

at::Tensor MoleculeModelImpl::forward_at(const MoleculeBatch& batch, const at::Tensor& pos,
                                         const at::Tensor& cell) {
  if (options_.pooling == "sum") {
    // Per-atom contributions, summed per molecule.
    const at::Tensor atom = atom_outputs_at(batch, pos, cell);
    return at::zeros({batch.graph.num_graphs}, atom.options())
        .index_add(0, batch.graph.graph_id, atom);
  }
  const at::Tensor h = network_output(network_, options_, vocab_, dtype(), batch, pos, cell);
  Features pooled = pool_graphs({{0, h.unsqueeze(2)}}, batch.graph.graph_id, batch.graph.num_graphs,
                                parse_pooling(options_.pooling));
  return mlp_->forward(pooled.at(0).squeeze(2)).squeeze(1);
}

at::Tensor MoleculeModelImpl::forward(const MoleculeBatch& batch) {
  return forward_at(batch, batch.graph.pos.to(dtype()));
}

at::Tensor MoleculeModelImpl::energy(const MoleculeBatch& batch) {
  const at::Tensor y = forward(batch).to(at::kDouble);
  const at::Tensor ref = at::tensor(stats_.reference, at::kDouble);
  // Reference and offset in float64: atomization energies are ~1e3 kcal/mol, float32 would
  // round them to ~1e-4 relative.
  return batch.counts.matmul(ref) + stats_.mean + stats_.std * y;
}

EnergyForces MoleculeModelImpl::energy_and_forces(const MoleculeBatch& batch, bool create_graph) {
  const at::Tensor pos = batch.graph.pos.to(dtype()).detach().requires_grad_(true);
  const at::Tensor y = forward_at(batch, pos);
  // dE/dx = std * dy/dx; the reference energies do not depend on positions. Molecules are
  // independent, so the gradient of sum(y) gives every atom's own molecule's derivative.
  const auto grads = torch::autograd::grad({y.sum()}, {pos}, {}, /*retain_graph=*/create_graph,
                                           /*create_graph=*/create_graph);
  const at::Tensor ref = at::tensor(stats_.reference, at::kDouble);
  EnergyForces out;
  const at::Tensor yd = create_graph ? y.to(at::kDouble) : y.detach().to(at::kDouble);
  out.energy = batch.counts.matmul(ref) + stats_.mean + stats_.std * yd;
  out.forces = -stats_.std * grads[0].to(at::kDouble);
  return out;
}

void write_molecule_model(MoleculeModelImpl& model, torch::serialize::OutputArchive& archive) {
  archive.write("se3t_molecule_options", c10::IValue(model.options().to_text()));
  archive.write("se3t_energy_stats", c10::IValue(model.stats().to_text()));
  model.save(archive);
}

void save_molecule_model(MoleculeModelImpl& model, const std::string& path) {
  torch::serialize::OutputArchive archive;
  write_molecule_model(model, archive);
  save_archive_atomic(archive, path, "model");
}

MoleculeModel load_molecule_model(const std::string& path) {
  SE3T_CHECK(std::filesystem::is_regular_file(path), "checkpoint '", path, "' does not exist");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    SE3T_CHECK(false, "cannot read checkpoint '", path, "': ", e.what_without_backtrace());
  }
  c10::IValue options, stats;
  SE3T_CHECK(!archive.try_read("se3t_options", options), "'", path,
             "' is an N-body network (from a task = \"nbody\" run), not a molecule model: "
             "se3t eval --checkpoint FILE --data NBODY_DIR takes it");
  SE3T_CHECK(archive.try_read("se3t_molecule_options", options) && options.isString() &&
                 archive.try_read("se3t_energy_stats", stats) && stats.isString(),
             "'", path,
             "' is not a molecule model checkpoint (from se3t train with task = "
             "\"molecules\")");
  MoleculeModel model(MoleculeModelOptions::from_text(options.toStringRef()),
                      EnergyStats::from_text(stats.toStringRef()));
  load_module_as_saved(*model, archive);
  check_parameters_finite(*model, path);
  return model;
}

}  // namespace se3t

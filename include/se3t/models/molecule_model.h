// Molecular property model: element one-hot -> degree-0 input features, an
// SE(3)-Transformer (or TFN) with hidden degrees 0..d and a degree-0 output, pooled per
// molecule, then a small MLP. The prediction is invariant under rotations and translations.
//
// Pooling "sum" applies the MLP to every atom and sums the atomic contributions (size
// extensive, and E a smooth sum of per-atom terms, so forces F = -dE/dx are well defined);
// "avg" and "max" pool the network's output first and apply the MLP to the pooled vector (the
// paper's choice for intensive QM9 properties such as HOMO).
//
// Energies in data units: E = sum_el n_el e_el + mean + std * y, with y the network output and
// the reference energies e_el and the statistics (EnergyStats) fitted on the training split and
// stored with the model, so a checkpoint alone reproduces the predictions.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/serialize/archive.h>

#include <string>

#include "se3t/data/molecule_dataset.h"
#include "se3t/models/backbone_options.h"
#include "se3t/models/se3_transformer.h"

namespace se3t {

struct MoleculeModelOptions {
  // The network; molecules default to hidden degrees 0-1 and 4 heads.
  BackboneOptions backbone = [] {
    BackboneOptions b;
    b.num_degrees = 2;
    b.num_heads = 4;
    return b;
  }();
  std::string pooling = "sum";  // "sum" | "avg" | "max"
  int64_t out_channels = 16;    // degree-0 channels of the network output
  int64_t mlp_hidden = 32;      // hidden width of the MLP after (or before, "sum") pooling
  // > 0: the radial MLPs also see |x_ij| expanded in this many Gaussians on [0, radial_max]
  // (se3t/nn/radial_basis.h); 0: the raw distance alone (the paper's input).
  int64_t radial_basis = 0;
  double radial_max = 6.0;  // Angstrom
  // "gaussian" on [0, radial_max], or "bessel" on [0, cutoff] (DimeNet's, with the envelope).
  std::string radial_basis_kind = "gaussian";
  // Messages and attention weights fade out smoothly at the cutoff (se3t/nn/cutoff_envelope.h),
  // so energies and forces stay continuous as atoms cross it; needs a cutoff.
  bool smooth_cutoff = false;
  double cutoff = 0.0;  // <= 0: fully connected per molecule; else radius graph (A)

  // The settings after the backbone's in a config's [model] section (cutoff is [data]'s).
  void visit_head(FieldVisitor& v);
  void validate() const;
  // The network's options for a vocabulary of `num_elements` elements.
  SE3TransformerOptions network(int64_t num_elements) const;
  // key = value text (se3t/util/fields.h), and back; older files (an "attention" flag instead
  // of "type") still read.
  std::string to_text() const;
  static MoleculeModelOptions from_text(const std::string& text);
};

struct EnergyForces {
  at::Tensor energy;  // [G] float64, data units
  at::Tensor forces;  // [N, 3] float64, -dE/dx (differentiable when create_graph)
};

class MoleculeModelImpl : public torch::nn::Module {
 public:
  MoleculeModelImpl(const MoleculeModelOptions& options, const EnergyStats& stats);

  // The standardised prediction y [G] in the module's dtype (differentiable).
  at::Tensor forward(const MoleculeBatch& batch);
  // E in data units, [G] float64.
  at::Tensor energy(const MoleculeBatch& batch);
  // E and F = -dE/dx by autograd. create_graph = true keeps the graph of the gradient, so a
  // loss on F can be back-propagated to the parameters (training); false for evaluation.
  EnergyForces energy_and_forces(const MoleculeBatch& batch, bool create_graph);

  const MoleculeModelOptions& options() const { return options_; }
  const EnergyStats& stats() const { return stats_; }
  const ElementVocabulary& vocabulary() const { return vocab_; }
  at::ScalarType dtype() const;
  // Batches built the way this model was trained (its vocabulary, cutoff and dtype).
  MoleculeBatch batch(const std::vector<Molecule>& molecules,
                      const std::vector<int64_t>& indices) const;

  SE3Transformer& network() { return network_; }

  // y as forward() at other positions [N, 3] (and, for a periodic batch, cells [G, 3, 3]) in
  // the module's dtype, on the batch's edges: what forces and stress differentiate.
  at::Tensor forward_at(const MoleculeBatch& batch, const at::Tensor& pos,
                        const at::Tensor& cell = at::Tensor());
  // The per-atom terms y_i [N] of pooling "sum" (y of a molecule is the sum of its atoms'),
  // as forward_at computes them; differentiable in pos. Atom i's energy is then
  // e_el(i) + std * y_i, and the per-structure mean is the only term that is not atomic.
  // Throws se3t::Error for "avg" and "max" pooling, which have no per-atom terms.
  at::Tensor atom_outputs_at(const MoleculeBatch& batch, const at::Tensor& pos,
                             const at::Tensor& cell = at::Tensor());

 private:
  MoleculeModelOptions options_;
  EnergyStats stats_;
  ElementVocabulary vocab_;
  SE3Transformer network_{nullptr};
  torch::nn::Sequential mlp_{nullptr};
};
TORCH_MODULE(MoleculeModel);

// Model files: options, statistics and parameters (temp file + rename). A training checkpoint
// holds the same entries plus the training state, so load_molecule_model reads either.
void write_molecule_model(MoleculeModelImpl& model, torch::serialize::OutputArchive& archive);
void save_molecule_model(MoleculeModelImpl& model, const std::string& path);
MoleculeModel load_molecule_model(const std::string& path);

}  // namespace se3t

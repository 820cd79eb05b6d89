// Molecular data sets for invariant regression (energies) and energy + force training:
// molecules in memory, the element vocabulary behind the one-hot node features,
// seeded random splits, per-element reference energies, target standardisation, and batching
// into a GraphBatch (fully connected per molecule, or a radius cutoff).
#pragma once
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "se3t/data/extxyz.h"
#include "se3t/graph/graph_batch.h"

namespace se3t {

struct Molecule {
  std::vector<int> numbers;                      // atomic numbers
  std::vector<std::array<double, 3>> positions;  // Angstrom
  double energy = 0.0;                           // the target (NaN when the file has none)
  std::vector<std::array<double, 3>> forces;     // empty when absent
  std::string name;                              // the frame's `name` info, or "#<index>"
  std::optional<Cell> cell;                      // rows a, b, c (Frame::cell)
  std::array<bool, 3> pbc{false, false, false};  // periodic along a, b, c (Frame::pbc)
  // Voigt (xx, yy, zz, yz, xz, xy), ASE's sign (se3t/models/stress.h), energy unit / A^3.
  std::optional<std::array<double, 6>> stress;

  int64_t size() const { return static_cast<int64_t>(numbers.size()); }
  bool has_forces() const { return !forces.empty(); }
  bool periodic() const { return cell.has_value() && (pbc[0] || pbc[1] || pbc[2]); }
};

// Molecules from frames: energy from info[energy_key] (required unless energy_key is empty),
// forces from the frames' forces column when present, the cell and pbc, and the stress from
// info["stress"] as ASE writes it (9 values of the symmetric 3x3 matrix, or 6 in Voigt order;
// only on periodic frames). `source` names the data in errors.
std::vector<Molecule> molecules_from_frames(const std::vector<Frame>& frames,
                                            const std::string& energy_key,
                                            const std::string& source);
// An extended XYZ file (throws for a missing or empty file).
std::vector<Molecule> load_molecules(const std::string& path, const std::string& energy_key);
// A directory of raw QM9 files dsgdb9nsd_*.xyz (sorted by name); `property` is one of
// kQm9PropertyNames (e.g. "homo", Hartree).
std::vector<Molecule> load_qm9_directory(const std::string& dir, const std::string& property);

// The one-hot vocabulary: sorted distinct atomic numbers seen in training.
class ElementVocabulary {
 public:
  ElementVocabulary() = default;
  explicit ElementVocabulary(std::vector<int> numbers);  // sorted and deduplicated
  static ElementVocabulary of(const std::vector<Molecule>& molecules);

  int64_t size() const { return static_cast<int64_t>(numbers_.size()); }
  const std::vector<int>& numbers() const { return numbers_; }
  // Column of an atomic number; throws se3t::Error naming the element for one not seen in
  // training (the model has no input for it).
  int64_t index(int atomic_number) const;
  // Throws for the first atom of `molecules` whose element is not in the vocabulary.
  void check_known(const std::vector<Molecule>& molecules, const std::string& source) const;

 private:
  std::vector<int> numbers_;
};

// Index lists of a seeded random split of n items into consecutive parts of the given sizes
// (a permutation from mt19937_64(seed), Fisher-Yates). sizes must sum to at most n.
std::vector<std::vector<int64_t>> random_split(int64_t n, const std::vector<int64_t>& sizes,
                                               uint64_t seed);

// Target statistics saved with a model: E = sum_el n_el e_el + mean + std * y, where y is what
// the network predicts (the standardised residual).
struct EnergyStats {
  std::vector<int> elements;      // the vocabulary's atomic numbers
  std::vector<double> reference;  // e_el per element (same order)
  double mean = 0.0, std = 1.0;   // of the residual E - sum n_el e_el over the training split

  // sum_el n_el e_el of one molecule.
  double reference_energy(const Molecule& m) const;
  double standardise(const Molecule& m, double energy) const;
  double destandardise(const Molecule& m, double y) const;
  std::string to_text() const;
  static EnergyStats from_text(const std::string& text);
};

// Least-squares per-element energies e minimising sum_m (E_m - sum_el n_{m,el} e_el)^2 over
// `indices` (float64, minimum-norm solution when an element's count is collinear with
// others), then the mean and standard deviation of the residuals. fit_reference = false
// keeps e = 0 (standardisation of E itself).
EnergyStats fit_energy_stats(const std::vector<Molecule>& molecules,
                             const std::vector<int64_t>& indices, const ElementVocabulary& vocab,
                             bool fit_reference = true);

// The targets of molecules[indices], atoms in batch order: what metrics compare predictions
// with, without building a graph.
struct MoleculeTargets {
  at::Tensor energy;  // [G] float64
  at::Tensor forces;  // [N, 3] float64, undefined when any molecule lacks forces
  at::Tensor stress;  // [G, 6] float64 Voigt, undefined when any molecule lacks a stress
  int64_t num_atoms = 0;
};
// Throws se3t::Error for an empty list or an index out of range.
MoleculeTargets molecule_targets(const std::vector<Molecule>& molecules,
                                 const std::vector<int64_t>& indices);

// A batch ready for the model.
struct MoleculeBatch {
  GraphBatch graph;              // pos [N, 3] in the requested dtype, graph_id, edges
  at::Tensor one_hot;            // [N, K] in the requested dtype
  at::Tensor counts;             // [G, K] float64 element counts per molecule
  at::Tensor energy;             // [G] float64 target energies
  at::Tensor forces;             // [N, 3] float64, undefined when any molecule lacks forces
  at::Tensor stress;             // [G, 6] float64 Voigt, undefined when any lacks a stress
  std::vector<int64_t> indices;  // which molecules, in order
};

// cutoff <= 0: fully connected per molecule; else radius graph with |x_ij| < cutoff. A batch
// holding a periodic molecule is a periodic graph (periodic_radius_graph: every image within
// the cutoff; the others get a zero cell) and needs cutoff > 0. Molecules are centred before
// the cast to dtype, periodic ones are not (their images follow from the cell).
MoleculeBatch make_molecule_batch(const std::vector<Molecule>& molecules,
                                  const std::vector<int64_t>& indices,
                                  const ElementVocabulary& vocab, double cutoff,
                                  at::ScalarType dtype);

}  // namespace se3t

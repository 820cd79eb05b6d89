// Shared helpers for the molecule tests: random small molecules and small models built on them.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "se3t/data/molecule_dataset.h"
#include "se3t/models/molecule_model.h"

namespace se3t::testing {

// Random small molecules (H, C, O; 3 to 6 atoms) with energies about -10 per atom.
std::vector<Molecule> random_molecules(int count, uint64_t seed);

// A small model: 2 layers, hidden degrees 0-1, 4 channels.
MoleculeModelOptions small_options(bool attention, const std::string& pooling,
                                   int64_t radial_basis = 0);

// A model with statistics fitted on `mols`, parameters drawn from `seed`, and a random (not
// zero) last layer so that energies and forces are not trivially constant.
MoleculeModel make_model(const std::vector<Molecule>& mols, const MoleculeModelOptions& o,
                         at::ScalarType dtype = at::kDouble, uint64_t seed = 3);

// Writes `count` random molecules to an extended XYZ file, with energies from a pair potential
// (learnable, unlike noise): -10 per atom plus exp(-r) per pair; with `forces`, also the
// potential's forces -dE/dx.
void write_pair_potential_molecules(const std::string& path, int count, uint64_t seed,
                                    bool forces = false);

// 0, 1, ..., mols.size() - 1.
std::vector<int64_t> all_of(const std::vector<Molecule>& mols);

}  // namespace se3t::testing

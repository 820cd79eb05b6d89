// MoleculeModel::atom_outputs_at: the per-atom terms y_i of pooling "sum", which the KIM driver
// turns into per-atom energies. They sum to forward() per molecule, are local (an atom's term
// depends only on atoms within (num_layers + 1) cutoffs), and other poolings have none.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "common/expect_error.h"
#include "common/molecule_testing.h"
#include "common/testing.h"

namespace se3t {
namespace {

MoleculeModel local_model(double cutoff) {
  MoleculeModelOptions o = testing::small_options(/*attention=*/true, "sum");
  o.cutoff = cutoff;
  o.smooth_cutoff = true;
  return testing::make_model(testing::random_molecules(8, 5), o);
}

TEST(AtomOutputs, SumToTheMoleculeOutput) {
  const auto mols = testing::random_molecules(4, 11);
  MoleculeModel model = local_model(2.5);
  const MoleculeBatch b = model->batch(mols, testing::all_of(mols));
  const at::Tensor atoms = model->atom_outputs_at(b, b.graph.pos.to(model->dtype()));
  ASSERT_EQ(atoms.size(0), b.graph.pos.size(0));
  const at::Tensor summed =
      at::zeros({b.graph.num_graphs}, atoms.options()).index_add(0, b.graph.graph_id, atoms);
  EXPECT_LT(testing::relative_error(summed, model->forward(b)), 1e-13);
}

// Two copies of a molecule, one shifted far along x: each atom's term in the pair equals its
// term alone; with the copies closer than (num_layers + 1) cutoffs the nearest atoms' terms
// change.
TEST(AtomOutputs, AreLocal) {
  const double cutoff = 2.0;
  MoleculeModel model = local_model(cutoff);
  Molecule one = testing::random_molecules(1, 21)[0];
  auto outputs = [&](const Molecule& m) {
    const MoleculeBatch b = model->batch({m}, {0});
    return model->atom_outputs_at(b, b.graph.pos.to(model->dtype())).detach();
  };
  auto pair_at = [&](double shift) {
    Molecule two = one;
    for (size_t i = 0; i < one.positions.size(); ++i) {
      two.numbers.push_back(one.numbers[i]);
      two.positions.push_back(
          {one.positions[i][0] + shift, one.positions[i][1], one.positions[i][2]});
    }
    return two;
  };
  const at::Tensor alone = outputs(one);
  const int64_t n = one.size();
  const at::Tensor far = outputs(pair_at(50.0));
  EXPECT_LT(testing::max_abs_diff(far.slice(0, 0, n), alone), 1e-13);
  EXPECT_LT(testing::max_abs_diff(far.slice(0, n, 2 * n), alone), 1e-13);
  // Shifted by half a cutoff, every atom has its copy as a new neighbour.
  const at::Tensor near = outputs(pair_at(0.5 * cutoff));
  EXPECT_GT(testing::max_abs_diff(near.slice(0, 0, n), alone), 1e-8);
}

TEST(AtomOutputs, NeedSumPooling) {
  const auto mols = testing::random_molecules(2, 3);
  MoleculeModel model =
      testing::make_model(mols, testing::small_options(/*attention=*/false, "avg"));
  const MoleculeBatch b = model->batch(mols, testing::all_of(mols));
  testing::expect_error([&] { model->atom_outputs_at(b, b.graph.pos.to(model->dtype())); },
                        {"per-atom outputs need pooling \"sum\"", "avg"});
}

}  // namespace
}  // namespace se3t

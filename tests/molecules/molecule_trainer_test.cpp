// Molecule training end to end, on a small file the test writes (the loop itself is tested on
// every task in tests/train/fit_test.cpp): the reported test metrics are those se3t eval
// computes from best_model.pt on the config's split; two seeds make an ensemble whose spread is
// not zero; resuming another model is refused; a config that cannot train is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/temp_dir.h"
#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/models/molecule_ensemble.h"
#include "se3t/tasks/molecule_task.h"
#include "se3t/train/fit.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

MoleculeConfig small_config(const TempDir& dir) {
  return testing::tiny_molecule_config(dir.str(), dir / "run");
}

FitResult train(const MoleculeConfig& c, FitOptions o = testing::quiet()) {
  MoleculeTask task(c);
  return fit(task, o);
}

TEST(MoleculeTrainer, ReportsWhatEvalComputesForTheBestModel) {
  const TempDir dir("molecule_trainer");
  const MoleculeConfig c = small_config(dir);
  const FitResult r = train(c);
  EXPECT_EQ(r.steps, 3 * 4);  // 14 molecules in batches of 4
  ASSERT_EQ(r.test.count, 5);
  // se3t eval --config: the ensemble path over best_model.pt on the config's test split.
  const MoleculeSplits splits = load_molecule_splits(c.data);
  const MoleculeEnsemble best = load_molecule_ensemble({dir / "run/best_model.pt"});
  const MoleculeMetrics m = evaluate_molecules(best, splits.test, false, 2);
  EXPECT_NEAR(m.energy_mae, r.test.values[0], 1e-9);
  EXPECT_NE(r.test.json.find("\"energy_rmse\": "), std::string::npos);
  EXPECT_NE(testing::read_text(dir / "run/test_metrics.json").find("\"energy_mae\""),
            std::string::npos);
  // checkpoint.pt is a molecule model file too.
  EXPECT_NO_THROW(load_molecule_model(dir / "run/checkpoint.pt"));
}

TEST(MoleculeTrainer, TwoSeedsMakeAnEnsemble) {
  const TempDir dir("molecule_trainer_seed");
  MoleculeConfig c = small_config(dir);
  c.train.epochs = 1;
  c.train.out_dir = dir / "zero";
  train(c);
  FitOptions o = testing::quiet();
  o.seed = 7;
  o.out_dir = dir / "seven";
  train(c, o);
  const MoleculeEnsemble e =
      load_molecule_ensemble({dir / "zero/checkpoint.pt", dir / "seven/checkpoint.pt"});
  const MoleculeMetrics m = evaluate_molecules(e, load_molecule_splits(c.data).test, false);
  EXPECT_GT(m.energy_std, 0.0);
}

TEST(MoleculeTrainer, RefusesAnotherModelOrNothingToTrain) {
  const TempDir dir("molecule_trainer_refuse");
  MoleculeConfig c = small_config(dir);
  c.train.epochs = 1;
  train(c);
  FitOptions resume = testing::quiet();
  resume.resume = true;
  MoleculeConfig other = c;
  other.head.mlp_hidden = 4;
  EXPECT_THROW(train(other, resume), Error);
  MoleculeConfig nothing = c;
  nothing.loss.energy_weight = 0.0;
  nothing.train.out_dir = dir / "nothing";
  try {
    train(nothing);
    ADD_FAILURE() << "trained with both weights 0";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nothing to train"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "nothing/checkpoint.pt"));
}

}  // namespace
}  // namespace se3t

// Molecule training end to end, on a small file the test writes: the run's files are written
// and its reported test metrics are those of its best_model.pt on the config's split; a --seed
// override is the config's seed; an interrupted run resumes bit-exactly; two seeds make an
// ensemble whose spread is not zero.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/temp_dir.h"
#include "common/testing.h"
#include "molecule_testing.h"
#include "se3t/data/elements.h"
#include "se3t/data/extxyz.h"
#include "se3t/models/molecule_ensemble.h"
#include "se3t/train/molecule_trainer.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// 24 random molecules whose energies follow a pair potential (learnable, unlike noise).
MoleculeConfig small_config(const TempDir& dir) {
  std::vector<Frame> frames;
  for (const Molecule& m : testing::random_molecules(24, 31)) {
    Frame f;
    double e = -10.0 * static_cast<double>(m.size());
    for (int64_t i = 0; i < m.size(); ++i) {
      f.species.push_back(element_symbol(m.numbers[i]));
      for (int64_t j = 0; j < i; ++j) {
        double d2 = 0.0;
        for (int k = 0; k < 3; ++k) d2 += std::pow(m.positions[i][k] - m.positions[j][k], 2);
        e += std::exp(-std::sqrt(d2));
      }
    }
    f.positions = m.positions;
    f.info["energy"] = detail::format_real(e);
    frames.push_back(f);
  }
  write_extxyz(dir / "molecules.extxyz", frames);
  MoleculeConfig c;
  c.data.file = dir / "molecules.extxyz";
  c.data.num_train = 14;
  c.data.num_valid = 5;
  c.data.num_test = 5;
  c.data.split_seed = 1;
  c.model.num_layers = 1;
  c.model.num_degrees = 2;
  c.model.num_channels = 4;
  c.model.num_heads = 2;
  c.model.channels_div = 1;
  c.model.radial_hidden = 8;
  c.model.out_channels = 4;
  c.model.mlp_hidden = 8;
  c.model.radial_basis = 4;
  c.model.radial_max = 4.0;
  c.train.epochs = 3;
  c.train.batch_size = 4;
  c.train.lr = 5e-3;
  c.train.threads = 1;
  c.train.out_dir = dir / "run";
  return c;
}

TrainOverrides quiet() {
  TrainOverrides o;
  o.verbose = false;
  return o;
}

// Whether two model files hold bit-identical parameters.
bool same_parameters(const std::string& a, const std::string& b) {
  const MoleculeModel ma = load_molecule_model(a), mb = load_molecule_model(b);
  const auto pa = ma->named_parameters(), pb = mb->named_parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (pa[i].key() != pb[i].key() || !at::equal(pa[i].value(), pb[i].value())) return false;
  }
  return true;
}

TEST(MoleculeTrainer, WritesItsFilesAndReportsBestModelMetrics) {
  const TempDir dir("molecule_trainer");
  const MoleculeConfig c = small_config(dir);
  const MoleculeTrainResult r = train_molecules(c, quiet());
  EXPECT_FALSE(r.interrupted);
  ASSERT_EQ(r.history.size(), 3u);
  EXPECT_EQ(r.steps, 3 * 4);  // 14 molecules in batches of 4
  for (const char* f : {"checkpoint.pt", "best_model.pt", "config.toml", "metrics.csv",
                        "metrics.jsonl", "learning_curve.svg", "test_metrics.json"}) {
    EXPECT_TRUE(fs::exists(dir / ("run/" + std::string(f)))) << f;
  }
  for (const MoleculeEpoch& e : r.history) {
    EXPECT_TRUE(std::isfinite(e.train_loss));
    EXPECT_TRUE(std::isfinite(e.valid_energy_mae));
  }
  EXPECT_NO_THROW(
      MoleculeConfig::parse(testing::read_text(dir / "run/config.toml"), "config.toml"));
  // The reported test metrics are best_model.pt's on the config's test split (what se3t eval
  // --config computes).
  ASSERT_EQ(r.test.num_molecules, 5);
  const MoleculeSplits splits = load_molecule_splits(c.data);
  const MoleculeEnsemble best = load_molecule_ensemble({dir / "run/best_model.pt"});
  const MoleculeMetrics m = evaluate_molecules(best, splits.test, false, 2);
  EXPECT_NEAR(m.energy_mae, r.test.energy_mae, 1e-9);
  EXPECT_NEAR(m.energy_rmse, r.test.energy_rmse, 1e-9);
  EXPECT_NE(testing::read_text(dir / "run/test_metrics.json").find("\"energy_mae\""),
            std::string::npos);
}

TEST(MoleculeTrainer, SeedOverrideIsTheConfigSeed) {
  const TempDir dir("molecule_trainer_seed");
  MoleculeConfig c = small_config(dir);
  c.train.epochs = 1;
  MoleculeConfig seven = c;
  seven.train.seed = 7;
  seven.train.out_dir = dir / "seven";
  train_molecules(seven, quiet());
  TrainOverrides o = quiet();
  o.seed = 7;
  o.out_dir = dir / "override";
  train_molecules(c, o);
  c.train.out_dir = dir / "zero";
  train_molecules(c, quiet());
  EXPECT_TRUE(same_parameters(dir / "seven/checkpoint.pt", dir / "override/checkpoint.pt"));
  EXPECT_FALSE(same_parameters(dir / "zero/checkpoint.pt", dir / "override/checkpoint.pt"));
  EXPECT_NE(testing::read_text(dir / "override/config.toml").find("seed = 7"), std::string::npos);
  // Two seeds of one config are an ensemble of different members.
  const MoleculeEnsemble e =
      load_molecule_ensemble({dir / "zero/checkpoint.pt", dir / "seven/checkpoint.pt"});
  const MoleculeMetrics m = evaluate_molecules(e, load_molecule_splits(c.data).test, false);
  EXPECT_GT(m.energy_std, 0.0);
}

TEST(MoleculeTrainer, ResumeIsBitExact) {
  const TempDir dir("molecule_trainer_resume");
  MoleculeConfig c = small_config(dir);
  c.train.out_dir = dir / "full";
  train_molecules(c, quiet());
  // Stopped mid-epoch (step 6 of 12), then resumed.
  c.train.out_dir = dir / "parts";
  TrainOverrides o = quiet();
  o.stop_after_steps = 6;
  EXPECT_TRUE(train_molecules(c, o).interrupted);
  o.stop_after_steps = -1;
  o.resume = true;
  const MoleculeTrainResult r = train_molecules(c, o);
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.history.size(), 3u);
  EXPECT_TRUE(same_parameters(dir / "full/checkpoint.pt", dir / "parts/checkpoint.pt"));
  // Resuming with another model is refused.
  MoleculeConfig other = c;
  other.model.num_channels = 2;
  EXPECT_THROW(train_molecules(other, o), Error);
}

}  // namespace
}  // namespace se3t

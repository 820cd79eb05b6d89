// Molecule configs: shipped files parse, errors name the key, the task key dispatches.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/testing.h"
#include "se3t/tasks/molecule_task.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/tasks/registry.h"
#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {
namespace {

std::string error_of(const std::string& text) {
  try {
    (void)MoleculeConfig::parse(text, "t.toml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(MoleculeConfig, ShippedConfigsParseAndRoundTrip) {
  for (const char* name : {"qm7_energy.toml", "amons_forces.toml", "qm9_homo.toml"}) {
    const std::string path = testing::source_dir() + "/configs/" + name;
    EXPECT_EQ(config_task(read_text(path), path), "molecules") << name;
    const MoleculeConfig c = MoleculeConfig::load(path);
    EXPECT_EQ(MoleculeConfig::parse(c.to_toml(), "again").to_toml(), c.to_toml()) << name;
  }
  const MoleculeConfig qm7 =
      MoleculeConfig::load(testing::source_dir() + "/configs/qm7_energy.toml");
  EXPECT_EQ(qm7.data.num_train, 5000);
  EXPECT_EQ(qm7.data.num_valid, 1000);
  EXPECT_EQ(qm7.data.num_test, 1101);
  const MoleculeConfig qm9 = MoleculeConfig::load(testing::source_dir() + "/configs/qm9_homo.toml");
  EXPECT_EQ(qm9.model.num_layers, 7);
  EXPECT_EQ(qm9.model.num_degrees, 4);
  EXPECT_EQ(qm9.model.num_channels, 32);
  EXPECT_EQ(qm9.model.num_heads, 8);
  EXPECT_EQ(qm9.head.pooling, "max");
  // The N-body configs keep working: no task key means nbody.
  for (const char* name : {"nbody_quick.toml", "nbody_paper_cpu.toml", "nbody_egnn.toml"}) {
    const std::string path = testing::source_dir() + "/configs/" + name;
    EXPECT_EQ(config_task(read_text(path), path), "nbody") << name;
    EXPECT_EQ(load_task(path)->config().task(), "nbody") << name;
  }
}

TEST(MoleculeConfig, ErrorsNameTheKey) {
  EXPECT_NE(error_of("task = \"molecules\"\n[train]\nlos = \"l1\"\n").find("[train].los"),
            std::string::npos);
  EXPECT_NE(error_of("[train]\nloss = \"huber\"\n").find("[train].loss"), std::string::npos);
  EXPECT_NE(error_of("[model]\npooling = \"median\"\n").find("[model].pooling"), std::string::npos);
  EXPECT_NE(error_of("[data]\nnum_train = \"many\"\n").find("[data].num_train must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of("[train]\nforce_weight = -1\n").find("[train].force_weight"),
            std::string::npos);
  EXPECT_NE(error_of("[train]\nstress_weight = -1\n").find("[train].stress_weight"),
            std::string::npos);
  // Stress needs periodic frames, and those a radius graph.
  EXPECT_NE(error_of("[train]\nstress_weight = 1\n").find("[data].cutoff > 0"), std::string::npos);
  EXPECT_EQ(error_of("[data]\ncutoff = 4.0\n[train]\nstress_weight = 1\n"), "");
  EXPECT_NE(error_of("[model]\nnum_channels = 6\nnum_heads = 4\n").find("[model].num_heads"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nradial_basis = 1\n").find("[model].radial_basis"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nradial_max = 0\n").find("[model].radial_max"), std::string::npos);
  EXPECT_NE(
      error_of("[data]\ntrain_file = \"a.xyz\"\ntrain_every = 0\n").find("[data].train_every"),
      std::string::npos);
  EXPECT_NE(error_of("[data]\ntrain_every = 2\n").find("[data].train_every needs train_file"),
            std::string::npos);
  EXPECT_NE(error_of("[extra]\n").find("unknown table [extra]"), std::string::npos);
  EXPECT_NE(error_of("task = \"nbody\"\n").find("task"), std::string::npos);
  EXPECT_EQ(error_of("task = \"molecules\"\n"), "");
}

// train_every keeps frames 0, n, 2n, ... of the training file, and only of it.
TEST(MoleculeConfig, TrainEveryThinsTheTrainingFileOnly) {
  MoleculeDataConfig c;
  const std::string dir = std::string(SE3T_SOURCE_DIR) + "/data/xtb/aspirin/";
  c.train_file = dir + "train.extxyz.gz";
  c.valid_file = dir + "valid.extxyz.gz";
  const MoleculeSplits all = load_molecule_splits(c);
  c.train_every = 4;
  const MoleculeSplits thinned = load_molecule_splits(c);
  ASSERT_EQ(all.train.size(), 1000u);
  ASSERT_EQ(thinned.train.size(), 250u);
  for (size_t i = 0; i < thinned.train.size(); ++i) {
    EXPECT_EQ(thinned.train[i].energy, all.train[4 * i].energy) << i;
    EXPECT_EQ(thinned.train[i].positions, all.train[4 * i].positions) << i;
    EXPECT_EQ(thinned.train[i].name, all.train[4 * i].name) << i;
  }
  EXPECT_EQ(thinned.valid.size(), all.valid.size());
  c.train_every = 3;  // 1000 = 3 * 333 + 1: frames 0 .. 999 step 3
  EXPECT_EQ(load_molecule_splits(c).train.size(), 334u);
}

TEST(MoleculeConfig, TaskDispatch) {
  const std::string bad = write_temp("se3t_task_bad.toml", "task = \"proteins\"\n");
  try {
    load_task(bad);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"molecules\""), std::string::npos) << e.what();
  }
  const std::string nb =
      write_temp("se3t_task_nbody.toml", "task = \"nbody\"\n[train]\nepochs = 3\n");
  const std::unique_ptr<Task> t = load_task(nb);
  EXPECT_EQ(t->config().task(), "nbody");
  EXPECT_EQ(t->config().train.epochs, 3);
  // Molecule defaults differ from N-body's where the tasks need it.
  const std::string mol =
      write_temp("se3t_task_mol.toml", "task = \"molecules\"\n[train]\nepochs = 3\n");
  EXPECT_EQ(load_task(mol)->config().model.num_degrees, 2);
  EXPECT_EQ(load_task(nb)->config().model.num_degrees, 4);
  std::remove(mol.c_str());
  std::remove(bad.c_str());
  std::remove(nb.c_str());
}

}  // namespace
}  // namespace se3t

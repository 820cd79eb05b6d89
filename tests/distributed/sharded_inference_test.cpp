// se3t eval and se3t predict with --nproc 2 (two processes on localhost, started and stopped by
// the command under test): the batches are shared, every batch's numbers gathered bit for bit
// (se3t/distributed/shared_batches.h), so the metrics and the written frames equal those of one
// process exactly; a bad input still fails cleanly with two ranks.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/molecule_testing.h"
#include "common/run_command.h"
#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/util/atomic_file.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::run_command;
using testing::se3t_program;
using testing::TempDir;

// `se3t ARGS... --threads 1 [--nproc N]`, required to succeed.
CommandResult se3t(std::vector<std::string> args, int nproc) {
  args.insert(args.begin(), se3t_program());
  args.insert(args.end(), {"--threads", "1"});
  if (nproc > 0) args.insert(args.end(), {"--nproc", std::to_string(nproc)});
  CommandResult r = run_command(args, 120);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r;
}

// The JSON summary with the process count it names removed (the rest must agree).
std::string without_processes(const std::string& json, int nproc) {
  const std::string key = ", \"processes\": " + std::to_string(nproc);
  const size_t at = json.find(key);
  EXPECT_NE(at, std::string::npos) << json;
  return at == std::string::npos ? json : json.substr(0, at) + json.substr(at + key.size());
}

// Two molecule models (seeds 0 and 1, one epoch) of the tiny config, trained on energies and
// forces; returns the config's path.
std::string train_molecule_models(const TempDir& dir) {
  testing::write_pair_potential_molecules(dir / "molecules.extxyz", 24, 31, /*forces=*/true);
  MoleculeConfig c = testing::tiny_molecule_config(dir.str(), dir / "run0");
  c.loss.force_weight = 1.0;
  c.train.epochs = 1;
  write_file_atomic(dir / "molecules.toml", c.to_toml());
  for (const char* seed : {"0", "1"}) {
    const CommandResult r =
        run_command({se3t_program(), "train", dir / "molecules.toml", "--quiet", "--seed", seed,
                     "--out", dir / (std::string("run") + seed)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  return dir / "molecules.toml";
}

TEST(ShardedInference, MoleculeEvalAndPredictWithTwoProcessesEqualOne) {
  TempDir dir("sharded_molecules");
  const std::string config = train_molecule_models(dir);
  const std::vector<std::string> models = {"--checkpoint", dir / "run0/checkpoint.pt",
                                           "--checkpoint", dir / "run1/checkpoint.pt"};
  // 14 training molecules in batches of 3: 5 batches, shared unevenly by the two ranks.
  std::vector<std::string> eval = {"eval",  "--config",     config, "--split",
                                   "train", "--batch-size", "3"};
  eval.insert(eval.end(), models.begin(), models.end());
  const CommandResult e1 = se3t(eval, 0), e2 = se3t(eval, 2);
  EXPECT_NE(e1.out.find("\"force_mae\": "), std::string::npos) << e1.out;
  EXPECT_NE(e1.out.find("\"energy_std\": "), std::string::npos) << e1.out;
  EXPECT_EQ(without_processes(e2.out, 2), without_processes(e1.out, 1));

  // 24 frames in batches of 5; the second run also replaces the first's output.
  std::vector<std::string> predict = {"predict",  "--data",       dir / "molecules.extxyz",
                                      "--forces", "--batch-size", "5"};
  predict.insert(predict.end(), models.begin(), models.end());
  const auto run_predict = [&](const std::string& out, int nproc) {
    std::vector<std::string> args = predict;
    args.insert(args.end(), {"--out", out});
    return se3t(args, nproc);
  };
  const CommandResult p1 = run_predict(dir / "one.extxyz", 0);
  const CommandResult p2 = run_predict(dir / "two.extxyz", 2);
  EXPECT_EQ(without_processes(p2.out, 2),
            without_processes(p1.out, 1).replace(p1.out.find("one.extxyz"), 10, "two.extxyz"));
  const std::string one = testing::read_text(dir / "one.extxyz");
  const std::string two = testing::read_text(dir / "two.extxyz");
  EXPECT_EQ(two, one);  // byte for byte, frames in input order
  EXPECT_NE(one.find("energy_std="), std::string::npos);
  // Input order: the frames' reference energies appear as in the input.
  const std::string input = testing::read_text(dir / "molecules.extxyz");
  const auto energies = [](const std::string& text, const std::string& key) {
    std::vector<std::string> out;
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
      const size_t begin = at + key.size();
      out.push_back(text.substr(begin, text.find_first_of(" \n", begin) - begin));
    }
    return out;
  };
  const std::vector<std::string> reference = energies(input, " energy=");
  EXPECT_EQ(reference.size(), 24u);
  EXPECT_EQ(energies(two, "energy_ref="), reference);
}

TEST(ShardedInference, NBodyEvalWithTwoProcessesEqualsOne) {
  TempDir dir("sharded_nbody");
  NBodyConfig c = testing::tiny_nbody_config(dir / "data", dir / "run");
  c.train.epochs = 1;
  write_file_atomic(dir / "nbody.toml", c.to_toml());
  const CommandResult t = run_command({se3t_program(), "train", dir / "nbody.toml", "--quiet"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  // 8 test simulations in batches of 3, with the equivariance error over 2 rotations.
  const std::vector<std::string> eval = {"eval",
                                         "--checkpoint",
                                         dir / "run/checkpoint.pt",
                                         "--data",
                                         dir / "data",
                                         "--split",
                                         "test",
                                         "--batch-size",
                                         "3",
                                         "--rotations",
                                         "2"};
  const CommandResult e1 = se3t(eval, 1), e2 = se3t(eval, 2);
  EXPECT_NE(e1.out.find("\"num_samples\": 8"), std::string::npos) << e1.out;
  EXPECT_EQ(without_processes(e2.out, 2), without_processes(e1.out, 1));
}

TEST(ShardedInference, BadInputFailsCleanlyWithTwoRanks) {
  TempDir dir("sharded_bad_input");
  const std::string config = train_molecule_models(dir);
  const std::string model = dir / "run0/checkpoint.pt";
  // A frame whose atom count is not a number: every rank refuses it, the job exits non-zero.
  write_file_atomic(dir / "bad.extxyz", "three\nenergy=1.0\nH 0 0 0\n");
  const CommandResult bad =
      run_command({se3t_program(), "predict", "--checkpoint", model, "--data", dir / "bad.extxyz",
                   "--out", dir / "out.extxyz", "--threads", "1", "--nproc", "2"},
                  120);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("se3t predict: error: "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("bad.extxyz"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("se3t predict: worker rank "), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir / "out.extxyz"));
  // An existing output is refused before any worker starts.
  write_file_atomic(dir / "taken.extxyz", "keep\n");
  const CommandResult taken =
      run_command({se3t_program(), "predict", "--checkpoint", model, "--data",
                   dir / "molecules.extxyz", "--out", dir / "taken.extxyz", "--nproc", "2"},
                  120);
  EXPECT_NE(taken.exit_code, 0);
  EXPECT_NE(taken.err.find("already exists"), std::string::npos) << taken.err;
  EXPECT_EQ(taken.err.find("worker rank"), std::string::npos) << taken.err;
  EXPECT_EQ(testing::read_text(dir / "taken.extxyz"), "keep\n");
  // An evaluation split that is empty is an error on every rank as well.
  const CommandResult empty =
      run_command({se3t_program(), "eval", "--config", config, "--checkpoint", model, "--split",
                   "train", "--data", dir / "bad.extxyz", "--nproc", "2"},
                  120);
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("se3t eval: error: "), std::string::npos) << empty.err;
}

}  // namespace
}  // namespace se3t

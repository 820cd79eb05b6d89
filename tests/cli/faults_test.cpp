// Fault injection against the se3t program itself, started as a child process: a full disk
// while checkpoints are written (a small tmpfs when this process may mount one, else a file
// size limit), SIGKILL at random points of a run (checkpoint writes included), two runs into one
// directory, outputs over inputs. Every failure must be an exit code with a message (never a
// signal or a backtrace), leave the previous files intact and no temporary behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "common/run_command.h"
#include "common/temp_dir.h"
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

// A tiny molecule run's config written to dir/NAME.toml, training into `out`.
std::string molecule_config(const TempDir& dir, const std::string& name, const std::string& out,
                            int64_t epochs) {
  MoleculeConfig c = testing::tiny_molecule_config(dir.str(), out);
  c.train.epochs = epochs;
  const std::string path = dir / (name + ".toml");
  write_file_atomic(path, c.to_toml());
  return path;
}

void expect_clean_failure(const CommandResult& r, const std::string& fragment) {
  EXPECT_EQ(r.signal, 0) << "ended by signal " << r.signal << ":\n" << r.err;
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("frame #"), std::string::npos) << "a backtrace reached the user:\n" << r.err;
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
}

TEST(Faults, DiskFullDuringTrainingIsAnErrorThatKeepsTheLastCheckpoint) {
  TempDir dir("disk-full");
  const std::string small = dir / "small";
  fs::create_directories(small);
  // A small tmpfs, as a user's nearly full disk; without the privilege to mount one, a file size
  // limit on the child (prlimit(1)) fails the same writes with EFBIG instead of ENOSPC.
  const bool mounted = ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=4m") == 0;
  struct Unmount {
    bool mounted;
    std::string path;
    ~Unmount() {
      if (mounted) ::umount(path.c_str());
    }
  } unmount{mounted, small};
  if (!mounted && !fs::exists("/usr/bin/prlimit")) GTEST_SKIP() << "neither mount(2) nor prlimit";
  const std::string out = small + "/run";
  const std::string config = molecule_config(dir, "run", out, 1);
  ASSERT_EQ(run_command({se3t_program(), "train", config, "--quiet"}).exit_code, 0);
  const std::string before = testing::read_text(out + "/checkpoint.pt");
  const size_t size = before.size();
  ASSERT_GT(size, 1000u);
  std::vector<std::string> args = {se3t_program(), "train",    config, "--quiet",
                                   "--resume",     "--epochs", "3"};
  if (mounted) {
    // Leave room for half a checkpoint.
    const fs::space_info space = fs::space(small);
    ASSERT_GT(space.available, size);
    const size_t fill = (space.available - size / 2) / 4096 * 4096;  // whole tmpfs pages
    write_file_atomic(small + "/fill", std::string(fill, '\0'));
  } else {
    args.insert(args.begin(), {"/usr/bin/prlimit", "--fsize=" + std::to_string(size / 2)});
  }
  const CommandResult r = run_command(args);
  expect_clean_failure(r, mounted ? "No space left on device (errno 28)" : "(errno 27)");
  EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_text(out + "/checkpoint.pt"), before) << "the last checkpoint changed";
  EXPECT_FALSE(testing::holds_temporary_file(out)) << "a temporary file keeps the disk full";
}

TEST(Faults, SigkillAtRandomPointsLeavesAResumableRunThatEndsLikeAnUninterruptedOne) {
  TempDir dir("sigkill");
  const int64_t epochs = 60;
  const std::string full = molecule_config(dir, "full", dir / "full", epochs);
  ASSERT_EQ(run_command({se3t_program(), "train", full, "--quiet"}).exit_code, 0);
  const std::string killed = molecule_config(dir, "killed", dir / "killed", epochs);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(5, 400);
  int kills = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    std::vector<std::string> args = {se3t_program(), "train", killed, "--quiet"};
    if (fs::exists(dir / "killed/checkpoint.pt")) args.push_back("--resume");
    const pid_t pid = testing::start_command(args, dir / "out", dir / "err");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ::kill(pid, SIGKILL);
    int sig = 0;
    const int code = testing::wait_command(pid, &sig);
    if (sig == SIGKILL) ++kills;
    if (code == 0) break;  // finished before the kill
  }
  EXPECT_GT(kills, 0);
  // Whatever the kills interrupted (a step, a checkpoint write), the run resumes to the end.
  std::vector<std::string> args = {se3t_program(), "train", killed, "--quiet"};
  if (fs::exists(dir / "killed/checkpoint.pt")) args.push_back("--resume");
  const CommandResult r = run_command(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Bit-exact resume: the final checkpoint's model equals the uninterrupted run's (the files
  // differ only in recorded wall times).
  const std::string a = testing::read_text(dir / "full/test_metrics.json");
  const std::string b = testing::read_text(dir / "killed/test_metrics.json");
  const auto metric = [](const std::string& json, const std::string& key) {
    const size_t at = json.find("\"" + key + "\": ");
    return at == std::string::npos ? std::string() : json.substr(at, json.find(',', at) - at);
  };
  EXPECT_FALSE(metric(a, "energy_mae").empty()) << a;
  EXPECT_EQ(metric(a, "energy_mae"), metric(b, "energy_mae"));
  EXPECT_EQ(metric(a, "loss"), metric(b, "loss"));
}

TEST(Faults, TwoRunsIntoOneDirectoryTheSecondIsRefused) {
  TempDir dir("concurrent");
  const std::string config = molecule_config(dir, "run", dir / "run", 400);
  const pid_t first = testing::start_command({se3t_program(), "train", config, "--quiet"},
                                             dir / "out1", dir / "err1");
  // Wait until the first holds the directory's lock (its config.toml is written after it).
  for (int i = 0; i < 500 && !fs::exists(dir / "run/config.toml"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const CommandResult second =
      run_command({se3t_program(), "train", config, "--quiet", "--overwrite"});
  ::kill(first, SIGINT);  // the first stops cleanly with a checkpoint
  const int first_code = testing::wait_command(first);
  expect_clean_failure(second, "in use by another se3t process");
  EXPECT_TRUE(first_code == 0 || first_code == 130) << testing::read_text(dir / "err1");
  // After it, the directory holds a run: training into it again needs --resume or --overwrite.
  const CommandResult again = run_command({se3t_program(), "train", config, "--quiet"});
  expect_clean_failure(again, "already holds a run");
}

TEST(Faults, AZeroEpochRunIsNotOverwrittenSilently) {
  TempDir dir("zero-epochs");
  const std::string config = molecule_config(dir, "run", dir / "run", 0);
  ASSERT_EQ(run_command({se3t_program(), "train", config, "--quiet"}).exit_code, 0);
  const std::string metrics = testing::read_text(dir / "run/test_metrics.json");
  ASSERT_FALSE(metrics.empty());
  const CommandResult r = run_command({se3t_program(), "train", config, "--quiet"});
  expect_clean_failure(r, "--overwrite");
  EXPECT_EQ(testing::read_text(dir / "run/test_metrics.json"), metrics);
  EXPECT_EQ(run_command({se3t_program(), "train", config, "--quiet", "--overwrite"}).exit_code, 0);
}

TEST(Faults, PredictNeverWritesOverItsInputAndKeepsTheReference) {
  TempDir dir("predict");
  const std::string config = molecule_config(dir, "run", dir / "run", 1);
  ASSERT_EQ(run_command({se3t_program(), "train", config, "--quiet"}).exit_code, 0);
  const std::string model = dir / "run/best_model.pt";
  const std::string data = dir / "molecules.extxyz";
  const std::string original = testing::read_text(data);
  expect_clean_failure(run_command({se3t_program(), "predict", "--checkpoint", model, "--data",
                                    data, "--out", data, "--overwrite"}),
                       "never written over an input");
  EXPECT_EQ(testing::read_text(data), original);
  const std::string p1 = dir / "p1.extxyz", p2 = dir / "p2.extxyz";
  ASSERT_EQ(
      run_command({se3t_program(), "predict", "--checkpoint", model, "--data", data, "--out", p1})
          .exit_code,
      0);
  expect_clean_failure(
      run_command({se3t_program(), "predict", "--checkpoint", model, "--data", data, "--out", p1}),
      "already exists");
  // A second pass over a prediction keeps the true reference energy.
  ASSERT_EQ(
      run_command({se3t_program(), "predict", "--checkpoint", model, "--data", p1, "--out", p2})
          .exit_code,
      0);
  const auto first_info = [](const std::string& text) {
    const size_t a = text.find('\n') + 1;
    return text.substr(a, text.find('\n', a) - a);
  };
  const std::string ref_line = first_info(original), p2_line = first_info(testing::read_text(p2));
  const size_t e = ref_line.find("energy=");
  ASSERT_NE(e, std::string::npos) << ref_line;
  const std::string energy = ref_line.substr(e + 7, ref_line.find(' ', e) - e - 7);
  EXPECT_NE(p2_line.find("energy_ref=" + energy), std::string::npos) << p2_line;
}

TEST(Faults, OneAtomMoleculesArePredicted) {
  TempDir dir("one-atom");
  const std::string config = molecule_config(dir, "run", dir / "run", 1);
  ASSERT_EQ(run_command({se3t_program(), "train", config, "--quiet"}).exit_code, 0);
  const std::string data = testing::read_text(dir / "molecules.extxyz");
  // The first atom of the first molecule, alone.
  const size_t l1 = data.find('\n'), l2 = data.find('\n', l1 + 1), l3 = data.find('\n', l2 + 1);
  write_file_atomic(dir / "one.extxyz", "1\n" + data.substr(l1 + 1, l3 - l1));
  const CommandResult r =
      run_command({se3t_program(), "predict", "--checkpoint", dir / "run/best_model.pt", "--data",
                   dir / "one.extxyz", "--out", dir / "one-out.extxyz", "--forces"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(testing::read_text(dir / "one-out.extxyz").find("energy="), std::string::npos);
}

TEST(Faults, MessagesForCommonMistakes) {
  TempDir dir("mistakes");
  const CommandResult typo = run_command({se3t_program(), "trian"});
  expect_clean_failure(typo, "unknown command 'trian'; did you mean 'train'?");
  const CommandResult unknown = run_command({se3t_program(), "frobnicate"});
  expect_clean_failure(unknown, "unknown command 'frobnicate'");
  EXPECT_EQ(unknown.err.find("did you mean"), std::string::npos) << unknown.err;
  // A config too large for memory: refused with the estimate, no backtrace.
  MoleculeConfig big = testing::tiny_molecule_config(dir.str(), dir / "big");
  big.model.num_channels = 100000;
  write_file_atomic(dir / "big.toml", big.to_toml());
  expect_clean_failure(run_command({se3t_program(), "train", dir / "big.toml", "--quiet"}),
                       "needs at least");
  const CommandResult threads =
      run_command({se3t_program(), "nbody", "generate", "--out", dir / "nb", "--num-train", "2",
                   "--num-valid", "0", "--num-test", "2", "--threads", "4096"});
  EXPECT_NE(threads.exit_code, 0);  // beyond the allowed range
  const CommandResult many =
      run_command({se3t_program(), "nbody", "generate", "--out", dir / "nb", "--num-train", "2",
                   "--num-valid", "0", "--num-test", "2", "--threads",
                   std::to_string(std::thread::hardware_concurrency() + 1)});
  EXPECT_EQ(many.exit_code, 0) << many.err;
  EXPECT_NE(many.err.find("warning"), std::string::npos) << many.err;
  const CommandResult again = run_command({se3t_program(), "nbody", "generate", "--out", dir / "nb",
                                           "--num-train", "2", "--num-test", "2"});
  expect_clean_failure(again, "already holds a data set");
}

}  // namespace
}  // namespace se3t

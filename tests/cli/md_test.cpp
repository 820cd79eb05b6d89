// se3t md with a trained molecule model: NVE conserves the energy at second order in dt, a
// run stopped and continued from its restart file writes the uninterrupted run's trajectory
// byte for byte, Ctrl-C leaves complete files, and bad options are refused with the reason.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "common/run_command.h"
#include "common/temp_dir.h"
#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/data/extxyz.h"
#include "se3t/md/trajectory.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::run_command;
using testing::se3t_program;
using testing::TempDir;

CommandResult md(const std::vector<std::string>& args) {
  std::vector<std::string> all = {se3t_program(), "md", "--quiet"};
  all.insert(all.end(), args.begin(), args.end());
  return run_command(all);
}

// Total energies of a thermo log (the fifth column).
std::vector<double> total_energies(const std::string& csv) {
  std::istringstream in(testing::read_text(csv));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "step,time_fs,potential_ev,kinetic_ev,total_ev,temperature_k");
  std::vector<double> totals;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string cell;
    for (int c = 0; c < 5; ++c) std::getline(row, cell, ',');
    totals.push_back(std::stod(cell));
  }
  return totals;
}

// max |E_total - E_total(0)| of NVE runs from `start` (--checkpoint, --data, ... options), one
// per (dt, steps), at 300 K with a frame and log row every step; empty after a failed run.
std::vector<double> nve_drifts(const TempDir& dir, const std::vector<std::string>& start,
                               const std::vector<std::pair<std::string, std::string>>& runs,
                               const std::string& seed) {
  std::vector<double> drift;
  for (const auto& [dt, steps] : runs) {
    const std::string log = dir / ("nve_" + dt + ".csv");
    std::vector<std::string> args = start;
    for (const std::string& a :
         {std::string("--steps"), steps, std::string("--dt"), dt, std::string("--temperature"),
          std::string("300"), std::string("--seed"), seed, std::string("--every"), std::string("1"),
          std::string("--out"), dir / ("nve_" + dt + ".extxyz"), std::string("--log"), log}) {
      args.push_back(a);
    }
    const CommandResult r = md(args);
    if (r.exit_code != 0) {
      ADD_FAILURE() << r.err;
      return {};
    }
    const std::vector<double> e = total_energies(log);
    EXPECT_EQ(e.size(), static_cast<size_t>(std::stoi(steps) + 1));
    double d = 0.0;
    for (double x : e) d = std::max(d, std::abs(x - e[0]));
    drift.push_back(d);
  }
  return drift;
}

TEST(Md, NveWithAModelConservesEnergyAtSecondOrderAndRestartsBitForBit) {
  TempDir dir("md");
  const std::string ckpt = testing::train_tiny_molecule_checkpoint(dir, "float64");
  const std::string data = dir / "molecules.extxyz";
  // 100 fs of NVE from frame 3 (6 atoms) at 300 K with dt = 0.5 and 0.25 fs.
  const std::vector<double> drift =
      nve_drifts(dir, {"--checkpoint", ckpt, "--data", data, "--frame", "3"},
                 {{"0.5", "200"}, {"0.25", "400"}}, "1");
  ASSERT_EQ(drift.size(), 2u);
  // The kinetic energy is 7.5 k_B T = 0.19 eV; the integrator's error is far below it and
  // falls by 4 when dt halves.
  EXPECT_LT(drift[0], 0.02);
  EXPECT_GT(drift[0], 0.0);
  EXPECT_NEAR(drift[0] / drift[1], 4.0, 1.2) << drift[0] << " " << drift[1];
  std::printf("NVE energy drift over 100 fs: %.3g eV (dt 0.5 fs), %.3g eV (dt 0.25 fs)\n", drift[0],
              drift[1]);

  // Langevin, 40 steps at once, or stopped after 20 and continued from the restart file.
  const std::vector<std::string> common = {
      "--checkpoint", ckpt, "--data",     data,       "--frame",       "3",   "--steps", "40",
      "--every",      "5",  "--ensemble", "langevin", "--temperature", "500", "--seed",  "9"};
  auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = common;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  ASSERT_EQ(md(args({"--out", dir / "whole.extxyz"})).exit_code, 0);
  const CommandResult first = md(args({"--out", dir / "first.extxyz", "--stop-after", "20"}));
  ASSERT_EQ(first.exit_code, 130) << first.err;
  EXPECT_NE(first.err.find("--restart " + dir / "first.restart.extxyz"), std::string::npos)
      << first.err;
  const CommandResult rest = run_command({se3t_program(), "md", "--quiet", "--checkpoint", ckpt,
                                          "--restart", dir / "first.restart.extxyz", "--steps",
                                          "40", "--every", "5", "--out", dir / "rest.extxyz"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(testing::read_text(dir / "first.extxyz") + testing::read_text(dir / "rest.extxyz"),
            testing::read_text(dir / "whole.extxyz"));
  EXPECT_EQ(read_extxyz(dir / "whole.extxyz").size(), 9u);  // steps 0, 5, ..., 40

  // Refused: a restart with other dynamics, an output over an input, a frame out of range.
  const CommandResult other = md({"--checkpoint", ckpt, "--restart", dir / "first.restart.extxyz",
                                  "--steps", "40", "--dt", "1", "--out", dir / "other.extxyz"});
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("--dt differs"), std::string::npos) << other.err;
  const CommandResult over =
      md({"--checkpoint", ckpt, "--data", data, "--steps", "1", "--out", data, "--overwrite"});
  EXPECT_NE(over.exit_code, 0);
  EXPECT_NE(over.err.find("--out"), std::string::npos) << over.err;
  const CommandResult range = md({"--checkpoint", ckpt, "--data", data, "--frame", "99", "--steps",
                                  "1", "--out", dir / "range.extxyz"});
  EXPECT_NE(range.exit_code, 0);
  EXPECT_NE(range.err.find("--frame 99 is out of range"), std::string::npos) << range.err;
  EXPECT_FALSE(fs::exists(dir / "range.extxyz"));
}

TEST(Md, PeriodicWaterConservesEnergyAndFullyConnectedModelsRefuseACell) {
  TempDir dir("md-periodic");
  const std::string ckpt = testing::train_tiny_water_checkpoint(dir, "float64");
  const std::string water = testing::source_dir() + "/data/xtb/water/valid.extxyz.gz";
  // 20 fs of NVE of the periodic box (atoms cross the cell walls and are wrapped) at dt = 0.5
  // and 0.25 fs: the drift falls at second order, so the forces are the exact gradient of
  // the periodic energy (with images) also across the walls.
  const std::vector<double> drift = nve_drifts(dir, {"--checkpoint", ckpt, "--data", water},
                                               {{"0.5", "40"}, {"0.25", "80"}}, "2");
  ASSERT_EQ(drift.size(), 2u);
  EXPECT_GT(drift[0], 0.0);
  EXPECT_NEAR(drift[0] / drift[1], 4.0, 1.2) << drift[0] << " " << drift[1];
  const std::vector<Frame> traj = read_extxyz(dir / "nve_0.5.extxyz");
  ASSERT_TRUE(traj.back().cell.has_value());
  std::printf("periodic NVE energy drift over 20 fs: %.3g eV (dt 0.5 fs), %.3g eV (0.25 fs)\n",
              drift[0], drift[1]);

  // The molecule model of the other tests is fully connected: no graph over periodic images.
  const std::string molecule_ckpt = testing::train_tiny_molecule_checkpoint(dir, "float64");
  const CommandResult refused = md({"--checkpoint", molecule_ckpt, "--data", water, "--steps", "1",
                                    "--out", dir / "refused.extxyz"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.signal, 0);
  EXPECT_NE(refused.err.find("cannot run a periodic cell"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir / "refused.extxyz"));
}

TEST(Md, CtrlCLeavesACompleteTrajectoryAndARestartFile) {
  TempDir dir("md-sigint");
  const std::string ckpt = testing::train_tiny_molecule_checkpoint(dir, "float64");
  const std::string out = dir / "traj.extxyz";
  const pid_t pid = testing::start_command(
      {se3t_program(), "md", "--quiet", "--checkpoint", ckpt, "--data", dir / "molecules.extxyz",
       "--steps", "100000000", "--every", "1", "--out", out},
      dir / "stdout", dir / "stderr");
  // Wait until frames are being written, then interrupt.
  for (int i = 0; i < 6000 && !(fs::exists(out + ".tmp") && fs::file_size(out + ".tmp") > 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fs::exists(out + ".tmp"));
  ::kill(pid, SIGINT);
  int signal = 0;
  EXPECT_EQ(testing::wait_command(pid, &signal), 130) << testing::read_text(dir / "stderr");
  EXPECT_EQ(signal, 0);
  const std::vector<Frame> frames = read_extxyz(out);
  ASSERT_GE(frames.size(), 1u);
  const md::Restart r = md::read_restart(dir / "traj.restart.extxyz");
  EXPECT_EQ(std::to_string(r.state.step), frames.back().info.at("step"));
  EXPECT_FALSE(testing::holds_temporary_file(dir.path()));
}

}  // namespace
}  // namespace se3t

// se3t serve --ipi: a real ASE molecular dynamics (tests/cli/ase_ipi_md.py, ASE's
// SocketIOCalculator as the i-PI server on a unix socket) driven by se3t's forces, which must
// equal se3t predict's on the same frames; and the errors of a server that is not there.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "common/run_command.h"
#include "common/temp_dir.h"
#include "common/testing.h"
#include "common/train_testing.h"

namespace se3t {
namespace {

using testing::CommandResult;
using testing::run_command;
using testing::se3t_program;
using testing::TempDir;

TEST(Serve, AseMolecularDynamicsThroughTheIpiSocketMatchesPredict) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  TempDir dir("serve");
  const std::string ckpt = testing::train_tiny_molecule_checkpoint(dir, "float64");
  const CommandResult r =
      run_command({"/usr/bin/python3", testing::source_dir() + "/tests/cli/ase_ipi_md.py", "--se3t",
                   se3t_program(), "--checkpoint", ckpt, "--data", dir / "molecules.extxyz",
                   "--frame", "3", "--steps", "5"},
                  240);
  if (r.exit_code == 77) GTEST_SKIP() << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::printf("%s", r.out.c_str());  // the differences found, for the test log
  EXPECT_NE(r.out.find("\"evaluations\": 6"), std::string::npos) << r.out;
}

TEST(Serve, PeriodicWaterThroughTheIpiSocketGivesPredictsStressFromTheVirial) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  TempDir dir("serve-periodic");
  const std::string ckpt = testing::train_tiny_water_checkpoint(dir, "float64");
  const CommandResult r = run_command(
      {"/usr/bin/python3", testing::source_dir() + "/tests/cli/ase_ipi_md.py", "--se3t",
       se3t_program(), "--checkpoint", ckpt, "--data",
       testing::source_dir() + "/data/xtb/water/valid.extxyz.gz", "--steps", "3", "--periodic"},
      240);
  if (r.exit_code == 77) GTEST_SKIP() << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::printf("%s", r.out.c_str());
  EXPECT_NE(r.out.find("\"evaluations\": 4"), std::string::npos) << r.out;
}

TEST(Serve, NoServerOrABadAddressIsAClearError) {
  TempDir dir("serve-errors");
  const std::string ckpt = testing::train_tiny_molecule_checkpoint(dir, "float32");
  const auto serve = [&](const std::string& address) {
    return run_command({se3t_program(), "serve", "--ipi", address, "--checkpoint", ckpt, "--data",
                        dir / "molecules.extxyz", "--quiet"});
  };
  const CommandResult none = serve("unix:" + dir / "absent");
  EXPECT_EQ(none.signal, 0);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("cannot connect to the i-PI server"), std::string::npos) << none.err;
  const CommandResult bad = serve("localhost:99999");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("the port must be a number in 1 .. 65535"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace se3t

// se3t eval from the command line: explicit frames mean those frames, and data with
// non-finite values is an error naming the file, not metrics printed as null.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "common/run_command.h"
#include "common/temp_dir.h"
#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/data/npy.h"
#include "se3t/util/atomic_file.h"

namespace se3t {
namespace {

using testing::run_command;
using testing::se3t_program;
using testing::TempDir;

TEST(Eval, ExplicitFramesOverrideTheCheckpointsSpreadAndNaNDataIsAnError) {
  TempDir dir("eval");
  NBodyConfig c = testing::tiny_nbody_config(dir / "data", dir / "run");
  c.data.eval_frames = "spread";
  c.train.epochs = 1;
  write_file_atomic(dir / "run.toml", c.to_toml());
  ASSERT_EQ(run_command({se3t_program(), "train", dir / "run.toml", "--quiet"}).exit_code, 0);
  const std::string ckpt = dir / "run/checkpoint.pt";
  const auto eval = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {se3t_program(), "eval",       "--checkpoint", ckpt,
                                     "--data",       dir / "data", "--rotations",  "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_command(args);
  };
  const auto spread = eval({});
  ASSERT_EQ(spread.exit_code, 0) << spread.err;
  EXPECT_NE(spread.out.find("\"frames\": \"spread\""), std::string::npos) << spread.out;
  const auto fixed = eval({"--input-frame", "3", "--target-frame", "8"});
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_NE(fixed.out.find("\"frames\": \"fixed\""), std::string::npos) << fixed.out;
  EXPECT_NE(fixed.out.find("\"input_frame\": 3"), std::string::npos) << fixed.out;
  // Asked for explicitly, spread input frames with an explicit gap are still possible.
  const auto both = eval({"--input-frame", "3", "--target-frame", "8", "--frames", "spread"});
  EXPECT_NE(both.out.find("\"frames\": \"spread\""), std::string::npos) << both.out;

  // A NaN in the test velocities: refused on load, naming the file.
  std::string vel;
  for (const auto& e : std::filesystem::directory_iterator(dir / "data")) {
    if (e.path().filename().string().rfind("vel_test_", 0) == 0) vel = e.path().string();
  }
  ASSERT_FALSE(vel.empty());
  at::Tensor v = read_npy_tensor(vel);
  v[0][0][0][0] = std::numeric_limits<double>::quiet_NaN();
  write_npy(vel, v);
  const auto nan = eval({});
  EXPECT_EQ(nan.signal, 0);
  EXPECT_NE(nan.exit_code, 0);
  EXPECT_NE(nan.err.find("vel_test_"), std::string::npos) << nan.err;
  EXPECT_NE(nan.err.find("not finite"), std::string::npos) << nan.err;
  EXPECT_EQ(nan.out.find("null"), std::string::npos) << nan.out;
}

// A residual model (x_0 + v_0 t + network) scores its own interval; other frames are refused
// with both intervals named, rather than scored with the wrong force-free motion.
TEST(Eval, ResidualModelIsScoredOnItsOwnInterval) {
  TempDir dir("eval_residual");
  NBodyConfig c = testing::tiny_nbody_config(dir / "data", dir / "run");
  c.head.residual = true;
  c.train.epochs = 1;
  write_file_atomic(dir / "run.toml", c.to_toml());
  ASSERT_EQ(run_command({se3t_program(), "train", dir / "run.toml", "--quiet"}).exit_code, 0);
  const auto eval = [&](std::vector<std::string> frames) {
    std::vector<std::string> args = {
        se3t_program(), "eval",       "--checkpoint", dir / "run/checkpoint.pt",
        "--data",       dir / "data", "--rotations",  "0"};
    args.insert(args.end(), frames.begin(), frames.end());
    return run_command(args);
  };
  const auto same = eval({"--input-frame", "2", "--target-frame", "7"});  // 5 frames, as trained
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(same.out.find("\"mse_position\""), std::string::npos) << same.out;
  const auto other = eval({"--input-frame", "0", "--target-frame", "3"});
  EXPECT_EQ(other.signal, 0);
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("residual = true"), std::string::npos) << other.err;
  EXPECT_NE(other.err.find("0 -> 3"), std::string::npos) << other.err;
}

}  // namespace
}  // namespace se3t

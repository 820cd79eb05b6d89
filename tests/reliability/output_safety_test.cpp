// Outputs are never lost or half-written: AtomicFile under write failures, the run directory
// lock, and the check that an output is never written over an input.
#include <gtest/gtest.h>
#include <torch/nn/modules/linear.h>
#include <torch/serialize/output-archive.h>

#include <filesystem>
#include <string>

#include "common/expect_error.h"
#include "common/file_size_limit.h"
#include "common/temp_dir.h"
#include "common/testing.h"
#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"
#include "se3t/util/output_path.h"
#include "se3t/util/run_lock.h"
#include "se3t/util/save_archive.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::FileSizeLimit;
using testing::read_text;
using testing::TempDir;

TEST(AtomicFile, WritesAndReplacesWholeFiles) {
  TempDir dir("atomic");
  write_file_atomic(dir / "a.txt", "first");
  write_file_atomic(dir / "a.txt", "second, longer");
  EXPECT_EQ(read_text(dir / "a.txt"), "second, longer");
  {
    AtomicFile f(dir / "b.txt", "test file");
    f.write("never committed");
  }  // destroyed without commit: nothing appears, nothing is left behind
  EXPECT_FALSE(fs::exists(dir / "b.txt"));
  EXPECT_FALSE(testing::holds_temporary_file(dir.path()));
}

TEST(AtomicFile, AFailedWriteLeavesThePreviousFileAndNoTemporary) {
  TempDir dir("atomic-full");
  write_file_atomic(dir / "a.txt", "previous");
  const std::string big(100000, 'x');
  {
    FileSizeLimit limit(4096);  // the "disk" holds 4 KB
    expect_error([&] { write_file_atomic(dir / "a.txt", big, "results"); },
                 {"cannot write results", "a.txt", "File too large (errno 27)", "unchanged"});
  }
  EXPECT_EQ(read_text(dir / "a.txt"), "previous");
  EXPECT_FALSE(testing::holds_temporary_file(dir.path()));
}

TEST(AtomicFile, ArchiveWriteFailureIsAnErrorNotAnAbort) {
  // LibTorch's own file writer throws from a destructor on a failed write (std::terminate).
  TempDir dir("archive-full");
  torch::nn::Linear linear(300, 300);  // 361 KB of parameters
  torch::serialize::OutputArchive archive;
  linear->save(archive);
  write_file_atomic(dir / "model.pt", "previous");
  {
    FileSizeLimit limit(64 * 1024);
    expect_error([&] { save_archive_atomic(archive, dir / "model.pt", "model"); },
                 {"cannot write model", "model.pt", "errno 27"});
  }
  EXPECT_EQ(read_text(dir / "model.pt"), "previous");
  EXPECT_FALSE(testing::holds_temporary_file(dir.path()));
  save_archive_atomic(archive, dir / "model.pt", "model");  // without the limit it is written
  EXPECT_GT(fs::file_size(dir / "model.pt"), 300u * 300u * 4u);
}

TEST(AtomicFile, UnwritableDirectoryNamesTheFile) {
  expect_error([] { write_file_atomic("/nonexistent-dir/x.txt", "x", "metrics"); },
               {"cannot write metrics", "/nonexistent-dir/x.txt", "errno"});
}

TEST(RunLock, ASecondHolderIsRefusedUntilTheFirstLetsGo) {
  TempDir dir("lock");
  {
    const RunLock first(dir / "run", "training run");
    // flock locks belong to an open file description: a second one conflicts even in the
    // same process, as a second se3t process would.
    expect_error([&] { RunLock second(dir / "run", "training run"); },
                 {"in use by another se3t process", "pid", "training run"});
  }
  const RunLock again(dir / "run", "training run");  // released with its holder
  EXPECT_TRUE(fs::is_directory(dir / "run"));
}

TEST(OutputPath, NeverAnInputAndNeverReplacedUnasked) {
  TempDir dir("outputs");
  write_file_atomic(dir / "in.extxyz", "data");
  const std::string in = dir / "in.extxyz";
  expect_error([&] { check_output_path(in, {in}, true, "--out"); }, {"is the input", "--out"});
  // The same file under another name: a relative path, a symlink, a hard link.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  expect_error([&] { check_output_path("./in.extxyz", {in}, true, "--out"); }, {"is the input"});
  fs::current_path(cwd);
  fs::create_symlink(in, dir / "link.extxyz");
  expect_error([&] { check_output_path(dir / "link.extxyz", {in}, true, "--out"); },
               {"is the input"});
  fs::create_hard_link(in, dir / "hard.extxyz");
  expect_error([&] { check_output_path(dir / "hard.extxyz", {in}, true, "--out"); },
               {"is the input"});
  // An existing output needs overwrite; a new one does not; a directory never.
  write_file_atomic(dir / "old.extxyz", "old");
  expect_error([&] { check_output_path(dir / "old.extxyz", {in}, false, "--out"); },
               {"already exists", "--overwrite"});
  check_output_path(dir / "old.extxyz", {in}, true, "--out");
  check_output_path(dir / "new.extxyz", {in}, false, "--out");
  expect_error([&] { check_output_path(dir.str(), {in}, true, "--out"); }, {"is a directory"});
}

}  // namespace
}  // namespace se3t

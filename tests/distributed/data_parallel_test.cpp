// Data-parallel training across processes (se3t/distributed), with two processes on localhost
// started and stopped by the tests: two ranks equal one rank, resume with another process count,
// a killed worker ends the job, and evaluation shared across ranks equals one process exactly
// (every batch's row received bit for bit).
//
// Tolerance: the models are float64. Two ranks compute the same terms as one but sum them in
// another order (each part's mean, scaled by its share, then the all-reduce), so the gradient of
// a step differs by a few units of float64 round-off (~1e-16 relative); Adam's update is a
// smooth function of the gradient away from zero moments, so after the K steps of a tiny run the
// parameters agree to ~1e-13 relative. 1e-9 (absolute plus relative) leaves room for the
// amplification of K steps and still rejects any error of weighting (a part's loss weighted by
// its sample count instead of its atom count moves parameters by ~1e-4).
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <torch/optim/adam.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/molecule_testing.h"
#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/distributed/data_parallel.h"
#include "se3t/distributed/launcher.h"
#include "se3t/distributed/shared_batches.h"
#include "se3t/train/checkpoint.h"
#include "se3t/util/text.h"

extern char** environ;

namespace se3t {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr double kTolerance = 1e-9;

// The tiny config of a task in float64, with a collective timeout a killed peer cannot outlast;
// molecules train on energies and forces (whose loss averages over atoms, not molecules), and
// with a weight average (every rank keeps its own; the checkpoints compared hold it).
std::unique_ptr<Task> tiny(const std::string& kind, const std::string& dir) {
  const std::string molecules = (fs::path(dir) / "molecules.extxyz").string();
  if (kind == "molecules" && !fs::exists(molecules)) {
    testing::write_pair_potential_molecules(molecules, 24, 31, /*forces=*/true);
  }
  std::unique_ptr<Task> t = testing::tiny_task(kind, dir, (fs::path(dir) / "unused").string());
  t->config().train.dtype = "float64";
  t->config().train.collective_timeout_s = 30.0;
  if (auto* m = dynamic_cast<MoleculeConfig*>(&t->config())) {
    m->loss.force_weight = 1.0;
    m->train.ema_decay = 0.9;
  }
  return t;
}

std::string write_config(const std::string& kind, const std::string& dir) {
  const std::string path = (fs::path(dir) / (kind + ".toml")).string();
  std::ofstream(path) << tiny(kind, dir)->config().to_toml();
  return path;
}

// Starts `args` with stdout and stderr appended to `log`; returns the pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> a = args;
  std::vector<char*> argv;
  for (std::string& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  EXPECT_EQ(rc, 0) << "cannot start " << args[0];
  return pid;
}

// Waits for `pid` at most `limit_s` (a guard against a hang: the process is then killed and
// the test fails); returns its wait status.
int wait_for(pid_t pid, double limit_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_s);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      ADD_FAILURE() << "process " << pid << " still running after " << limit_s << " s";
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status;
}

// `se3t train CONFIG args...`; the exit status (-1 if killed by a signal).
int se3t_train(const std::string& config, std::vector<std::string> args, const std::string& log) {
  args.insert(args.begin(), {SE3T_CLI, "train", config, "--quiet"});
  const int st = wait_for(spawn(args, log), 300);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::vector<at::Tensor> parameters_of(const std::string& kind, const std::string& dir,
                                      const std::string& file) {
  std::unique_ptr<Task> t = tiny(kind, dir);
  t->load_data(nullptr);
  t->build_model();
  t->module().to(at::kDouble);
  load_model_file(file, *t);
  std::vector<at::Tensor> out;
  for (const at::Tensor& p : t->module().parameters()) out.push_back(p.detach().clone());
  return out;
}

// max |a - b| / (1 + |b|) over the parameters of two model files.
double max_difference(const std::string& kind, const std::string& dir, const std::string& a,
                      const std::string& b) {
  const auto pa = parameters_of(kind, dir, a), pb = parameters_of(kind, dir, b);
  EXPECT_EQ(pa.size(), pb.size());
  EXPECT_FALSE(pa.empty());
  double worst = 0.0;
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    EXPECT_EQ(pa[i].scalar_type(), at::kDouble);
    const double d = ((pa[i] - pb[i]).abs() / (1.0 + pb[i].abs())).max().item<double>();
    worst = std::max(worst, d);
  }
  return worst;
}

class DataParallel : public ::testing::TestWithParam<std::string> {
 protected:
  std::string kind() const { return GetParam(); }
  std::string out(const std::string& name) const { return dir_ / name; }
  std::string log() const { return dir_ / "log.txt"; }
  std::string log_text() const { return fs::exists(log()) ? testing::read_text(log()) : ""; }
  TempDir dir_{"data_parallel"};
};

TEST_P(DataParallel, TwoRanksEqualOneRankAndResumeWithEitherCount) {
  const std::string config = write_config(kind(), dir_.str());
  ASSERT_EQ(se3t_train(config, {"--out", out("one")}, log()), 0) << log_text();
  ASSERT_EQ(se3t_train(config, {"--out", out("two"), "--nproc", "2"}, log()), 0) << log_text();
  const std::string one = out("one") + "/checkpoint.pt";
  // The two runs took different sums of the same terms: equal to round-off, not bit for bit
  // (a zero difference would mean the second run was not split at all).
  const double d2 = max_difference(kind(), dir_.str(), out("two") + "/checkpoint.pt", one);
  EXPECT_LT(d2, kTolerance);
  std::cout << "[ measured ] " << kind() << ": 2 ranks vs 1, max |difference| / (1 + |p|) = " << d2
            << "\n";

  // Stopped in the middle of epoch 2 with 2 ranks, resumed with 1; and the reverse.
  // (5 steps: the tiny configs take 3 and 4 steps an epoch.)
  const std::string stop = "5";
  EXPECT_EQ(se3t_train(config, {"--out", out("2to1"), "--nproc", "2", "--stop-after", stop}, log()),
            130)
      << log_text();
  ASSERT_EQ(se3t_train(config, {"--out", out("2to1"), "--resume"}, log()), 0) << log_text();
  EXPECT_EQ(se3t_train(config, {"--out", out("1to2"), "--stop-after", stop}, log()), 130)
      << log_text();
  ASSERT_EQ(se3t_train(config, {"--out", out("1to2"), "--resume", "--nproc", "2"}, log()), 0)
      << log_text();
  EXPECT_LT(max_difference(kind(), dir_.str(), out("2to1") + "/checkpoint.pt", one), kTolerance);
  EXPECT_LT(max_difference(kind(), dir_.str(), out("1to2") + "/checkpoint.pt", one), kTolerance);

  // The metric files of the 2-rank run carry each rank's compute and communication times.
  const std::string jsonl = testing::read_text(out("two") + "/metrics.jsonl");
  EXPECT_NE(jsonl.find("\"rank_compute_s\": ["), std::string::npos) << jsonl;
  EXPECT_NE(jsonl.find("\"rank_comm_s\": ["), std::string::npos) << jsonl;
}

// The process of --nproc's rank 1, found among the launcher's children by its environment.
pid_t child_with_rank(pid_t parent, int rank) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream env(e.path() / "environ");
    const std::string want = "RANK=" + std::to_string(rank);
    for (std::string entry; std::getline(env, entry, '\0');) {
      if (entry == want) return static_cast<pid_t>(std::stol(name));
    }
  }
  return 0;
}

TEST(DataParallelFailure, KilledWorkerEndsTheJobNamingItsRank) {
  TempDir dir("data_parallel_kill");
  const std::string config = write_config("nbody", dir.str());
  const std::string run = dir / "run", log = dir / "log.txt";
  // Far more epochs than the test lets it run: rank 1 is killed after the first checkpoint.
  const pid_t job = spawn(
      {SE3T_CLI, "train", config, "--quiet", "--out", run, "--nproc", "2", "--epochs", "100000"},
      log);
  const std::string ckpt = run + "/checkpoint.pt";
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(ckpt) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(fs::exists(ckpt)) << testing::read_text(log);
  const pid_t rank1 = child_with_rank(job, 1);
  ASSERT_GT(rank1, 0) << "no worker of rank 1 under " << job;
  ASSERT_EQ(kill(rank1, SIGKILL), 0);
  // Within the collective timeout (30 s) and the launcher's grace period (10 s).
  const int st = wait_for(job, 60);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_NE(WEXITSTATUS(st), 0);
  const std::string text = testing::read_text(log);
  EXPECT_NE(text.find("worker rank 1 (pid " + std::to_string(rank1) + ") was killed by signal 9"),
            std::string::npos)
      << text;
  // The last checkpoint is whole: it resumes.
  std::unique_ptr<Task> t = tiny("nbody", dir.str());
  t->load_data(nullptr);
  t->build_model();
  t->module().to(at::kDouble);
  torch::optim::Adam adam(t->module().parameters());
  const TrainState state = load_checkpoint(ckpt, *t, adam);
  EXPECT_GE(state.epoch, 1);
  EXPECT_EQ(static_cast<int64_t>(state.history.size()), state.epoch);
}

// Evaluation shared by ranks: the workers below (this program, started with the torchrun
// variables by launch_local_workers) evaluate a model file on the validation and test splits;
// their metrics must equal this process's exactly. The splits are large enough for several
// evaluation batches (N-body evaluates 100 simulations a batch, molecules 64).
std::unique_ptr<Task> eval_task(const std::string& kind, const std::string& dir) {
  if (kind == "molecules") {
    const std::string file = (fs::path(dir) / "many.extxyz").string();
    if (!fs::exists(file)) testing::write_pair_potential_molecules(file, 200, 5);
    MoleculeConfig c = testing::tiny_molecule_config(dir, (fs::path(dir) / "unused").string());
    c.data.file = file;
    c.data.num_train = 10;
    c.data.num_valid = 100;
    c.data.num_test = 90;
    return std::make_unique<MoleculeTask>(c);
  }
  NBodyConfig c = testing::tiny_nbody_config((fs::path(dir) / "nbody_eval").string(),
                                             (fs::path(dir) / "unused").string(), 250);
  c.data.num_test = 120;
  return std::make_unique<NBodyTask>(c);
}

// "loss values... count json" of a split's metrics, every double exactly (hexadecimal).
std::string metrics_text(const Metrics& m) {
  std::string s = format("%a", m.loss);
  for (double v : m.values) s += " " + format("%a", v);
  return s + " " + std::to_string(m.count) + " " + m.json + "\n";
}

// Rows of 7 batches of different lengths holding values an all-reduce could alter: both zeros,
// NaN, infinities, a subnormal; every double exactly (hexadecimal).
std::vector<double> awkward_row(int64_t b) {
  std::vector<double> r = {
      static_cast<double>(b), -0.0,      0.0,
      std::nan(""),           -INFINITY, 4.9e-324 * static_cast<double>(b + 1)};
  r.resize(static_cast<size_t>(1 + b % 4 + (b == 6 ? 2 : 0)));
  return r;
}
std::string rows_text(const std::vector<std::vector<double>>& rows) {
  std::string s;
  for (const auto& r : rows) {
    for (double v : r) s += format("%a ", v);
    s += "\n";
  }
  return s;
}

// Worker mode of this program: SE3T_EVAL_WORKER=KIND:DIR.
int eval_worker(const std::string& spec) {
  at::set_num_threads(1);
  const std::string kind = spec.substr(0, spec.find(':')), dir = spec.substr(spec.find(':') + 1);
  std::unique_ptr<Task> t = eval_task(kind, dir);
  t->load_data(nullptr);
  t->build_model();
  load_model_file((fs::path(dir) / "model.pt").string(), *t);
  const auto comm =
      std::make_shared<distributed::Communicator>(distributed::world_from_environment(), 60.0);
  distributed::DataParallel dp(comm, 25.0);
  std::string text;
  for (Split s : {Split::kValid, Split::kTest}) text += metrics_text(dp.evaluate(*t, s));
  if (dp.is_root()) std::ofstream((fs::path(dir) / "shared.txt").string()) << text;
  const std::string rows = rows_text(distributed::shared_batch_rows(comm.get(), 7, awkward_row));
  std::ofstream((fs::path(dir) / ("rows" + std::to_string(comm->rank()) + ".txt")).string())
      << rows;
  return 0;
}

TEST_P(DataParallel, EvaluationSharedByRanksEqualsOneProcessExactly) {
  at::set_num_threads(1);
  std::unique_ptr<Task> t = eval_task(kind(), dir_.str());
  t->load_data(nullptr);
  t->build_model();
  ASSERT_GT(t->eval_batches(Split::kValid), 1);
  ASSERT_GT(t->eval_batches(Split::kTest), 1);
  save_model_file(dir_ / "model.pt", *t);
  std::string text;
  for (Split s : {Split::kValid, Split::kTest}) text += metrics_text(t->evaluate(s));
  setenv("SE3T_EVAL_WORKER", (kind() + ":" + dir_.str()).c_str(), 1);
  std::ostringstream launcher_log;
  const int code = distributed::launch_local_workers(2, {}, launcher_log);
  unsetenv("SE3T_EVAL_WORKER");
  ASSERT_EQ(code, 0) << launcher_log.str();
  EXPECT_EQ(testing::read_text(dir_ / "shared.txt"), text);
  // Every rank received every batch's row as computed, in batch order.
  const std::string rows = rows_text(rows_in_order(7, awkward_row));
  EXPECT_EQ(testing::read_text(dir_ / "rows0.txt"), rows);
  EXPECT_EQ(testing::read_text(dir_ / "rows1.txt"), rows);
}

INSTANTIATE_TEST_SUITE_P(Tasks, DataParallel, ::testing::Values("nbody", "molecules"));

}  // namespace
}  // namespace se3t

// This program is also the evaluation worker of the test above.
int main(int argc, char** argv) {
  se3t::testing::init_test_process(argv);
  if (const char* spec = std::getenv("SE3T_EVAL_WORKER")) {
    try {
      return se3t::eval_worker(spec);
    } catch (const std::exception& e) {
      std::cerr << "evaluation worker: " << e.what() << "\n";
      return 1;
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

#include "common/run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/temp_dir.h"

namespace se3t::testing {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

pid_t start_command(const std::vector<std::string>& args, const std::string& out_path,
                    const std::string& err_path) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(127);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_command(pid_t pid, int* signal) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFSIGNALED(status)) {
    if (signal) *signal = WTERMSIG(status);
    return -1;
  }
  if (signal) *signal = 0;
  return WEXITSTATUS(status);
}

CommandResult run_command(const std::vector<std::string>& args, double timeout_s) {
  TempDir dir("command");
  const pid_t pid = start_command(args, dir / "out", dir / "err");
  CommandResult r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  } else {
    r.exit_code = WEXITSTATUS(status);
  }
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  return r;
}

std::string se3t_program() {
#ifdef SE3T_CLI_PATH
  return SE3T_CLI_PATH;
#else
  const char* p = std::getenv("SE3T_CLI");
  return p ? p : "se3t";
#endif
}

}  // namespace se3t::testing

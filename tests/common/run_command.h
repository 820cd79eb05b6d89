// Runs a program as a child process (no shell), capturing its stdout and stderr: for tests of
// the se3t command line, which must fail with messages and exit codes, never with a signal.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace se3t::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that ended it, 0 if it exited
  std::string out, err;
};

// Runs args[0] with args[1..] and waits for it; killed (SIGKILL) after timeout_s.
CommandResult run_command(const std::vector<std::string>& args, double timeout_s = 300);

// Starts args in the background with stdout and stderr sent to the given files.
pid_t start_command(const std::vector<std::string>& args, const std::string& out_path,
                    const std::string& err_path);
// Waits for a started command; its exit code, or -1 if a signal ended it (then *signal is set).
int wait_command(pid_t pid, int* signal = nullptr);

// The se3t program under test (SE3T_CLI_PATH from CMake).
std::string se3t_program();

}  // namespace se3t::testing

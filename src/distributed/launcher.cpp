#include "se3t/distributed/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "se3t/util/check.h"

extern char** environ;

namespace se3t::distributed {
namespace {

// The workers, for the signal handler (async-signal-safe: kill only).
constexpr int kMaxWorkers = 1024;
volatile pid_t g_workers[kMaxWorkers];
volatile int g_num_workers = 0;
volatile std::sig_atomic_t g_forwarded = 0;

extern "C" void forward_stop(int) {
  if (g_forwarded) return;
  g_forwarded = 1;
  for (int i = 0; i < g_num_workers; ++i) {
    if (g_workers[i] > 0) kill(g_workers[i], SIGTERM);
  }
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return "was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

bool failed(int status) {
  if (WIFSIGNALED(status)) return true;
  const int code = WEXITSTATUS(status);
  return code != 0 && code != 130;
}

}  // namespace

int free_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  SE3T_CHECK(fd >= 0, "cannot open a socket: ", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const int err = errno;
  close(fd);
  SE3T_CHECK(ok, "cannot find a free port on 127.0.0.1: ", std::strerror(err));
  return ntohs(addr.sin_port);
}

int launch_local_workers(int nproc, const std::vector<std::string>& args, std::ostream& log,
                         double grace_s) {
  SE3T_CHECK(nproc >= 1 && nproc <= kMaxWorkers, "--nproc must be in [1, ", kMaxWorkers, "], got ",
             nproc);
  const int port = free_local_port();
  const std::string exe = "/proc/self/exe";
  const std::string who = args.empty() ? "se3t" : "se3t " + args[0];
  std::vector<std::string> argv_s{"se3t"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Our handlers while the workers run; the workers get the default dispositions back.
  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = forward_stop;
  sigemptyset(&sa.sa_mask);
  g_forwarded = 0;
  g_num_workers = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

  std::vector<pid_t> pids;
  std::string spawn_error;
  for (int rank = 0; rank < nproc; ++rank) {
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      const std::string key = kv.substr(0, kv.find('='));
      if (key == "MASTER_ADDR" || key == "MASTER_PORT" || key == "WORLD_SIZE" || key == "RANK" ||
          key == "LOCAL_RANK" || key == "LOCAL_WORLD_SIZE") {
        continue;
      }
      env_s.push_back(kv);
    }
    env_s.push_back("MASTER_ADDR=127.0.0.1");
    env_s.push_back("MASTER_PORT=" + std::to_string(port));
    env_s.push_back("WORLD_SIZE=" + std::to_string(nproc));
    env_s.push_back("RANK=" + std::to_string(rank));
    env_s.push_back("LOCAL_RANK=" + std::to_string(rank));
    env_s.push_back("LOCAL_WORLD_SIZE=" + std::to_string(nproc));
    std::vector<char*> envp;
    for (std::string& kv : env_s) envp.push_back(kv.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, exe.c_str(), nullptr, &attr, argv.data(), envp.data());
    if (rc != 0) {
      spawn_error = "cannot start worker rank " + std::to_string(rank) + ": " + std::strerror(rc);
      break;
    }
    pids.push_back(pid);
    g_workers[g_num_workers] = pid;
    g_num_workers = g_num_workers + 1;
  }
  posix_spawnattr_destroy(&attr);

  std::vector<int> status(pids.size(), 0);
  std::vector<bool> done(pids.size(), false);
  size_t running = pids.size();
  bool failure = !spawn_error.empty();
  if (failure) {
    log << who << ": " << spawn_error << "; stopping the other workers\n";
    for (pid_t p : pids) kill(p, SIGTERM);
  }
  auto reap = [&](pid_t pid, int st) {
    for (size_t r = 0; r < pids.size(); ++r) {
      if (pids[r] != pid || done[r]) continue;
      done[r] = true;
      status[r] = st;
      g_workers[r] = 0;
      --running;
      if (failed(st) && !failure) {
        failure = true;
        log << who << ": worker rank " << r << " (pid " << pid << ") " << describe_status(st)
            << "; stopping the other workers\n";
        log.flush();
        for (size_t o = 0; o < pids.size(); ++o) {
          if (!done[o]) kill(pids[o], SIGTERM);
        }
      }
    }
  };
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (running > 0) {
    if (failure && deadline == std::chrono::steady_clock::time_point::max()) {
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(static_cast<int64_t>(grace_s * 1000));
    }
    int st = 0;
    const pid_t pid = waitpid(-1, &st, failure ? WNOHANG : 0);
    if (pid > 0) {
      reap(pid, st);
      continue;
    }
    if (pid < 0 && errno != EINTR) break;  // no children left
    if (failure && std::chrono::steady_clock::now() > deadline) {
      for (size_t o = 0; o < pids.size(); ++o) {
        if (!done[o]) {
          log << who << ": worker rank " << o << " did not stop within " << grace_s
              << " s: killing it\n";
          kill(pids[o], SIGKILL);
        }
      }
      deadline += std::chrono::hours(24);
    }
    if (failure) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  g_num_workers = 0;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (failure) return 1;
  for (int st : status) {
    if (WIFEXITED(st) && WEXITSTATUS(st) == 130) return 130;
  }
  return 0;
}

}  // namespace se3t::distributed

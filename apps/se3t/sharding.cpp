#include "sharding.h"

#include <iostream>
#include <memory>

#include "se3t/distributed/communicator.h"
#include "se3t/distributed/launcher.h"
#include "se3t/distributed/shared_batches.h"
#include "se3t/util/check.h"
#include "se3t/util/threads.h"

namespace se3t::cli {

namespace {

std::vector<std::string>& command_line() {
  static std::vector<std::string> args;
  return args;
}

}  // namespace

void remember_command_line(int argc, char** argv) {
  command_line().assign(argv + 1, argv + argc);
}

std::vector<std::string> command_line_without_nproc() {
  const std::vector<std::string>& all = command_line();
  std::vector<std::string> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == "--nproc") {
      ++i;  // and its value
    } else if (all[i].rfind("--nproc=", 0) != 0) {
      out.push_back(all[i]);
    }
  }
  return out;
}

std::optional<int> launch_sharded(int nproc) {
  if (nproc <= 1) return std::nullopt;
  SE3T_CHECK(distributed::world_from_environment().size == 1,
             "--nproc starts local workers itself: unset WORLD_SIZE (the torchrun variables "
             "alone make this process one rank of a larger job)");
  const int code =
      distributed::launch_local_workers(nproc, command_line_without_nproc(), std::cerr);
  return code == 0 ? 0 : 1;
}

Shards join_shards(int64_t threads, double timeout_s) {
  Shards s;
  s.world = distributed::world_from_environment();
  if (s.world.size == 1) {
    s.threads = configure_threads(threads);
    return s;
  }
  s.threads = configure_threads(distributed::threads_per_process(threads, s.world));
  s.batch_rows =
      distributed::shared_batches(std::make_shared<distributed::Communicator>(s.world, timeout_s));
  return s;
}

}  // namespace se3t::cli

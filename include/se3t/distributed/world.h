// The processes of a data-parallel job as torchrun describes them: environment variables
// MASTER_ADDR, MASTER_PORT (the rendezvous: rank 0 serves a TCPStore there), WORLD_SIZE, RANK,
// LOCAL_RANK and LOCAL_WORLD_SIZE (processes on this machine). `se3t train --nproc N` sets them
// for its local workers (se3t/distributed/launcher.h); on several machines a scheduler or the
// user sets them for one se3t process per rank.
#pragma once
#include <cstdint>
#include <string>

namespace se3t::distributed {

struct World {
  int rank = 0;
  int size = 1;  // 1: a single process, no rendezvous
  int local_rank = 0;
  int local_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// The job this process belongs to, from the environment; a single process when WORLD_SIZE is
// unset. Throws se3t::Error naming the variable for a malformed or inconsistent value.
World world_from_environment();

// Intra-op threads of one process: `threads` when > 0, else the machine's hardware threads
// shared among the processes on this machine (at least 1).
int64_t threads_per_process(int64_t threads, const World& world);

}  // namespace se3t::distributed

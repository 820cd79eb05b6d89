// --nproc of se3t eval and se3t predict: their batches shared among processes like training's
// evaluation (se3t/distributed/shared_batches.h). `--nproc N` starts N local workers of the
// same command line (se3t/distributed/launcher.h); the torchrun variables alone make the
// process one rank of a job. Every rank computes its share and receives every batch's numbers;
// rank 0 alone prints and writes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "se3t/distributed/world.h"
#include "se3t/util/batch_rows.h"

namespace se3t::cli {

// The arguments of this process (main keeps them for the workers' command line).
void remember_command_line(int argc, char** argv);

// This command line, without its --nproc option.
std::vector<std::string> command_line_without_nproc();

// nproc > 1: runs this command line without --nproc as nproc local workers and returns their
// exit status once they are done (0; 1 when one failed, named on stderr). Otherwise nothing.
// Throws when the torchrun variables already make this process a rank.
std::optional<int> launch_sharded(int nproc);

struct Shards {
  distributed::World world;
  int64_t threads = 1;   // intra-op threads now in effect
  BatchRows batch_rows;  // empty for a single process: batches in order here
  bool root() const { return world.rank == 0; }
};

// This process's place in the job of the torchrun variables (a single process without them):
// its threads (`threads` > 0, else the cores shared among the local processes) and, in a job,
// the rendezvous, every collective giving up after timeout_s.
Shards join_shards(int64_t threads, double timeout_s);

}  // namespace se3t::cli

// `se3t train --nproc N` (and eval, predict): N worker processes on this machine, started and
// watched like torchrun's. Each runs the same command with the torchrun variables of its rank
// (se3t/distributed/world.h) and a rendezvous on a free localhost port; the launcher waits for
// them. The first worker that fails (non-zero exit, or killed by a signal) is named on the log,
// and the others are ended: SIGTERM, then SIGKILL after a grace period. SIGINT or SIGTERM sent
// to the launcher reaches the workers as one SIGTERM (they stop after the current step and
// rank 0 writes a checkpoint).
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace se3t::distributed {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_local_port();

// Runs `args` (the arguments after the program name) as `nproc` workers of this program
// (/proc/self/exe). Returns 0 when every worker succeeded, 130 when they stopped on an
// interrupt (exit status 130), 1 when one failed.
int launch_local_workers(int nproc, const std::vector<std::string>& args, std::ostream& log,
                         double grace_s = 10.0);

}  // namespace se3t::distributed

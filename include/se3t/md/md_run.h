// A molecular dynamics run with its files: the trajectory (extended XYZ frames, se3t/md/
// trajectory.h) and the thermo log (CSV) every `every` steps, a progress bar, Ctrl-C
// (se3t/util/stop_signals.h) stopping after the current step, and a restart file at the end
// from which the run continues bit for bit. Outputs are written through temporaries and
// renamed at the end (se3t/util/atomic_file.h), so an interrupted run leaves complete files.
#pragma once
#include <cstdint>
#include <string>

#include "se3t/md/dynamics.h"
#include "se3t/md/md_state.h"
#include "se3t/md/potential.h"

namespace se3t::md {

struct MdRunOptions {
  int64_t steps = 0;        // the run ends at this step (counted from the start frame's 0)
  int64_t every = 10;       // trajectory frame and log row every this many steps
  std::string trajectory;   // .extxyz
  std::string log;          // thermo CSV; "" for none
  std::string restart;      // restart file written at the end; "" for none
  int64_t stop_after = -1;  // >= 0: stop as if interrupted after this many steps
  bool progress = false;    // the progress bar on stderr
};

struct MdRunResult {
  Thermo first, last;  // at the start state and at the last step done
  int64_t frames = 0;  // trajectory frames written
  bool interrupted = false;
  double max_energy_drift = 0.0;  // max |E_total - E_total(first)| over the logged steps (eV)
  double seconds = 0.0;           // wall time of the steps
};

// Runs from `state` (forces evaluated) to options.steps. `continued`: the state comes from a
// restart file, whose frame the previous run wrote already, so the trajectory starts after it;
// otherwise the start state is the first frame. Throws se3t::Error for bad options or a state
// the potential cannot continue (non-finite energy), leaving no partial outputs.
MdRunResult run_md(MdState& state, Potential& potential, const MdSettings& settings,
                   const MdRunOptions& options, bool continued);

// "step,time_fs,potential_ev,kinetic_ev,total_ev,temperature_k" and its rows.
std::string thermo_csv_header();
std::string thermo_csv_row(const Thermo& t);

}  // namespace se3t::md

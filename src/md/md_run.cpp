#include "se3t/md/md_run.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <sstream>

#include "se3t/md/trajectory.h"
#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"
#include "se3t/util/progress.h"
#include "se3t/util/stop_signals.h"
#include "se3t/util/text.h"

namespace se3t::md {

std::string thermo_csv_header() {
  return "step,time_fs,potential_ev,kinetic_ev,total_ev,temperature_k\n";
}

std::string thermo_csv_row(const Thermo& t) {
  return std::to_string(t.step) + "," + format_real(t.time_fs) + "," + format_real(t.potential) +
         "," + format_real(t.kinetic) + "," + format_real(t.total) + "," +
         format_real(t.temperature_k) + "\n";
}

MdRunResult run_md(MdState& state, Potential& potential, const MdSettings& settings,
                   const MdRunOptions& options, bool continued) {
  settings.validate();
  SE3T_CHECK(options.every >= 1, "md: the trajectory interval must be >= 1 step, got ",
             options.every);
  SE3T_CHECK(options.steps >= state.step, "md: the run is to end at step ", options.steps,
             " but the state is at step ", state.step, " already");
  SE3T_CHECK(state.forces.defined(), "md: the forces of the start state are not evaluated");
  AtomicFile trajectory(options.trajectory, "trajectory");
  std::unique_ptr<AtomicFile> log;
  if (!options.log.empty()) {
    log = std::make_unique<AtomicFile>(options.log, "thermo log");
    log->write(thermo_csv_header());
  }
  MdRunResult r;
  const auto record = [&](const Thermo& t) {
    std::ostringstream frame;
    write_extxyz(frame, trajectory_frame(state, t));
    trajectory.write(frame.str());
    ++r.frames;
    if (log) log->write(thermo_csv_row(t));
    r.max_energy_drift = std::max(r.max_energy_drift, std::abs(t.total - r.first.total));
  };
  r.first = r.last = thermo(state, settings);
  if (!continued) record(r.first);

  StopSignals signals;
  ProgressBar bar(options.progress);
  bar.start();
  const int64_t first_step = state.step;
  const auto start = std::chrono::steady_clock::now();
  while (state.step < options.steps) {
    advance(state, potential, settings);
    const bool last = state.step == options.steps;
    const bool stop = StopSignals::requested() ||
                      (options.stop_after >= 0 && state.step - first_step >= options.stop_after);
    if (state.step % options.every == 0 || last || stop) {
      r.last = thermo(state, settings);
      record(r.last);
      bar.update("md", state.step - first_step, options.steps - first_step,
                 "T " + format("%.0f", r.last.temperature_k) + " K  E " +
                     format("%.6g", r.last.total) + " eV");
    }
    if (stop && !last) {
      r.interrupted = true;
      break;
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.last = thermo(state, settings);
  bar.clear();
  // The restart first: a trajectory is only ever renamed into place with its restart beside it.
  if (!options.restart.empty()) {
    std::ostringstream frame;
    write_extxyz(frame, restart_frame(state, settings));
    write_file_atomic(options.restart, frame.str(), "restart file");
  }
  trajectory.commit();
  if (log) log->commit();
  return r;
}

}  // namespace se3t::md

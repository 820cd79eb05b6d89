// Molecular dynamics states as extended XYZ frames: the start frame, the trajectory frames and
// the restart file that continues a run exactly.
//
// A trajectory frame holds species, pos (A), forces (eV/A), velocities:R:3 (A/fs), the cell
// (Lattice, pbc) when there is one, and info step, time_fs, energy (potential, eV),
// kinetic_energy (eV) and temperature (K), so ASE and se3t predict read it as they are. A
// restart frame adds the run's settings (md_ensemble, md_dt_fs, ...); every real is written in
// the shortest form that reads back to the same double, so a continued run is bit for bit the
// uninterrupted one.
#pragma once
#include <string>

#include "se3t/data/extxyz.h"
#include "se3t/md/dynamics.h"
#include "se3t/md/md_state.h"

namespace se3t::md {

// A state from a start frame: species, positions, the cell, and the velocities of a
// velocities:R:3 column when the frame has one (*has_velocities says which). Forces are left
// unevaluated. Errors name `source`.
MdState state_from_frame(const Frame& frame, const std::string& source, bool* has_velocities);

Frame trajectory_frame(const MdState& state, const Thermo& thermo);

Frame restart_frame(const MdState& state, const MdSettings& settings);

struct Restart {
  MdState state;  // with the forces and energy of its positions, as saved
  MdSettings settings;
};
// Reads a file written from restart_frame (the last frame if it has several). Throws
// se3t::Error naming the file when it lacks velocities, forces, the step or a setting.
Restart read_restart(const std::string& path);

}  // namespace se3t::md

// Runs LAMMPS (lmp, or mpirun -np N lmp) on an input written by a test, in a directory of its
// own (LAMMPS and KIM write log.lammps and kim.log into the working directory), and reads back
// what the input printed and dumped: the se3t KIM tests compare these with the model's own
// predictions.
#pragma once
#include <array>
#include <map>
#include <string>
#include <vector>

#include "se3t/data/molecule_dataset.h"

namespace se3t::testing {

// The programs the KIM tests need; empty when CMake did not find one.
std::string lmp_program();
std::string mpirun_program();
std::string kim_collections_management_program();
// Where the build put the model driver (KIM_API_MODEL_DRIVERS_DIR); empty without KIM.
std::string kim_drivers_dir();

// A LAMMPS data file (atom_style atomic) of `m`: type k + 1 is element type_symbols[k]. A
// periodic molecule's cell must be orthorhombic with a corner at the origin; its atoms are
// wrapped into it. A non-periodic one gets a box `margin` A beyond its atoms.
void write_lammps_data(const std::string& path, const Molecule& m,
                       const std::vector<std::string>& type_symbols, double margin = 5.0);

struct DumpFrame {
  long step = 0;
  std::vector<std::array<double, 3>> x, f;  // sorted by atom id
  std::vector<double> extra;                // an 8th column (e.g. c_pe per atom), if any
};

struct LammpsRun {
  int exit_code = -1, signal = 0;
  std::string output;  // stdout and stderr
  // Lines "SE3T key value key value ..." that the input printed, by key (the last one wins).
  std::map<std::string, double> values;
  // The frames of DIR/dump.txt, if any: columns id x y z fx fy fz [one more].
  std::vector<DumpFrame> dump;
};

// Writes `input` as DIR/in.lmp and runs it in DIR on `ranks` MPI ranks (1: lmp alone).
LammpsRun run_lammps(const std::string& dir, const std::string& input, int ranks = 1,
                     double timeout_s = 300);

}  // namespace se3t::testing

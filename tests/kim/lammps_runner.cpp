#include "kim/lammps_runner.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "common/run_command.h"
#include "se3t/data/elements.h"

namespace se3t::testing {

std::string lmp_program() {
#ifdef SE3T_LMP_PROGRAM
  return SE3T_LMP_PROGRAM;
#else
  return "";
#endif
}

std::string mpirun_program() {
#ifdef SE3T_MPIRUN_PROGRAM
  return SE3T_MPIRUN_PROGRAM;
#else
  return "";
#endif
}

std::string kim_collections_management_program() {
#ifdef SE3T_KIM_COLLECTIONS_MANAGEMENT
  return SE3T_KIM_COLLECTIONS_MANAGEMENT;
#else
  return "";
#endif
}

std::string kim_drivers_dir() {
#ifdef SE3T_KIM_DRIVERS_DIR
  return SE3T_KIM_DRIVERS_DIR;
#else
  return "";
#endif
}

void write_lammps_data(const std::string& path, const Molecule& m,
                       const std::vector<std::string>& type_symbols, double margin) {
  std::array<double, 3> lo{}, hi{};
  if (m.periodic()) {
    const Cell& c = *m.cell;
    for (int a = 0; a < 3; ++a) {
      for (int b = 0; b < 3; ++b) {
        if (a != b && c[a][b] != 0.0) throw std::runtime_error("cell is not orthorhombic");
      }
      hi[a] = c[a][a];
    }
  } else {
    lo.fill(std::numeric_limits<double>::infinity());
    hi.fill(-std::numeric_limits<double>::infinity());
    for (const auto& p : m.positions) {
      for (int a = 0; a < 3; ++a) {
        lo[a] = std::min(lo[a], p[a] - margin);
        hi[a] = std::max(hi[a], p[a] + margin);
      }
    }
  }
  std::ofstream out(path);
  out.precision(17);
  out << "se3t KIM test\n\n" << m.size() << " atoms\n" << type_symbols.size() << " atom types\n\n";
  const char* axis[3] = {"x", "y", "z"};
  for (int a = 0; a < 3; ++a) {
    out << lo[a] << ' ' << hi[a] << ' ' << axis[a] << "lo " << axis[a] << "hi\n";
  }
  out << "\nMasses\n\n";
  for (size_t k = 0; k < type_symbols.size(); ++k) {
    out << k + 1 << ' ' << atomic_mass(atomic_number(type_symbols[k])) << '\n';
  }
  out << "\nAtoms # atomic\n\n";
  for (int64_t i = 0; i < m.size(); ++i) {
    int type = 0;
    for (size_t k = 0; k < type_symbols.size(); ++k) {
      if (atomic_number(type_symbols[k]) == m.numbers[i]) type = static_cast<int>(k) + 1;
    }
    if (type == 0) throw std::runtime_error("element without an atom type");
    out << i + 1 << ' ' << type;
    for (int a = 0; a < 3; ++a) {
      double x = m.positions[i][a];
      if (m.periodic()) x -= std::floor(x / hi[a]) * hi[a];  // into [0, L)
      out << ' ' << x;
    }
    out << '\n';
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

namespace {

std::vector<DumpFrame> read_dump(const std::string& path) {
  std::ifstream in(path);
  std::vector<DumpFrame> frames;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("ITEM: TIMESTEP", 0) != 0) continue;
    DumpFrame f;
    std::getline(in, line);
    f.step = std::stol(line);
    std::getline(in, line);  // ITEM: NUMBER OF ATOMS
    std::getline(in, line);
    const long n = std::stol(line);
    for (int k = 0; k < 4; ++k) std::getline(in, line);  // box bounds
    std::getline(in, line);                              // ITEM: ATOMS id x y z fx fy fz ...
    std::istringstream header(line);
    int columns = -2;  // "ITEM:" and "ATOMS"
    for (std::string word; header >> word;) ++columns;
    if (columns != 7 && columns != 8) throw std::runtime_error("dump: unexpected columns");
    f.x.resize(n);
    f.f.resize(n);
    if (columns == 8) f.extra.resize(n);
    for (long i = 0; i < n; ++i) {
      long id = 0;
      in >> id;
      if (id < 1 || id > n) throw std::runtime_error("dump: bad atom id");
      auto& x = f.x[id - 1];
      auto& g = f.f[id - 1];
      in >> x[0] >> x[1] >> x[2] >> g[0] >> g[1] >> g[2];
      if (columns == 8) in >> f.extra[id - 1];
    }
    std::getline(in, line);
    frames.push_back(std::move(f));
  }
  return frames;
}

}  // namespace

LammpsRun run_lammps(const std::string& dir, const std::string& input, int ranks,
                     double timeout_s) {
  {
    std::ofstream in(dir + "/in.lmp");
    in << input;
  }
  std::string command = "cd '" + dir + "' && exec ";
  if (ranks > 1) {
    // Local ranks over shared memory, mpirun's own control channel on loopback only; as root
    // Open MPI needs --allow-run-as-root.
    command += mpirun_program() +
               " --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader"
               " --mca oob_tcp_if_include lo -np " +
               std::to_string(ranks) + " ";
  }
  command += lmp_program() + " -in in.lmp -log log.lammps";
  const CommandResult r = run_command({"/bin/sh", "-c", command}, timeout_s);
  LammpsRun run;
  run.exit_code = r.exit_code;
  run.signal = r.signal;
  run.output = r.out + r.err;
  std::istringstream out(r.out);
  std::string line;
  while (std::getline(out, line)) {
    if (line.rfind("SE3T ", 0) != 0) continue;
    std::istringstream words(line.substr(5));
    std::string key, value;
    while (words >> key >> value) run.values[key] = std::stod(value);
  }
  run.dump = read_dump(dir + "/dump.txt");
  return run;
}

}  // namespace se3t::testing

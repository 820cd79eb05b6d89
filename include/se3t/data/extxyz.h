// Extended XYZ (the ASE convention) reader and writer. Plain C++17, no LibTorch, so that the
// fuzzer (tests/fuzz) can compile the parsers alone.
//
// Format, per frame: line 1 the atom count; line 2 `Properties=name:type:columns:...` plus
// key=value pairs (values may be double-quoted, backslash escaping a quote or backslash, or
// bracketed [..] / {..}); then one line per atom with the columns Properties announces. Types
// are S (string), R (real), I (integer) and L (logical T/F). `species:S:1` and `pos:R:3` are
// required, `forces:R:3` is optional, other per-atom properties are kept as text.
// `Lattice="ax ay az bx by bz cx cy cz"` and `pbc="T T F"` become Frame::cell and Frame::pbc
// (ASE's reading: rows a, b, c; pbc 1 or 3 logicals; a Lattice without pbc is periodic in all
// three directions; pbc without a Lattice must be all F).
#pragma once
#include <array>
#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace se3t {

// A per-atom property other than species / pos / forces, kept verbatim so it round-trips.
struct AtomProperty {
  std::string name;
  char type = 'R';                  // 'S', 'R', 'I' or 'L'
  int columns = 1;                  // values per atom
  std::vector<std::string> values;  // num_atoms * columns, atom-major, as written in the file
};

// A periodic cell: rows are the lattice vectors a, b, c (Angstrom), as ASE's Atoms.cell.
using Cell = std::array<std::array<double, 3>, 3>;

// Throws se3t::Error starting with `where` unless the rows of `cell` are finite and span a
// right-handed cell, (a x b) . c > 0, not degenerate (volume > 1e-9 |a| |b| |c|).
void check_cell(const Cell& cell, const std::string& where);

// (a x b) . c: the cell's volume, negative for a left-handed cell.
double cell_determinant(const Cell& cell);

// One molecule / configuration.
struct Frame {
  std::vector<std::string> species;              // element symbols
  std::vector<std::array<double, 3>> positions;  // Angstrom
  std::vector<std::array<double, 3>> forces;     // empty when the file has none
  std::map<std::string, std::string> info;       // frame key=value pairs, quotes removed
  std::vector<AtomProperty> atom_properties;     // other per-atom columns, in file order
  std::optional<Cell> cell;                      // from Lattice=...; nullopt when absent
  std::array<bool, 3> pbc{false, false, false};  // periodic along a, b, c; all false without cell

  std::size_t size() const { return species.size(); }
  // Whether a cell is set and periodic in at least one direction.
  bool periodic() const { return cell.has_value() && (pbc[0] || pbc[1] || pbc[2]); }
  bool has_forces() const { return !forces.empty(); }

  // info[key] as a number; nullopt when the key is absent. Throws se3t::Error when the value
  // is present but is not a (finite or non-finite) number, so a typo never reads as "absent".
  std::optional<double> number(const std::string& key) const;
};

// Streaming reader: one frame per next(), so a large file never has to fit in memory twice.
// Errors throw se3t::Error with "source:line: what"; after an error the reader is unusable.
class ExtxyzReader {
 public:
  explicit ExtxyzReader(std::istream& in, std::string source_name = "<stream>");

  // Reads the next frame into `frame` (overwriting it). Returns false at end of input;
  // blank lines between frames and at the end are skipped.
  bool next(Frame& frame);

  // 1-based number of the last line read (0 before the first).
  int64_t line_number() const { return line_; }

  // Frames with more atoms than this are rejected before anything is allocated.
  static constexpr int64_t kMaxAtoms = 1000000;

 private:
  bool read_line(std::string& line);

  std::istream& in_;
  std::string source_;
  int64_t line_ = 0;
  bool failed_ = false;
};

// All frames of a file / stream. A path ending in .gz is read gzip-compressed (zlib; defined
// in src/data/extxyz_file.cpp so that the parser itself stays std-only).
std::vector<Frame> read_extxyz(const std::string& path);
std::vector<Frame> read_extxyz(std::istream& in, const std::string& source_name);

// Writes one frame: Lattice and pbc when a cell is set, Properties from what is present
// (species, pos, forces if any, then atom_properties), info sorted by key, values quoted when
// needed, reals printed in the shortest form that reads back to the same double. Throws se3t::Error
// for an inconsistent frame (sizes, non-finite reals, keys or species that cannot be written, info
// keys Lattice or pbc, a bad cell, pbc without a cell).
void write_extxyz(std::ostream& out, const Frame& frame);
void write_extxyz(const std::string& path, const std::vector<Frame>& frames);

}  // namespace se3t

#include "se3t/data/pdb.h"

#include <zlib.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "se3t/data/elements.h"
#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"
#include "se3t/util/gzip_file.h"

namespace se3t {

namespace {

// 1-based inclusive columns [first, last] of a fixed-column record, clipped to the line.
std::string columns(const std::string& line, size_t first, size_t last) {
  if (line.size() < first) return {};
  return line.substr(first - 1, std::min(last, line.size()) - first + 1);
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// "FE" -> "Fe", "c" -> "C": PDB files write element symbols in upper case.
std::string standard_case(const std::string& s) {
  std::string out = s;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(i == 0 ? std::toupper(static_cast<unsigned char>(out[i]))
                                      : std::tolower(static_cast<unsigned char>(out[i])));
  }
  return out;
}

double coordinate(const std::string& line, size_t first, const char* axis,
                  const std::string& where) {
  const std::string field = trim(columns(line, first, first + 7));
  char* end = nullptr;
  const double v = field.empty() ? 0.0 : std::strtod(field.c_str(), &end);
  SE3T_CHECK(!field.empty() && end == field.c_str() + field.size(), where, ": ", axis,
             " coordinate '", field, "' (columns ", first, "-", first + 7, ") is not a number");
  SE3T_CHECK(std::isfinite(v), where, ": ", axis, " coordinate '", field, "' is not finite");
  return v;
}

// Element from the atom name when columns 77-78 are blank: by convention a one-letter element
// sits in column 14 of the name and a two-letter one starts in column 13 (" CA " is a carbon,
// "CA  " calcium). Standard residues never hold two-letter elements, and their hydrogens may
// start in column 13 ("HG21"), so only HETATM records try two letters.
std::string element_from_name(const std::string& line, bool hetero) {
  const std::string name = columns(line, 13, 16);
  if (hetero && name.size() >= 2 && std::isalpha(static_cast<unsigned char>(name[0])) &&
      std::isalpha(static_cast<unsigned char>(name[1]))) {
    const std::string two = standard_case(name.substr(0, 2));
    if (is_element_symbol(two)) return two;
  }
  for (char c : name.substr(0, std::min<size_t>(2, name.size()))) {
    if (std::isalpha(static_cast<unsigned char>(c))) return standard_case(std::string(1, c));
  }
  return {};
}

bool is_water(const std::string& residue) {
  return residue == "HOH" || residue == "WAT" || residue == "H2O" || residue == "DOD";
}

}  // namespace

PdbStructure parse_pdb(const std::string& text, const std::string& source,
                       const PdbReadOptions& options) {
  PdbStructure out;
  out.source = source;
  std::istringstream in(text);
  std::string line;
  int64_t number = 0;
  bool in_model = false;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string record = columns(line, 1, 6);
    const std::string where = source + ":" + std::to_string(number);
    if (record.rfind("MODEL", 0) == 0) {
      SE3T_CHECK(!in_model, where, ": MODEL inside a MODEL (missing ENDMDL)");
      in_model = true;
      continue;
    }
    // The first model ends at its ENDMDL; a file without MODEL records at END (or EOF).
    if (record.rfind("ENDMDL", 0) == 0 || record == "END" || record == "END   ") break;
    const bool hetero = record == "HETATM";
    if (record != "ATOM  " && record != "ATOM" && !hetero) continue;
    if (hetero && options.skip_hetero) continue;
    SE3T_CHECK(line.size() >= 54, where, ": ", trim(record), " record has ", line.size(),
               " columns, the coordinates need 54");
    const char altloc = line[16];
    if (altloc != ' ' && altloc != 'A') continue;
    PdbAtom atom;
    atom.hetero = hetero;
    atom.name = trim(columns(line, 13, 16));
    atom.residue = trim(columns(line, 18, 20));
    atom.chain = line[21];
    const std::string resseq = trim(columns(line, 23, 26));
    if (!resseq.empty()) {
      char* end = nullptr;
      atom.residue_number = static_cast<int>(std::strtol(resseq.c_str(), &end, 10));
      SE3T_CHECK(end == resseq.c_str() + resseq.size(), where, ": residue number '", resseq,
                 "' (columns 23-26) is not an integer");
    }
    atom.position = {coordinate(line, 31, "x", where), coordinate(line, 39, "y", where),
                     coordinate(line, 47, "z", where)};
    std::string element = trim(columns(line, 77, 78));
    // Columns 77-78 may carry digits of a misplaced charge; only letters name an element.
    if (!element.empty()) {
      element = standard_case(element);
      SE3T_CHECK(is_element_symbol(element), where, ": element '", trim(columns(line, 77, 78)),
                 "' (columns 77-78) is not an element symbol");
    } else {
      element = element_from_name(line, hetero);
      SE3T_CHECK(!element.empty() && is_element_symbol(element), where,
                 ": no element in columns 77-78 and none can be read from the atom name '",
                 columns(line, 13, 16), "'");
    }
    atom.element = element;
    atom.atomic_number = atomic_number(element);
    if (options.skip_hydrogens && atom.atomic_number == 1) continue;  // H and D
    if (options.skip_waters && is_water(atom.residue)) continue;
    out.atoms.push_back(std::move(atom));
  }
  SE3T_CHECK(!out.atoms.empty(), source, ": no ATOM/HETATM records in the first model");
  return out;
}

PdbStructure read_pdb(const std::string& path, const PdbReadOptions& options) {
  return parse_pdb(read_maybe_gzip(path, "read_pdb"), path, options);
}

void write_pdb(const std::string& path, const PdbStructure& structure) {
  std::string text;
  char line[128];
  int serial = 0;
  for (const PdbAtom& a : structure.atoms) {
    // A name of up to 3 characters starts in column 14 unless its element has two letters.
    const std::string name = a.name.size() < 4 && a.element.size() < 2 ? " " + a.name : a.name;
    std::string element = a.element;
    for (char& c : element) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::snprintf(
        line, sizeof(line), "%-6s%5d %-4s %3s %c%4d    %8.3f%8.3f%8.3f%6.2f%6.2f          %2s\n",
        a.hetero ? "HETATM" : "ATOM", ++serial % 100000, name.c_str(), a.residue.c_str(), a.chain,
        a.residue_number, a.position[0], a.position[1], a.position[2], 1.0, 0.0, element.c_str());
    text += line;
  }
  text += "END\n";
  if (has_gz_suffix(path)) {
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "wb"), gzclose);
    SE3T_CHECK(file != nullptr, "write_pdb: cannot open '", path, "' for writing");
    const int n = gzwrite(file.get(), text.data(), static_cast<unsigned>(text.size()));
    SE3T_CHECK(n == static_cast<int>(text.size()), "write_pdb: cannot write '", path, "'");
    SE3T_CHECK(gzclose(file.release()) == Z_OK, "write_pdb: cannot finish '", path, "'");
  } else {
    write_file_atomic(path, text, "PDB file");
  }
}

}  // namespace se3t

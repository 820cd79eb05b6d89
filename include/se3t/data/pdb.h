// Protein Data Bank (PDB) coordinate files: the ATOM/HETATM records of the first model, read
// by their fixed columns (wwPDB format v3.3, "Coordinate Section"). Plain or gzip-compressed
// (.pdb.gz, detected from the content, not the name). Plain C++17, no LibTorch.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace se3t {

struct PdbAtom {
  bool hetero = false;               // HETATM record
  std::string name;                  // atom name, columns 13-16, spaces trimmed ("CA")
  std::string residue;               // residue name, columns 18-20 ("ALA", "HOH")
  char chain = ' ';                  // column 22
  int residue_number = 0;            // columns 23-26
  std::array<double, 3> position{};  // x, y, z in angstrom, columns 31-38, 39-46, 47-54
  std::string element;               // symbol in standard case ("C", "Fe")
  int atomic_number = 0;
};

struct PdbReadOptions {
  bool skip_hydrogens = false;  // drop H and D atoms
  bool skip_waters = false;     // drop residues HOH, WAT, H2O, DOD
  bool skip_hetero = false;     // drop HETATM records (ligands, ions, waters): the polymer only
};

struct PdbStructure {
  std::string source;  // file name the atoms came from
  std::vector<PdbAtom> atoms;
};

// Reads the ATOM/HETATM records of the first MODEL (all of them when the file has no MODEL
// records). Of alternate locations only blank and 'A' are kept, so that an atom appears once.
// The element comes from columns 77-78; when those are blank it is derived from the atom name
// (columns 13-14: two letters for a HETATM whose name starts in column 13 and spells an
// element, e.g. "FE", otherwise the first letter). Throws se3t::Error naming the file and line
// for malformed records, unknown elements, non-finite coordinates, or a file without atoms.
PdbStructure read_pdb(const std::string& path, const PdbReadOptions& options = {});

// The same parser over text already in memory; `source` names it in error messages.
PdbStructure parse_pdb(const std::string& text, const std::string& source,
                       const PdbReadOptions& options = {});

// Writes ATOM/HETATM records (fixed columns, element in 77-78) and END; gzip-compressed when
// the path ends in ".gz". Throws se3t::Error when the file cannot be written.
void write_pdb(const std::string& path, const PdbStructure& structure);

}  // namespace se3t

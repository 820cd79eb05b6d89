// Reader for the raw QM9 files (dsgdb9nsd_NNNNNN.xyz, Ramakrishnan et al. 2014). Plain C++17.
//
// One molecule per file:
//   line 1      n, the number of atoms
//   line 2      "gdb <id>" then 15 properties: A B C mu alpha homo lumo gap r2 zpve U0 U H G Cv
//   n lines     "El x y z q": element, position (Angstrom), Mulliken partial charge (e)
//   next line   harmonic vibrational frequencies (cm^-1)
//   next line   SMILES from GDB-17, then SMILES of the relaxed geometry (tab separated)
//   next line   InChI from GDB-17, then InChI of the relaxed geometry
// Numbers may use Mathematica's exponent notation, "1.2345*^-6" meaning 1.2345e-6.
//
// The Frame's info holds the values in the file's units, as numbers printed to round-trip:
//   index   the gdb id (integer)
//   A B C   rotational constants (GHz)
//   mu      dipole moment (Debye)
//   alpha   isotropic polarizability (Bohr^3)
//   homo lumo gap   orbital energies and their gap (Hartree)
//   r2      electronic spatial extent (Bohr^2)
//   zpve    zero-point vibrational energy (Hartree)
//   U0 U H G   internal energy at 0 K and 298.15 K, enthalpy and free energy at 298.15 K
//              (Hartree; total energies, not atomization energies)
//   Cv      heat capacity at 298.15 K (cal/(mol K))
//   smiles, smiles_relaxed, inchi, inchi_relaxed   (the relaxed ones when the file has them)
//   frequencies   the frequencies, space separated
// and atom_properties holds "mulliken_charges" (R, 1 column). No forces.
#pragma once
#include <istream>
#include <string>

#include "se3t/data/extxyz.h"

namespace se3t {

// The 15 property names of line 2, in file order.
extern const char* const kQm9PropertyNames[15];

// Parses one record. Throws se3t::Error naming `source_name` and the 1-based line for any
// malformed input (bad counts, wrong field counts, non-numeric or non-finite numbers,
// truncation, trailing content).
Frame read_qm9_xyz(std::istream& in, const std::string& source_name = "<stream>");
Frame read_qm9_xyz(const std::string& path);

}  // namespace se3t

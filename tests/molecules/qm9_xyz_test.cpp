// QM9 raw records, written by hand after dsgdb9nsd_000001 (methane) and 000003 (water).
#include "se3t/data/qm9_xyz.h"

#include <gtest/gtest.h>

#include <sstream>

#include "se3t/data/elements.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

// Methane as in the raw file: tab separated, a trailing tab on the property line.
const std::string kMethane =
    "5\n"
    "gdb 1\t157.7118\t157.70997\t157.70699\t0.\t13.21\t-0.3877\t0.1171\t0.5048\t35.3641\t"
    "0.044749\t-40.47893\t-40.476062\t-40.475117\t-40.498597\t6.469\t\n"
    "C\t-0.0126981359\t 1.0858041578\t 0.0080009958\t-0.535689\n"
    "H\t 0.002150416\t-0.0060313176\t 0.0019761204\t 0.133921\n"
    "H\t 1.0117308433\t 1.4637511618\t 0.0002765748\t 0.133922\n"
    "H\t-0.540815069\t 1.4475266138\t-0.8766437152\t 0.133923\n"
    "H\t-0.5238136345\t 1.4379326443\t 0.9063972942\t 0.133923\n"
    "1341.307\t1341.3284\t1341.365\t1562.6731\t1562.7453\t3038.3205\t3151.6034\t3151.6788\t"
    "3151.7078\n"
    "C\tC\t\n"
    "InChI=1S/CH4/h1H4\tInChI=1S/CH4/h1H4\n";

// Water with Mathematica "*^" exponents (as QM9 prints tiny numbers), CRLF line ends.
const std::string kWater =
    "3\r\n"
    "gdb 3\t799.58812\t437.90386\t282.94545\t1.8511\t6.31\t-0.2928\t0.0687\t0.3615\t19.0002\t"
    "0.021375\t-76.404702\t-76.401867\t-76.400922\t-76.422349\t6.002\t\r\n"
    "O\t-0.0343604951\t 0.9775395708\t 7.6015923*^-3\t-0.589706\r\n"
    "H\t 0.0647664923\t 0.0205721989\t 1.5346341*^-3\t 0.294853\r\n"
    "H\t 0.8717903737\t 1.3007924048\t 6.931336*^-4\t 2.94853*^-1\r\n"
    "1663.2365\t3778.9561\t3884.4232\r\n"
    "O\tO\t\r\n"
    "InChI=1S/H2O/h1H2\tInChI=1S/H2O/h1H2\r\n";

Frame parse(const std::string& text) {
  std::istringstream in(text);
  return read_qm9_xyz(in, "dsgdb9nsd_test.xyz");
}

void expect_error(const std::string& text, int line, const std::string& what) {
  SCOPED_TRACE("input:\n" + text);
  try {
    parse(text);
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("dsgdb9nsd_test.xyz:" + std::to_string(line) + ": "), std::string::npos)
        << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
  }
}

// kMethane with line `index` (0-based) replaced.
std::string methane_with(int index, const std::string& replacement) {
  std::istringstream in(kMethane);
  std::string line, out;
  for (int i = 0; std::getline(in, line); ++i) out += (i == index ? replacement : line) + "\n";
  return out;
}

TEST(Qm9Xyz, ReadsMethane) {
  const Frame f = parse(kMethane);
  EXPECT_EQ(f.species, (std::vector<std::string>{"C", "H", "H", "H", "H"}));
  ASSERT_EQ(f.positions.size(), 5u);
  EXPECT_DOUBLE_EQ(f.positions[0][0], -0.0126981359);
  EXPECT_DOUBLE_EQ(f.positions[4][2], 0.9063972942);
  EXPECT_FALSE(f.has_forces());
  EXPECT_EQ(f.info.at("index"), "1");
  EXPECT_DOUBLE_EQ(*f.number("A"), 157.7118);
  EXPECT_DOUBLE_EQ(*f.number("mu"), 0.0);
  EXPECT_DOUBLE_EQ(*f.number("alpha"), 13.21);
  EXPECT_DOUBLE_EQ(*f.number("homo"), -0.3877);
  EXPECT_DOUBLE_EQ(*f.number("gap"), 0.5048);
  EXPECT_DOUBLE_EQ(*f.number("zpve"), 0.044749);
  EXPECT_DOUBLE_EQ(*f.number("U0"), -40.47893);
  EXPECT_DOUBLE_EQ(*f.number("G"), -40.498597);
  EXPECT_DOUBLE_EQ(*f.number("Cv"), 6.469);
  for (const char* name : kQm9PropertyNames) EXPECT_TRUE(f.number(name).has_value()) << name;
  EXPECT_EQ(f.info.at("smiles"), "C");
  EXPECT_EQ(f.info.at("smiles_relaxed"), "C");
  EXPECT_EQ(f.info.at("inchi"), "InChI=1S/CH4/h1H4");
  EXPECT_EQ(f.info.at("inchi_relaxed"), "InChI=1S/CH4/h1H4");
  EXPECT_EQ(f.info.at("frequencies").substr(0, 17), "1341.307 1341.328");
  ASSERT_EQ(f.atom_properties.size(), 1u);
  EXPECT_EQ(f.atom_properties[0].name, "mulliken_charges");
  EXPECT_EQ(
      f.atom_properties[0].values,
      (std::vector<std::string>{"-0.535689", "0.133921", "0.133922", "0.133923", "0.133923"}));
  EXPECT_EQ(atomic_numbers(f), (std::vector<int>{6, 1, 1, 1, 1}));
}

TEST(Qm9Xyz, ReadsStarCaretExponentsAndCrlf) {
  const Frame f = parse(kWater);
  EXPECT_EQ(f.species, (std::vector<std::string>{"O", "H", "H"}));
  EXPECT_DOUBLE_EQ(f.positions[0][2], 7.6015923e-3);
  EXPECT_DOUBLE_EQ(f.positions[2][2], 6.931336e-4);
  EXPECT_EQ(f.atom_properties[0].values[2], "0.294853");
  EXPECT_EQ(f.info.at("index"), "3");
  EXPECT_DOUBLE_EQ(*f.number("U0"), -76.404702);
  EXPECT_EQ(f.info.at("frequencies"), "1663.2365 3778.9561 3884.4232");
  EXPECT_EQ(f.info.at("smiles"), "O");
}

TEST(Qm9Xyz, ConvertsToExtxyz) {
  // The QM9 frame is an ordinary Frame: it writes as extended XYZ and reads back the same.
  const Frame f = parse(kMethane);
  std::stringstream io;
  write_extxyz(io, f);
  const std::vector<Frame> back = read_extxyz(io, "converted");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].positions, f.positions);
  EXPECT_EQ(back[0].info, f.info);
  EXPECT_EQ(back[0].atom_properties[0].values, f.atom_properties[0].values);
}

TEST(Qm9Xyz, ToleratesTrailingBlankLinesAndMissingRelaxedIdentifiers) {
  std::string text = methane_with(8, "C") + "\n  \n";
  text = text.substr(0, text.find("InChI")) + "InChI=1S/CH4/h1H4\n\n";
  const Frame f = parse(text);
  EXPECT_EQ(f.info.at("smiles"), "C");
  EXPECT_EQ(f.info.count("smiles_relaxed"), 0u);
  EXPECT_EQ(f.info.count("inchi_relaxed"), 0u);
}

TEST(Qm9XyzErrors, CountAndPropertyLine) {
  expect_error("", 1, "missing the atom count");
  expect_error(methane_with(0, "five"), 1, "bad atom count 'five'");
  expect_error(methane_with(0, "0"), 1, "bad atom count '0'");
  expect_error(methane_with(0, "-5"), 1, "bad atom count");
  expect_error(methane_with(0, "2000000"), 1, "bad atom count");
  expect_error(methane_with(0, "5 6"), 1, "alone");
  expect_error("5\n", 2, "missing the 'gdb <id>' property line");
  expect_error(methane_with(1, "gdb 1 1 2 3"), 2, "followed by 15 properties, got 5 fields");
  expect_error(methane_with(1, "xyz 1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"), 2, "'xyz'");
  expect_error(methane_with(1, "gdb x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"), 2, "gdb id 'x'");
  expect_error(methane_with(1, "gdb 1 1 2 3 4 5 6 7 8 9 10 abc 12 13 14 15"), 2,
               "U0 'abc' is not a finite real number");
  expect_error(methane_with(1, "gdb 1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 nan"), 2, "Cv 'nan'");
}

TEST(Qm9XyzErrors, AtomLines) {
  expect_error(methane_with(2, "C 0 0 0"), 3, "atom line 1 of 5: expected 5 fields");
  expect_error(methane_with(4, "H 0 0 0 0 0"), 5, "atom line 3 of 5");
  expect_error(methane_with(5, "H 0 x 0 0.1"), 6, "y 'x' is not a finite");
  expect_error(methane_with(6, "H 0 0 1.0*^x 0.1"), 7, "z '1.0*^x'");
  expect_error(methane_with(6, "H 0 0 1.0*^1*^2 0.1"), 7, "z '1.0*^1*^2'");
  expect_error(methane_with(3, "H 0 0 0 inf"), 4, "Mulliken charge 'inf'");
  expect_error(methane_with(3, "H 0 0 1*^999 0"), 4, "z '1*^999'");
}

TEST(Qm9XyzErrors, TruncatedAndTrailing) {
  const std::string atoms_only = kMethane.substr(0, kMethane.find("1341.307"));
  expect_error(atoms_only.substr(0, atoms_only.rfind("H\t")), 7, "missing an atom line");
  expect_error(atoms_only, 8, "missing the frequency line");
  expect_error(kMethane.substr(0, kMethane.find("C\tC")), 9, "missing the SMILES line");
  expect_error(kMethane.substr(0, kMethane.find("InChI")), 10, "missing the InChI line");
  expect_error(methane_with(7, "1341.307 abc"), 8, "frequency 'abc'");
  expect_error(methane_with(8, "C C C"), 9, "expected 1 or 2 fields on the SMILES line, got 3");
  expect_error(methane_with(9, ""), 10, "got 0");
  expect_error(kMethane + "\nextra\n", 12, "unexpected content after the InChI line");
  expect_error(kMethane + kMethane, 11, "unexpected content");
}

TEST(Qm9XyzErrors, Files) {
  EXPECT_THROW(read_qm9_xyz("/nonexistent/dsgdb9nsd_000001.xyz"), Error);
  EXPECT_THROW(read_qm9_xyz("/"), Error);
}

}  // namespace
}  // namespace se3t

// PDB reader: fixed columns, gzip, first model, element fallback, errors, a real structure.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "se3t/data/pdb.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

namespace fs = std::filesystem;

// One ATOM/HETATM record placed column by column (1-based, wwPDB v3.3), independently of
// write_pdb's printf format.
std::string record(const std::string& kind, const std::string& name4, const std::string& res,
                   char chain, int resseq, double x, double y, double z,
                   const std::string& element2) {
  std::string line(80, ' ');
  auto put = [&](size_t col, const std::string& s) { line.replace(col - 1, s.size(), s); };
  char buf[16];
  put(1, kind);
  put(7, "    1");
  put(13, name4);
  put(18, res);
  line[21] = chain;
  std::snprintf(buf, sizeof(buf), "%4d", resseq);
  put(23, buf);
  std::snprintf(buf, sizeof(buf), "%8.3f", x);
  put(31, buf);
  std::snprintf(buf, sizeof(buf), "%8.3f", y);
  put(39, buf);
  std::snprintf(buf, sizeof(buf), "%8.3f", z);
  put(47, buf);
  put(55, "  1.00 20.00");
  put(77, element2);
  return line + "\n";
}

std::string temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("se3t_pdb_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Pdb, ReadsFixedColumns) {
  const std::string text = "HEADER    TEST\n" +
                           record("ATOM", " N  ", "MET", 'A', 22, 111.918, 36.419, -46.656, " N") +
                           record("ATOM", " CA ", "MET", 'A', 22, 1.5, -2.25, 1000.125, " C") +
                           record("HETATM", "FE  ", "HEM", 'B', 501, 0, 0, 0, "FE") + "END\n";
  const PdbStructure s = parse_pdb(text, "mem.pdb");
  ASSERT_EQ(s.atoms.size(), 3u);
  EXPECT_EQ(s.atoms[0].name, "N");
  EXPECT_EQ(s.atoms[0].residue, "MET");
  EXPECT_EQ(s.atoms[0].chain, 'A');
  EXPECT_EQ(s.atoms[0].residue_number, 22);
  EXPECT_FALSE(s.atoms[0].hetero);
  EXPECT_DOUBLE_EQ(s.atoms[0].position[0], 111.918);
  EXPECT_DOUBLE_EQ(s.atoms[0].position[1], 36.419);
  EXPECT_DOUBLE_EQ(s.atoms[0].position[2], -46.656);
  EXPECT_DOUBLE_EQ(s.atoms[1].position[2], 1000.125);
  EXPECT_EQ(s.atoms[1].atomic_number, 6);
  EXPECT_TRUE(s.atoms[2].hetero);
  EXPECT_EQ(s.atoms[2].element, "Fe");
  EXPECT_EQ(s.atoms[2].atomic_number, 26);
  EXPECT_EQ(s.atoms[2].chain, 'B');
}

TEST(Pdb, ElementFallsBackToTheAtomName) {
  const std::string text =
      record("ATOM", " CA ", "ALA", 'A', 1, 0, 0, 0, "  ") +    // alpha carbon
      record("HETATM", "CA  ", "CA", 'A', 2, 1, 0, 0, "  ") +   // calcium ion
      record("HETATM", "FE  ", "HEM", 'A', 3, 2, 0, 0, "  ") +  // iron
      record("ATOM", "1HB ", "ALA", 'A', 1, 3, 0, 0, "  ") +    // hydrogen, digit first
      record("ATOM", "HG21", "THR", 'A', 4, 4, 0, 0, "  ") +    // hydrogen, not mercury
      record("HETATM", " O  ", "HOH", 'W', 5, 5, 0, 0, "  ");
  const PdbStructure s = parse_pdb(text, "names.pdb");
  ASSERT_EQ(s.atoms.size(), 6u);
  EXPECT_EQ(s.atoms[0].element, "C");
  EXPECT_EQ(s.atoms[1].element, "Ca");
  EXPECT_EQ(s.atoms[2].element, "Fe");
  EXPECT_EQ(s.atoms[3].element, "H");
  EXPECT_EQ(s.atoms[4].element, "H");
  EXPECT_EQ(s.atoms[5].element, "O");
}

TEST(Pdb, FirstModelOnly) {
  const std::string text =
      "MODEL        1\n" + record("ATOM", " N  ", "GLY", 'A', 1, 1, 2, 3, " N") +
      record("ATOM", " CA ", "GLY", 'A', 1, 4, 5, 6, " C") + "ENDMDL\n" + "MODEL        2\n" +
      record("ATOM", " N  ", "GLY", 'A', 1, 7, 8, 9, " N") +
      record("ATOM", " CA ", "GLY", 'A', 1, 9, 9, 9, " C") + "ENDMDL\nEND\n";
  const PdbStructure s = parse_pdb(text, "models.pdb");
  ASSERT_EQ(s.atoms.size(), 2u);
  EXPECT_DOUBLE_EQ(s.atoms[1].position[0], 4.0);
  // Only the first alternate location of an atom is kept.
  std::string alt = record("ATOM", " CA ", "SER", 'A', 1, 1, 1, 1, " C") +
                    record("ATOM", " OG ", "SER", 'A', 1, 2, 2, 2, " O") +
                    record("ATOM", " OG ", "SER", 'A', 1, 3, 3, 3, " O");
  alt[81 + 16] = 'A';
  alt[2 * 81 + 16] = 'B';
  const PdbStructure a = parse_pdb(alt, "alt.pdb");
  ASSERT_EQ(a.atoms.size(), 2u);
  EXPECT_DOUBLE_EQ(a.atoms[1].position[0], 2.0);
}

TEST(Pdb, SkipOptions) {
  const std::string text = record("ATOM", " N  ", "GLY", 'A', 1, 0, 0, 0, " N") +
                           record("ATOM", " H  ", "GLY", 'A', 1, 1, 0, 0, " H") +
                           record("HETATM", " O  ", "HOH", 'W', 2, 2, 0, 0, " O") +
                           record("HETATM", "ZN  ", "ZN", 'A', 3, 3, 0, 0, "ZN");
  EXPECT_EQ(parse_pdb(text, "t").atoms.size(), 4u);
  PdbReadOptions o;
  o.skip_hydrogens = true;
  EXPECT_EQ(parse_pdb(text, "t", o).atoms.size(), 3u);
  o.skip_waters = true;
  EXPECT_EQ(parse_pdb(text, "t", o).atoms.size(), 2u);
  o.skip_hetero = true;
  const PdbStructure only = parse_pdb(text, "t", o);
  ASSERT_EQ(only.atoms.size(), 1u);
  EXPECT_EQ(only.atoms[0].element, "N");
}

TEST(Pdb, GzipRoundTrip) {
  PdbStructure s;
  s.source = "hand";
  const char* names[] = {"N", "CA", "C", "O", "ZN"};
  const char* elements[] = {"N", "C", "C", "O", "Zn"};
  for (int i = 0; i < 5; ++i) {
    PdbAtom a;
    a.hetero = i == 4;
    a.name = names[i];
    a.residue = i == 4 ? "ZN" : "ALA";
    a.chain = 'A';
    a.residue_number = 7 + i / 4;
    a.position = {1.25 * i - 3.5, -20.125 + i, 100.5 * (i % 2)};
    a.element = elements[i];
    s.atoms.push_back(a);
  }
  const std::string gz = temp_path("round.pdb.gz"), plain = temp_path("round.pdb");
  write_pdb(gz, s);
  write_pdb(plain, s);
  std::ifstream raw(gz, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  raw.read(reinterpret_cast<char*>(magic), 2);
  EXPECT_EQ(magic[0], 0x1f);  // the gzip signature: the file really is compressed
  EXPECT_EQ(magic[1], 0x8b);
  for (const std::string& path : {gz, plain}) {
    const PdbStructure back = read_pdb(path);
    ASSERT_EQ(back.atoms.size(), s.atoms.size()) << path;
    EXPECT_EQ(back.source, path);
    for (size_t i = 0; i < s.atoms.size(); ++i) {
      EXPECT_EQ(back.atoms[i].name, s.atoms[i].name);
      EXPECT_EQ(back.atoms[i].residue, s.atoms[i].residue);
      EXPECT_EQ(back.atoms[i].element, s.atoms[i].element);
      EXPECT_EQ(back.atoms[i].hetero, s.atoms[i].hetero);
      EXPECT_EQ(back.atoms[i].residue_number, s.atoms[i].residue_number);
      for (int d = 0; d < 3; ++d)
        EXPECT_NEAR(back.atoms[i].position[d], s.atoms[i].position[d], 5e-4);
    }
  }
  fs::remove_all(fs::path(gz).parent_path());
}

TEST(Pdb, MalformedRecordsNameFileAndLine) {
  const std::string good = record("ATOM", " N  ", "GLY", 'A', 1, 0, 0, 0, " N");
  std::string e =
      error_of([&] { parse_pdb(good + "ATOM      2  CA  GLY A   1      1.0\n", "f.pdb"); });
  EXPECT_NE(e.find("f.pdb:2"), std::string::npos) << e;
  EXPECT_NE(e.find("54"), std::string::npos) << e;
  std::string bad_x = record("ATOM", " CA ", "GLY", 'A', 1, 0, 0, 0, " C");
  bad_x.replace(30, 8, "  1.2x34");
  e = error_of([&] { parse_pdb("REMARK\n" + good + bad_x, "g.pdb"); });
  EXPECT_NE(e.find("g.pdb:3"), std::string::npos) << e;
  EXPECT_NE(e.find("x coordinate"), std::string::npos) << e;
  std::string nan_z = good;
  nan_z.replace(46, 8, "     nan");
  e = error_of([&] { parse_pdb(nan_z, "n.pdb"); });
  EXPECT_NE(e.find("n.pdb:1"), std::string::npos) << e;
  e = error_of([&] { parse_pdb(record("ATOM", " Q  ", "GLY", 'A', 1, 0, 0, 0, "XQ"), "h.pdb"); });
  EXPECT_NE(e.find("h.pdb:1"), std::string::npos) << e;
  EXPECT_NE(e.find("XQ"), std::string::npos) << e;
  e = error_of([&] { parse_pdb(record("ATOM", " 12 ", "GLY", 'A', 1, 0, 0, 0, "  "), "i.pdb"); });
  EXPECT_NE(e.find("i.pdb:1"), std::string::npos) << e;
  e = error_of([&] { parse_pdb("HEADER\nEND\n", "empty.pdb"); });
  EXPECT_NE(e.find("no ATOM/HETATM"), std::string::npos) << e;
  e = error_of([&] { read_pdb("/nonexistent/x.pdb.gz"); });
  EXPECT_NE(e.find("/nonexistent/x.pdb.gz"), std::string::npos) << e;
}

TEST(Pdb, TheseusLactateDehydrogenase) {
  const std::string path = "/usr/share/doc/theseus/examples/ldh/1a5z_A.pdb.gz";
  if (!fs::exists(path))
    GTEST_SKIP() << path << " not installed (apt-get install theseus-examples)";
  // Counts from the file itself: 2,415 ATOM records (12 of them H), 437 HETATM (344 waters).
  EXPECT_EQ(read_pdb(path).atoms.size(), 2852u);
  PdbReadOptions o;
  o.skip_hetero = true;
  const PdbStructure s = read_pdb(path, o);
  ASSERT_EQ(s.atoms.size(), 2415u);
  EXPECT_EQ(s.atoms.front().name, "N");
  EXPECT_EQ(s.atoms.front().residue, "MET");
  EXPECT_DOUBLE_EQ(s.atoms.front().position[0], 111.918);
  EXPECT_DOUBLE_EQ(s.atoms.front().position[2], 46.656);
  EXPECT_EQ(s.atoms.back().name, "ND2");
  EXPECT_EQ(s.atoms.back().residue_number, 333);
  EXPECT_DOUBLE_EQ(s.atoms.back().position[1], 9.001);
  o = {};
  o.skip_waters = true;
  EXPECT_EQ(read_pdb(path, o).atoms.size(), 2852u - 344u);
  o.skip_hydrogens = true;
  EXPECT_EQ(read_pdb(path, o).atoms.size(), 2852u - 344u - 12u);
}

}  // namespace
}  // namespace se3t

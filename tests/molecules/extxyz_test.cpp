// Extended XYZ: the shipped data sets, the writer's round trip, and every error path.
#include "se3t/data/extxyz.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <unistd.h>

#include "se3t/util/check.h"

namespace se3t {
namespace {

// Repository root: the environment (set by CTest) or the compile definition.
std::string data_path(const std::string& relative) {
  if (const char* env = std::getenv("SE3T_SOURCE_DIR")) return std::string(env) + "/" + relative;
  return std::string(SE3T_SOURCE_DIR) + "/" + relative;
}

std::vector<Frame> parse(const std::string& text) {
  std::istringstream in(text);
  return read_extxyz(in, "test.xyz");
}

// The message of the se3t::Error that parsing `text` throws ("" when it does not throw).
std::string parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Expects an error naming the source and `line`, and containing `what`.
void expect_error(const std::string& text, int line, const std::string& what) {
  const std::string message = parse_error(text);
  SCOPED_TRACE("input:\n" + text);
  ASSERT_FALSE(message.empty()) << "no error thrown";
  EXPECT_NE(message.find("test.xyz:" + std::to_string(line) + ": "), std::string::npos) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

const std::string kHeader = "Properties=species:S:1:pos:R:3";

TEST(Extxyz, ReadsQm7) {
  const std::vector<Frame> frames = read_extxyz(data_path("data/qm7/qm7.extxyz"));
  ASSERT_EQ(frames.size(), 7101u);
  const Frame& first = frames[0];
  EXPECT_EQ(first.species, (std::vector<std::string>{"C", "H", "H", "H", "H"}));
  ASSERT_EQ(first.positions.size(), 5u);
  EXPECT_DOUBLE_EQ(first.positions[0][0], 1.041682);
  EXPECT_DOUBLE_EQ(first.positions[4][2], 0.228641);
  EXPECT_FALSE(first.has_forces());
  EXPECT_DOUBLE_EQ(*first.number("energy"), -417.031);
  EXPECT_EQ(first.info.at("name"), "0001");
  EXPECT_EQ(first.info.count("pbc"), 0u);  // pbc="F F F" read into Frame::pbc
  EXPECT_FALSE(first.cell.has_value());
  EXPECT_FALSE(first.periodic());
  EXPECT_EQ(first.info.count("Properties"), 0u);
  std::size_t atoms = 0;
  for (const Frame& f : frames) {
    EXPECT_GE(f.size(), 4u);
    EXPECT_LE(f.size(), 23u);
    EXPECT_TRUE(f.number("energy").has_value());
    atoms += f.size();
  }
  EXPECT_EQ(atoms, 109600u);
}

TEST(Extxyz, ReadsAmonsForcesTrain) {
  const std::vector<Frame> frames = read_extxyz(data_path("data/amons-forces/train.extxyz"));
  ASSERT_EQ(frames.size(), 800u);
  for (const Frame& f : frames) {
    ASSERT_TRUE(f.has_forces());
    ASSERT_EQ(f.forces.size(), f.size());
    ASSERT_EQ(f.positions.size(), f.size());
    EXPECT_TRUE(f.number("total_energy").has_value());
    EXPECT_TRUE(f.atom_properties.empty());
  }
  EXPECT_EQ(frames[0].info.at("smiles"), "C");
  EXPECT_DOUBLE_EQ(frames[0].forces[0][0], -218.92329564);
  EXPECT_DOUBLE_EQ(frames[0].forces[2][2], -39.50290691);
  EXPECT_DOUBLE_EQ(*frames[0].number("energy"), -392.49354478665975);
  // '=' inside an unquoted value stays part of the value.
  const auto formaldehyde = std::find_if(frames.begin(), frames.end(), [](const Frame& f) {
    return f.info.at("name") == "mc_amon00003_001_022";
  });
  ASSERT_NE(formaldehyde, frames.end());
  EXPECT_EQ(formaldehyde->info.at("smiles"), "C=O");
}

TEST(Extxyz, StreamingReaderCountsLines) {
  std::istringstream in("1\n" + kHeader + "\nH 0 0 0\n\n2\n" + kHeader +
                        " a=1\nH 0 0 0\nH 0 0 0.74\n\n\n");
  ExtxyzReader reader(in, "s.xyz");
  Frame frame;
  ASSERT_TRUE(reader.next(frame));
  EXPECT_EQ(frame.size(), 1u);
  EXPECT_EQ(reader.line_number(), 3);
  ASSERT_TRUE(reader.next(frame));  // the blank line between frames is skipped
  EXPECT_EQ(frame.size(), 2u);
  EXPECT_EQ(frame.info.at("a"), "1");
  EXPECT_EQ(reader.line_number(), 8);
  EXPECT_FALSE(reader.next(frame));
  EXPECT_FALSE(reader.next(frame));
}

TEST(Extxyz, CommentLineSyntax) {
  const std::vector<Frame> frames = parse(
      "1\n"
      "name=0001 energy=-1.5e2  note=\"two words\" " +
      kHeader +
      " flag esc=\"a \\\"q\\\" \\\\ b\" arr=[1, 2, 3] d={x y} empty=\"\" "
      "\"quoted key\"=v\r\n"
      "He 1 2 3\r\n");
  ASSERT_EQ(frames.size(), 1u);
  const Frame& f = frames[0];
  EXPECT_EQ(f.info.at("name"), "0001");
  EXPECT_DOUBLE_EQ(*f.number("energy"), -150.0);
  EXPECT_EQ(f.info.at("note"), "two words");
  EXPECT_EQ(f.info.at("flag"), "T");  // a bare key means true (ASE)
  EXPECT_EQ(f.info.at("esc"), "a \"q\" \\ b");
  EXPECT_EQ(f.info.at("arr"), "[1, 2, 3]");
  EXPECT_EQ(f.info.at("d"), "{x y}");
  EXPECT_EQ(f.info.at("empty"), "");
  EXPECT_EQ(f.info.at("quoted key"), "v");
  EXPECT_EQ(f.species[0], "He");
  EXPECT_DOUBLE_EQ(f.positions[0][2], 3.0);
}

TEST(Extxyz, PropertiesInAnyOrderWithExtraColumns) {
  const std::vector<Frame> frames = parse(
      "2\n"
      "e=1 Properties=pos:R:3:Z:I:1:species:S:1:fixed:L:1:forces:R:3:m:R:2 pbc=\"F F F\"\n"
      "0 0 0 1 H T 0.5 -0.5 1e-3 1.0 2.0\n"
      "+1 2 3 8 O F -1 -2 -3 3 4\n");
  ASSERT_EQ(frames.size(), 1u);
  const Frame& f = frames[0];
  EXPECT_EQ(f.species, (std::vector<std::string>{"H", "O"}));
  EXPECT_DOUBLE_EQ(f.positions[1][0], 1.0);
  EXPECT_DOUBLE_EQ(f.forces[0][2], 1e-3);
  ASSERT_EQ(f.atom_properties.size(), 3u);
  EXPECT_EQ(f.atom_properties[0].name, "Z");
  EXPECT_EQ(f.atom_properties[0].type, 'I');
  EXPECT_EQ(f.atom_properties[0].values, (std::vector<std::string>{"1", "8"}));
  EXPECT_EQ(f.atom_properties[1].name, "fixed");
  EXPECT_EQ(f.atom_properties[1].values, (std::vector<std::string>{"T", "F"}));
  EXPECT_EQ(f.atom_properties[2].columns, 2);
  EXPECT_EQ(f.atom_properties[2].values, (std::vector<std::string>{"1.0", "2.0", "3", "4"}));
}

TEST(Extxyz, LatticeAndPbc) {
  // A skewed triclinic cell, rows a, b, c in the order written (ASE's Lattice convention).
  const std::vector<Frame> frames =
      parse("1\nLattice=\"4 0 0 1.5 3.5 0 -0.5 0.25 5\" pbc=\"T T F\" " + kHeader + "\nH 0 0 0\n" +
            "1\nLattice=\"3 0 0 0 3 0 0 0 3\" " + kHeader + " e=1\nH 0 0 0\n" +
            "1\nLattice=\"3 0 0 0 3 0 0 0 3\" pbc=F " + kHeader + "\nH 0 0 0\n" +
            "1\npbc=\"True False true\" Lattice=\"3 0 0 0 3 0 0 0 3\" " + kHeader + "\nH 0 0 0\n" +
            "1\npbc=\"F F F\" " + kHeader + "\nH 0 0 0\n");
  ASSERT_EQ(frames.size(), 5u);
  ASSERT_TRUE(frames[0].cell.has_value());
  const Cell expected = {{{4, 0, 0}, {1.5, 3.5, 0}, {-0.5, 0.25, 5}}};
  EXPECT_EQ(*frames[0].cell, expected);
  EXPECT_EQ(frames[0].pbc, (std::array<bool, 3>{true, true, false}));
  EXPECT_TRUE(frames[0].periodic());
  EXPECT_DOUBLE_EQ(cell_determinant(expected), 4 * 3.5 * 5);
  EXPECT_EQ(frames[0].info.count("Lattice"), 0u);
  EXPECT_EQ(frames[0].info.count("pbc"), 0u);
  EXPECT_EQ(frames[1].pbc, (std::array<bool, 3>{true, true, true}));  // Lattice alone: periodic
  EXPECT_EQ(frames[1].info.at("e"), "1");
  EXPECT_TRUE(frames[2].cell.has_value());  // a box around a molecule, not periodic
  EXPECT_FALSE(frames[2].periodic());
  EXPECT_EQ(frames[3].pbc, (std::array<bool, 3>{true, false, true}));
  EXPECT_FALSE(frames[4].cell.has_value());
  EXPECT_FALSE(frames[4].periodic());
}

TEST(Extxyz, EmptyInputAndZeroAtoms) {
  EXPECT_TRUE(parse("").empty());
  EXPECT_TRUE(parse("\n  \n").empty());
  const std::vector<Frame> frames = parse("0\n" + kHeader + "\n");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].size(), 0u);
}

TEST(Extxyz, NumberAccessor) {
  Frame f;
  f.info = {{"e", " -2.5 "}, {"name", "abc"}, {"n", "nan"}};
  EXPECT_DOUBLE_EQ(*f.number("e"), -2.5);
  EXPECT_FALSE(f.number("missing").has_value());
  EXPECT_TRUE(std::isnan(*f.number("n")));
  EXPECT_THROW(f.number("name"), Error);
}

TEST(ExtxyzErrors, AtomCount) {
  expect_error("abc\n" + kHeader + "\n", 1, "bad atom count 'abc'");
  expect_error("-3\n" + kHeader + "\n", 1, "negative atom count");
  expect_error("2.5\n" + kHeader + "\n", 1, "bad atom count");
  expect_error("-x\n" + kHeader + "\n", 1, "bad atom count '-x'");
  expect_error("1 2\n" + kHeader + "\n", 1, "bad atom count");
  expect_error("1000001\n" + kHeader + "\n", 1, "exceeds the limit 1000000");
  expect_error("99999999999999999999999999\n", 1, "exceeds the limit");
  // The count of a later frame: line numbers keep counting across frames.
  expect_error("1\n" + kHeader + "\nH 0 0 0\nx\n", 4, "bad atom count 'x'");
}

TEST(ExtxyzErrors, CommentLine) {
  expect_error("1\nenergy=1 pbc=\"F F F\"\nH 0 0 0\n", 2, "missing Properties");
  expect_error("1\n", 2, "missing the comment line");
  expect_error("1\n" + kHeader + " pbc=\"F F F\nH 0 0 0\n", 2, "unterminated quote");
  expect_error("1\n" + kHeader + " a=[1 2\nH 0 0 0\n", 2, "unterminated bracket");
  expect_error("1\n" + kHeader + " a=1 a=2\nH 0 0 0\n", 2, "duplicate key");
  expect_error("1\n" + kHeader + " =5\nH 0 0 0\n", 2, "empty key");
  expect_error("1\n" + kHeader + " properties=species:S:1:pos:R:3\nH 0 0 0\n", 2,
               "duplicate Properties");
}

TEST(ExtxyzErrors, PropertiesSpec) {
  const auto with = [](const std::string& spec) { return "1\nProperties=" + spec + "\nH 0 0 0\n"; };
  expect_error(with("species:S:1:pos:R"), 2, "name:type:columns triples");
  expect_error(with("species:S:1:pos:X:3"), 2, "expected one of S, R, I, L");
  expect_error(with("species:S:1:pos:R:0"), 2, "column count '0'");
  expect_error(with("species:S:1:pos:R:three"), 2, "column count 'three'");
  expect_error(with("species:S:1:pos:R:2"), 2, "'pos' must be pos:R:3");
  expect_error(with("species:R:1:pos:R:3"), 2, "'species' must be species:S:1");
  expect_error(with("pos:R:3"), 2, "'species' is required");
  expect_error(with("species:S:1"), 2, "'pos' is required");
  expect_error(with("species:S:1:pos:R:3:forces:R:1"), 2, "'forces' must be forces:R:3");
  expect_error(with("species:S:1:pos:R:3:pos:R:3"), 2, "duplicate property 'pos'");
  expect_error(with("species:S:1::R:3"), 2, "empty property name");
  expect_error(with(""), 2, "name:type:columns");
  expect_error(with("species:S:1:pos:R:3:x:R:99999999999999999999"), 2, "column count");
}

TEST(ExtxyzErrors, LatticeAndPbc) {
  const auto with = [](const std::string& keys) {
    return "1\n" + keys + " " + kHeader + "\nH 0 0 0\n";
  };
  expect_error(with("Lattice=\"1 0 0 0 1 0 0 0\""), 2, "Lattice: expected 9 real numbers");
  expect_error(with("Lattice=\"1 0 0 0 1 0 0 0 1 0\""), 2, "got 10");
  expect_error(with("Lattice=\"1 0 0 0 1 0 0 0 x\""), 2, "value 9 'x' is not a finite real");
  expect_error(with("Lattice=\"1 0 0 0 1 0 0 0 nan\""), 2, "is not a finite real");
  expect_error(with("Lattice=\"1 0 0 0 0 0 0 0 1\""), 2, "cell vector b is zero");
  expect_error(with("Lattice=\"1 0 0 0 1 0 1 1 0\""), 2, "singular cell");
  expect_error(with("Lattice=\"1 0 0 0 1 0 0 0 -1\""), 2, "left-handed cell");
  expect_error(with("Lattice=\"0 1 0 1 0 0 0 0 1\""), 2, "left-handed cell");
  expect_error(with("Lattice=\"1 0 0 0 1 0 0 0 1\" pbc=\"T T\""), 2, "pbc: expected 1 or 3");
  expect_error(with("Lattice=\"1 0 0 0 1 0 0 0 1\" pbc=\"T T X\""), 2, "pbc: expected 1 or 3");
  expect_error(with("Lattice=\"1 0 0 0 1 0 0 0 1\" pbc=1"), 2, "pbc: expected 1 or 3");
  expect_error(with("pbc=\"T T T\""), 2, "no Lattice");
  expect_error(with("pbc=\"F T F\""), 2, "no Lattice");
}

TEST(ExtxyzErrors, AtomLines) {
  const std::string two = "2\n" + kHeader + "\n";
  expect_error(two + "H 0 0 0\nH 0 0\n", 4, "wrong column count: expected 4 columns");
  expect_error(two + "H 0 0 0 7\n", 3, "got 5");
  expect_error(two + "H 0 abc 0\nH 0 0 0\n", 3, "column 3 (pos): 'abc' is not a finite real");
  expect_error(two + "H 0 0 0\nH 0 0 1.0.0\n", 4, "'1.0.0'");
  expect_error(two + "H nan 0 0\nH 0 0 0\n", 3, "'nan' is not a finite");
  expect_error(two + "H 0 0 0\nH 0 -inf 0\n", 4, "'-inf' is not a finite");
  expect_error(two + "H 0 0 1e999\nH 0 0 0\n", 3, "'1e999' is not a finite");
  expect_error(two + "H 0 0 0x1p3\nH 0 0 0\n", 3, "not a finite");
  const std::string forces = "1\nProperties=species:S:1:pos:R:3:forces:R:3\n";
  expect_error(forces + "H 0 0 0 1 NaN 2\n", 3, "column 6 (forces)");
  expect_error("1\nProperties=species:S:1:pos:R:3:Z:I:1\nH 0 0 0 1.5\n", 3, "is not an integer");
  expect_error("1\nProperties=species:S:1:pos:R:3:fix:L:1\nH 0 0 0 yes\n", 3, "is not a logical");
}

TEST(ExtxyzErrors, Truncated) {
  expect_error("3\n" + kHeader + "\nH 0 0 0\n", 4, "announces 3 atoms but only 1 atom lines");
  expect_error("1\n" + kHeader + "\nH 0 0 0\n2\n" + kHeader + "\n", 6,
               "the frame starting at line 4 announces 2 atoms but only 0");
  // A huge announced count in a tiny file fails at the end, without allocating for it.
  expect_error("1000000\n" + kHeader + "\nH 0 0 0\n", 4, "announces 1000000 atoms");
}

TEST(ExtxyzErrors, ReaderUnusableAfterError) {
  std::istringstream in("x\n1\n" + kHeader + "\nH 0 0 0\n");
  ExtxyzReader reader(in, "r.xyz");
  Frame frame;
  EXPECT_THROW(reader.next(frame), Error);
  EXPECT_THROW(reader.next(frame), Error);
}

TEST(ExtxyzErrors, Files) {
  EXPECT_THROW(read_extxyz("/nonexistent/dir/file.extxyz"), Error);
  EXPECT_THROW(read_extxyz(data_path("data")), Error);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("se3t_bad_" + std::to_string(::getpid()) + ".extxyz"))
                               .string();
  {
    std::ofstream out(path);
    out << "1\n" << kHeader << "\nH 0 0\n";
  }
  try {
    read_extxyz(path);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":3: "), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

bool same_frames(const std::vector<Frame>& a, const std::vector<Frame>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].species != b[i].species || a[i].positions != b[i].positions ||
        a[i].forces != b[i].forces || a[i].info != b[i].info || a[i].cell != b[i].cell ||
        a[i].pbc != b[i].pbc) {
      return false;
    }
    if (a[i].atom_properties.size() != b[i].atom_properties.size()) return false;
    for (std::size_t j = 0; j < a[i].atom_properties.size(); ++j) {
      const AtomProperty &p = a[i].atom_properties[j], &q = b[i].atom_properties[j];
      if (p.name != q.name || p.type != q.type || p.columns != q.columns || p.values != q.values) {
        return false;
      }
    }
  }
  return true;
}

std::vector<Frame> round_trip(const std::vector<Frame>& frames) {
  std::ostringstream out;
  for (const Frame& f : frames) write_extxyz(out, f);
  return parse(out.str());
}

TEST(ExtxyzWriter, RoundTripsRealData) {
  const std::vector<Frame> frames = read_extxyz(data_path("data/amons-forces/train.extxyz"));
  EXPECT_TRUE(same_frames(round_trip(frames), frames));
  std::vector<Frame> qm7 = read_extxyz(data_path("data/qm7/qm7.extxyz"));
  qm7.resize(200);
  EXPECT_TRUE(same_frames(round_trip(qm7), qm7));
}

TEST(ExtxyzWriter, RoundTripsEdgeCases) {
  Frame f;
  f.species = {"C", "H", "Og"};
  f.positions = {{1.0 / 3.0, -0.0, 5e-324},
                 {std::numeric_limits<double>::max(), -1e-300, 123456789.123456789},
                 {0.1, 0.2, 0.30000000000000004}};
  f.forces = {{1, 2, 3}, {-1e10, 2.5e-7, 0}, {6.02214076e23, -4, 1e-5}};
  f.info = {{"spaces", "a b\tc"}, {"quote", "say \"hi\""}, {"backslash", "C:\\dir\\"},
            {"empty", ""},        {"eq", "C=O"},           {"brackets", "[1 2"},
            {"plain", "0001"},    {"energy", "-417.031"},  {"unicode", "\xc3\xa9t\xc3\xa9"}};
  f.atom_properties = {{"Z", 'I', 1, {"6", "1", "118"}},
                       {"tag", 'S', 2, {"a", "b", "c", "d", "e", "f"}},
                       {"fixed", 'L', 1, {"T", "F", "True"}},
                       {"q", 'R', 1, {"-0.5", "0.25", "1e-3"}}};
  const std::vector<Frame> back = round_trip({f, Frame(), f});
  ASSERT_EQ(back.size(), 3u);
  EXPECT_TRUE(same_frames(back, {f, Frame(), f}));
  EXPECT_TRUE(std::signbit(back[0].positions[0][1]));  // -0.0 keeps its sign
}

TEST(ExtxyzWriter, RoundTripsCell) {
  Frame f;
  f.species = {"O", "H"};
  f.positions = {{0.1, 0.2, 0.3}, {1.0 / 3.0, 2, 3}};
  f.cell = Cell{{{4.5, 0, 0}, {1.0 / 7.0, 3.25, 0}, {-0.5, 0.1, 5e1}}};
  f.pbc = {true, false, true};
  f.info = {{"energy", "-1.5"}};
  Frame molecule_in_box = f;
  molecule_in_box.pbc = {false, false, false};
  const std::vector<Frame> back = round_trip({f, molecule_in_box, Frame()});
  ASSERT_EQ(back.size(), 3u);
  EXPECT_TRUE(same_frames(back, {f, molecule_in_box, Frame()}));
  std::ostringstream out;
  Frame cubic;
  cubic.species = {"H"};
  cubic.positions = {{0, 0, 0}};
  cubic.cell = Cell{{{2, 0, 0}, {0, 3, 0}, {0, 0, 4}}};
  cubic.pbc = {true, true, false};
  write_extxyz(out, cubic);
  EXPECT_EQ(out.str(),
            "1\nLattice=\"2 0 0 0 3 0 0 0 4\" pbc=\"T T F\" Properties=species:S:1:pos:R:3\n"
            "H 0 0 0\n");
}

TEST(ExtxyzWriter, WritesReadableText) {
  Frame f;
  f.species = {"H"};
  f.positions = {{1.5, 0, -2}};
  f.info = {{"name", "x y"}, {"e", "1"}};
  std::ostringstream out;
  write_extxyz(out, f);
  EXPECT_EQ(out.str(), "1\nProperties=species:S:1:pos:R:3 e=1 name=\"x y\"\nH 1.5 0 -2\n");
}

TEST(ExtxyzWriter, RejectsInconsistentFrames) {
  Frame good;
  good.species = {"H", "H"};
  good.positions = {{0, 0, 0}, {0, 0, 0.74}};
  std::ostringstream out;
  EXPECT_NO_THROW(write_extxyz(out, good));
  const auto expect_reject = [&](auto mutate, const std::string& what) {
    Frame f = good;
    mutate(f);
    try {
      std::ostringstream o;
      write_extxyz(o, f);
      ADD_FAILURE() << "no error for " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_reject([](Frame& f) { f.positions.pop_back(); }, "positions");
  expect_reject([](Frame& f) { f.forces = {{0, 0, 0}}; }, "forces");
  expect_reject([](Frame& f) { f.positions[1][0] = NAN; }, "not finite");
  expect_reject([](Frame& f) { f.species[0] = "H 2"; }, "species");
  expect_reject([](Frame& f) { f.species[0] = ""; }, "species");
  expect_reject([](Frame& f) { f.info["a b"] = "1"; }, "info key");
  expect_reject([](Frame& f) { f.info["Properties"] = "x"; }, "info key");
  expect_reject([](Frame& f) { f.info["a"] = "1\n2"; }, "line break");
  expect_reject([](Frame& f) { f.info["Lattice"] = "1 0 0 0 1 0 0 0 1"; }, "reserved");
  expect_reject([](Frame& f) { f.info["pbc"] = "T T T"; }, "reserved");
  expect_reject([](Frame& f) { f.pbc = {false, true, false}; }, "no cell");
  expect_reject([](Frame& f) { f.cell = Cell{{{1, 0, 0}, {0, 1, 0}, {0, 0, -1}}}; }, "left-handed");
  expect_reject([](Frame& f) { f.cell = Cell{{{1, 0, 0}, {2, 0, 0}, {0, 0, 1}}}; }, "singular");
  expect_reject([](Frame& f) { f.cell = Cell{{{1, 0, 0}, {0, NAN, 0}, {0, 0, 1}}}; }, "finite");
  expect_reject([](Frame& f) { f.atom_properties = {{"pos", 'R', 1, {"1", "2"}}}; }, "reserved");
  expect_reject([](Frame& f) { f.atom_properties = {{"q", 'R', 1, {"1"}}}; }, "values");
  expect_reject([](Frame& f) { f.atom_properties = {{"q", 'X', 1, {"1", "2"}}}; }, "type");
  expect_reject([](Frame& f) { f.atom_properties = {{"q", 'R', 1, {"1", "x"}}}; }, "finite");
  expect_reject([](Frame& f) { f.atom_properties = {{"q", 'S', 1, {"a", "b c"}}}; }, "spaces");
}

TEST(ExtxyzWriter, FileRoundTrip) {
  const std::vector<Frame> frames = read_extxyz(data_path("data/amons-forces/valid.extxyz"));
  ASSERT_EQ(frames.size(), 800u);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("se3t_rt_" + std::to_string(::getpid()) + ".extxyz"))
                               .string();
  write_extxyz(path, frames);
  EXPECT_TRUE(same_frames(read_extxyz(path), frames));
  std::filesystem::remove(path);
  EXPECT_THROW(write_extxyz("/nonexistent/dir/out.extxyz", frames), Error);
}

}  // namespace
}  // namespace se3t

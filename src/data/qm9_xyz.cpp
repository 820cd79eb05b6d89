// QM9 raw-record reader. Deliberately std-only (no LibTorch): the fuzzer builds it alone.
#include "se3t/data/qm9_xyz.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>
#include <vector>

#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {

const char* const kQm9PropertyNames[15] = {"A",  "B",    "C",  "mu", "alpha", "homo", "lumo", "gap",
                                           "r2", "zpve", "U0", "U",  "H",     "G",    "Cv"};

namespace {

// Our own test: std::isspace on a negative char (any non-ASCII byte) is undefined behaviour.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::vector<std::string_view> split_fields(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// A bounded, printable excerpt of user input for error messages (inputs may be binary junk).
std::string excerpt(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
  }
  if (s.size() > kMax) out += "...";
  return out + "'";
}

class Parser {
 public:
  Parser(std::istream& in, const std::string& source) : in_(in), source_(source) {}

  template <typename... Args>
  [[noreturn]] void fail(int64_t line, const Args&... args) const {
    throw Error(detail::concat("se3t: ", source_, ":", line, ": ", args...));
  }

  // The next line, split into fields; `what` names it in the truncation error.
  std::vector<std::string_view> next_line(const char* what) {
    if (!std::getline(in_, line_)) {
      if (in_.bad()) fail(line_no_ + 1, "read error");
      fail(line_no_ + 1, "truncated QM9 record: missing ", what, " (end of input)");
    }
    ++line_no_;
    return split_fields(line_);
  }

  // Whether only blank lines remain.
  bool only_blank_lines_left() {
    while (std::getline(in_, line_)) {
      ++line_no_;
      if (!std::all_of(line_.begin(), line_.end(), is_space)) return false;
    }
    if (in_.bad()) fail(line_no_ + 1, "read error");
    return true;
  }

  // A real number, accepting "*^" for the exponent (Mathematica's output in QM9).
  double real(std::string_view field, const char* what) const {
    std::string text(field);
    const std::size_t star = text.find("*^");
    if (star != std::string::npos) text.replace(star, 2, "e");
    double value = 0;
    if (!parse_real(text, value)) {
      fail(line_no_, what, " ", excerpt(field), " is not a finite real number");
    }
    return value;
  }

  int64_t line_no() const { return line_no_; }

 private:
  std::istream& in_;
  const std::string& source_;
  std::string line_;
  int64_t line_no_ = 0;
};

}  // namespace

Frame read_qm9_xyz(std::istream& in, const std::string& source_name) {
  Parser p(in, source_name);
  Frame frame;

  // Line 1: atom count, bounded before anything is allocated.
  std::vector<std::string_view> f = p.next_line("the atom count");
  if (f.size() != 1)
    p.fail(p.line_no(), "expected the atom count alone, got ", f.size(), " fields");
  int64_t n = 0;
  const std::string_view count = f[0];
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (ec != std::errc() || end != count.data() + count.size() || n < 1 ||
      n > ExtxyzReader::kMaxAtoms) {
    p.fail(p.line_no(), "bad atom count ", excerpt(count), ", expected an integer in [1, ",
           ExtxyzReader::kMaxAtoms, "]");
  }

  // Line 2: "gdb <id>" and the 15 scalar properties.
  f = p.next_line("the 'gdb <id>' property line");
  if (f.size() != 17 || f[0] != "gdb") {
    p.fail(p.line_no(), "expected 'gdb <id>' followed by 15 properties, got ", f.size(),
           " fields starting with ", excerpt(f.empty() ? std::string_view() : f[0]));
  }
  int64_t index = 0;
  const auto [id_end, id_ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), index);
  if (id_ec != std::errc() || id_end != f[1].data() + f[1].size() || index < 0) {
    p.fail(p.line_no(), "gdb id ", excerpt(f[1]), " is not a non-negative integer");
  }
  frame.info["index"] = std::to_string(index);
  for (int k = 0; k < 15; ++k) {
    const double value = p.real(f[2 + k], kQm9PropertyNames[k]);
    frame.info[kQm9PropertyNames[k]] = format_real(value);
  }

  // n atom lines: element, x, y, z, Mulliken charge.
  AtomProperty charges{"mulliken_charges", 'R', 1, {}};
  for (int64_t atom = 0; atom < n; ++atom) {
    f = p.next_line("an atom line");
    if (f.size() != 5) {
      p.fail(p.line_no(), "atom line ", atom + 1, " of ", n,
             ": expected 5 fields (element x y z charge), got ", f.size());
    }
    frame.species.emplace_back(f[0]);
    frame.positions.push_back({p.real(f[1], "x"), p.real(f[2], "y"), p.real(f[3], "z")});
    charges.values.push_back(format_real(p.real(f[4], "Mulliken charge")));
  }
  frame.atom_properties.push_back(std::move(charges));

  // Frequencies (any count: 3n-6, 3n-5 for linear molecules, none for one atom).
  f = p.next_line("the frequency line");
  std::string frequencies;
  for (const std::string_view field : f) {
    if (!frequencies.empty()) frequencies += ' ';
    frequencies += format_real(p.real(field, "frequency"));
  }
  frame.info["frequencies"] = frequencies;

  // SMILES and InChI: the GDB-17 one, then (usually) the one of the relaxed geometry.
  const char* const names[2][2] = {{"smiles", "smiles_relaxed"}, {"inchi", "inchi_relaxed"}};
  const char* const what[2] = {"the SMILES line", "the InChI line"};
  for (int line = 0; line < 2; ++line) {
    f = p.next_line(what[line]);
    if (f.empty() || f.size() > 2) {
      p.fail(p.line_no(), "expected 1 or 2 fields on ", what[line], ", got ", f.size());
    }
    for (std::size_t k = 0; k < f.size(); ++k) frame.info[names[line][k]] = std::string(f[k]);
  }
  if (!p.only_blank_lines_left()) {
    p.fail(p.line_no(), "unexpected content after the InChI line (one molecule per QM9 file)");
  }
  return frame;
}

Frame read_qm9_xyz(const std::string& path) {
  std::error_code ec;
  SE3T_CHECK(!std::filesystem::is_directory(path, ec), "read_qm9_xyz: ", path,
             " is a directory, expected a QM9 .xyz file");
  std::ifstream in(path);
  SE3T_CHECK(in.is_open(), "read_qm9_xyz: cannot open ", path);
  return read_qm9_xyz(in, path);
}

}  // namespace se3t

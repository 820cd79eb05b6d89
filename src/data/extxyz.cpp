// Extended XYZ reader / writer. Deliberately std-only (no LibTorch): the fuzzer builds it alone.
#include "se3t/data/extxyz.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {

namespace {

// Our own test: std::isspace on a negative char (any non-ASCII byte) is undefined behaviour.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), is_space);
}

// Splits on runs of whitespace into `out` (reused between lines to avoid reallocating).
void split_fields(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
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

template <typename... Args>
[[noreturn]] void fail(const std::string& source, int64_t line, const Args&... args) {
  throw Error(detail::concat("se3t: ", source, ":", line, ": ", args...));
}

bool is_logical(std::string_view s) {
  return s == "T" || s == "F" || s == "True" || s == "False" || s == "true" || s == "false" ||
         s == "TRUE" || s == "FALSE";
}

// Whether a per-atom text value of the given type reads back (validated, then kept verbatim).
bool valid_value(char type, std::string_view s) {
  double real;
  int64_t integer;
  switch (type) {
    case 'R':
      return parse_real(s, real);
    case 'I':
      return parse_integer(s, integer);
    case 'L':
      return is_logical(s);
    default:
      return !s.empty();
  }
}

const char* type_name(char type) {
  switch (type) {
    case 'R':
      return "a finite real number";
    case 'I':
      return "an integer";
    case 'L':
      return "a logical (T/F)";
    default:
      return "a string";
  }
}

// One column group of the Properties spec.
struct Column {
  std::string name;
  char type;
  int64_t count;
};

// Properties=name:type:count:... -> columns; species:S:1 and pos:R:3 required.
std::vector<Column> parse_properties(const std::string& spec, const std::string& source,
                                     int64_t line) {
  std::vector<std::string_view> parts;
  std::string_view rest(spec);
  while (true) {
    const std::size_t colon = rest.find(':');
    parts.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (parts.size() % 3 != 0) {
    fail(source, line, "bad Properties spec ", excerpt(spec),
         ": expected name:type:columns triples separated by ':'");
  }
  std::vector<Column> columns;
  for (std::size_t i = 0; i < parts.size(); i += 3) {
    const std::string_view name = parts[i], type = parts[i + 1], count = parts[i + 2];
    if (name.empty()) fail(source, line, "bad Properties spec: empty property name");
    if (type.size() != 1 || std::string_view("SRIL").find(type[0]) == std::string_view::npos) {
      fail(source, line, "bad Properties spec: property ", excerpt(name), " has type ",
           excerpt(type), ", expected one of S, R, I, L");
    }
    int64_t n = 0;
    // Bounded so the column total cannot overflow; a real file never has this many.
    if (!parse_integer(count, n) || n < 1 || n > ExtxyzReader::kMaxAtoms) {
      fail(source, line, "bad Properties spec: property ", excerpt(name), " has column count ",
           excerpt(count), ", expected an integer in [1, ", ExtxyzReader::kMaxAtoms, "]");
    }
    for (const Column& c : columns) {
      if (c.name == name)
        fail(source, line, "bad Properties spec: duplicate property ", excerpt(name));
    }
    columns.push_back({std::string(name), type[0], n});
  }
  auto require = [&](const char* name, char type, int64_t count, bool required) {
    for (const Column& c : columns) {
      if (c.name == name) {
        if (c.type != type || c.count != count) {
          fail(source, line, "bad Properties spec: '", name, "' must be ", name, ":", type, ":",
               count, ", got ", name, ":", c.type, ":", c.count);
        }
        return;
      }
    }
    if (required)
      fail(source, line, "bad Properties spec: '", name, "' is required (", name, ":", type, ":",
           count, ")");
  };
  require("species", 'S', 1, true);
  require("pos", 'R', 3, true);
  require("forces", 'R', 3, false);
  return columns;
}

// The comment line: whitespace-separated key=value tokens, double quotes removed (backslash
// escapes a quote or a backslash inside them), [..] / {..} groups kept whole, a bare key
// meaning T (ASE's convention).
std::map<std::string, std::string> parse_comment(const std::string& line, const std::string& source,
                                                 int64_t line_no) {
  std::map<std::string, std::string> info;
  const std::size_t n = line.size();
  std::size_t i = 0;
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i == n) break;
    const std::size_t start = i;
    std::string key, value;
    bool in_value = false, quoted = false;
    int depth = 0;
    for (; i < n; ++i) {
      const char c = line[i];
      std::string& cur = in_value ? value : key;
      if (quoted) {
        if (c == '\\' && i + 1 < n && (line[i + 1] == '"' || line[i + 1] == '\\')) {
          cur += line[++i];
        } else if (c == '"') {
          quoted = false;
        } else {
          cur += c;
        }
        continue;
      }
      if (c == '"') {
        quoted = true;
        continue;
      }
      if (depth == 0 && is_space(c)) break;
      if (c == '[' || c == '{') {
        ++depth;
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      } else if (c == '=' && depth == 0 && !in_value) {
        in_value = true;
        continue;
      }
      cur += c;
    }
    const std::string_view token = std::string_view(line).substr(start, i - start);
    if (quoted) fail(source, line_no, "unterminated quote in ", excerpt(token));
    if (depth > 0) fail(source, line_no, "unterminated bracket in ", excerpt(token));
    if (key.empty())
      fail(source, line_no, "empty key in ", excerpt(token), " (expected key=value)");
    if (!in_value) value = "T";
    if (!info.emplace(std::move(key), std::move(value)).second) {
      fail(source, line_no, "duplicate key in ", excerpt(token));
    }
  }
  return info;
}

// Keys are written bare, so they must read back as one token without quotes.
bool writable_key(const std::string& key) {
  if (key.empty()) return false;
  for (const char c : key) {
    if (is_space(c) || c == '=' || c == '"' || c == '\\' || c == '[' || c == ']' || c == '{' ||
        c == '}') {
      return false;
    }
  }
  return true;
}

std::string quote_if_needed(const std::string& value) {
  bool needs = value.empty();
  for (const char c : value) {
    if (is_space(c) || c == '=' || c == '"' || c == '\\' || c == '[' || c == ']' || c == '{' ||
        c == '}') {
      needs = true;
    }
  }
  if (!needs) return value;
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool is_reserved(const std::string& name) {
  return name == "species" || name == "pos" || name == "forces";
}

bool is_properties_key(const std::string& key) {
  std::string lower = key;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  return lower == "properties";
}

bool is_true(std::string_view s) {
  return s == "T" || s == "True" || s == "true" || s == "TRUE";
}

// Lattice="ax ay az bx by bz cx cy cz": nine reals, the rows a, b, c of the cell (ASE).
Cell parse_lattice(const std::string& value, const std::string& source, int64_t line) {
  std::vector<std::string_view> fields;
  split_fields(value, fields);
  if (fields.size() != 9) {
    fail(source, line, "Lattice: expected 9 real numbers (rows a, b, c of the cell), got ",
         fields.size(), " in ", excerpt(value));
  }
  Cell cell{};
  for (std::size_t k = 0; k < 9; ++k) {
    if (!parse_real(fields[k], cell[k / 3][k % 3])) {
      fail(source, line, "Lattice: value ", k + 1, " ", excerpt(fields[k]),
           " is not a finite real number");
    }
  }
  try {
    check_cell(cell, "Lattice: ");
  } catch (const Error& e) {
    fail(source, line, e.message());
  }
  return cell;
}

// pbc="T T F" (or one value for all three directions), T/F/True/False.
std::array<bool, 3> parse_pbc(const std::string& value, const std::string& source, int64_t line) {
  std::vector<std::string_view> fields;
  split_fields(value, fields);
  if ((fields.size() != 1 && fields.size() != 3) ||
      !std::all_of(fields.begin(), fields.end(), is_logical)) {
    fail(source, line, "pbc: expected 1 or 3 logicals (T/F/True/False), got ", excerpt(value));
  }
  std::array<bool, 3> pbc{};
  for (std::size_t k = 0; k < 3; ++k) pbc[k] = is_true(fields[fields.size() == 1 ? 0 : k]);
  return pbc;
}

}  // namespace

double cell_determinant(const Cell& c) {
  return c[0][0] * (c[1][1] * c[2][2] - c[1][2] * c[2][1]) -
         c[0][1] * (c[1][0] * c[2][2] - c[1][2] * c[2][0]) +
         c[0][2] * (c[1][0] * c[2][1] - c[1][1] * c[2][0]);
}

void check_cell(const Cell& cell, const std::string& where) {
  double norms = 1;
  for (int r = 0; r < 3; ++r) {
    for (int k = 0; k < 3; ++k) {
      SE3T_CHECK(std::isfinite(cell[r][k]), where, "cell row ", "abc"[r], " is not finite");
    }
    const double norm =
        std::sqrt(cell[r][0] * cell[r][0] + cell[r][1] * cell[r][1] + cell[r][2] * cell[r][2]);
    SE3T_CHECK(norm > 0, where, "cell vector ", "abc"[r],
               " is zero (every row must be a lattice vector)");
    norms *= norm;
  }
  const double det = cell_determinant(cell);
  SE3T_CHECK(std::abs(det) > 1e-9 * norms, where,
             "singular cell: the volume (a x b) . c = ", format_real(det),
             " is negligible against |a| |b| |c| = ", format_real(norms),
             " (the lattice vectors are coplanar)");
  SE3T_CHECK(det > 0, where, "left-handed cell: (a x b) . c = ", format_real(det),
             " < 0; swap two lattice vectors (or negate one) to make it right-handed");
}

std::optional<double> Frame::number(const std::string& key) const {
  const auto it = info.find(key);
  if (it == info.end()) return std::nullopt;
  const std::string_view s = trim(it->second);
  double value = 0;
  if (parse_real(s, value)) return value;
  // Non-finite values are numbers too (a label may legitimately be nan); from_chars reads them.
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  SE3T_CHECK(!s.empty() && ec == std::errc() && end == s.data() + s.size(), "Frame::number: '", key,
             "' is ", excerpt(it->second), ", expected a number");
  return value;
}

ExtxyzReader::ExtxyzReader(std::istream& in, std::string source_name)
    : in_(in), source_(std::move(source_name)) {}

bool ExtxyzReader::read_line(std::string& line) {
  if (!std::getline(in_, line)) {
    if (in_.bad()) fail(source_, line_ + 1, "read error");
    return false;
  }
  ++line_;
  if (!line.empty() && line.back() == '\r') line.pop_back();  // files written on Windows
  return true;
}

bool ExtxyzReader::next(Frame& frame) {
  SE3T_CHECK(!failed_, source_, ":", line_, ": ExtxyzReader used after an error");
  failed_ = true;  // cleared on success; any throw below leaves the reader unusable
  std::string line;
  do {
    if (!read_line(line)) {
      failed_ = false;
      return false;
    }
  } while (is_blank(line));

  // Line 1: the atom count, checked against the limit before anything is allocated.
  const std::string_view count_text = trim(line);
  const int64_t count_line = line_;
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (count_text.size() > 1 && count_text.front() == '-' &&
      std::all_of(count_text.begin() + 1, count_text.end(), is_digit)) {
    fail(source_, line_, "negative atom count ", excerpt(count_text));
  }
  if (!std::all_of(count_text.begin(), count_text.end(), is_digit)) {
    fail(source_, line_, "bad atom count ", excerpt(count_text), ", expected an integer");
  }
  int64_t n = 0;
  if (!parse_integer(count_text, n) || n > kMaxAtoms) {
    fail(source_, line_, "atom count ", excerpt(count_text), " exceeds the limit ", kMaxAtoms);
  }

  // Line 2: Properties and the frame's key=value pairs.
  if (!read_line(line)) {
    fail(source_, line_ + 1, "truncated file: missing the comment line after atom count ", n);
  }
  std::map<std::string, std::string> info = parse_comment(line, source_, line_);
  // ASE matches the Properties key case-insensitively; two spellings would be ambiguous.
  std::vector<std::string> spec_keys;
  for (const auto& kv : info) {
    if (is_properties_key(kv.first)) spec_keys.push_back(kv.first);
  }
  if (spec_keys.size() > 1) fail(source_, line_, "duplicate Properties key");
  std::string spec;
  if (!spec_keys.empty()) {
    spec = info[spec_keys[0]];
    info.erase(spec_keys[0]);
  }
  if (spec_keys.empty()) fail(source_, line_, "missing Properties=... on the comment line");
  const std::vector<Column> columns = parse_properties(spec, source_, line_);
  int64_t total_columns = 0;
  for (const Column& c : columns) total_columns += c.count;

  // Lattice and pbc as ASE reads them: a Lattice alone is periodic along a, b and c.
  std::optional<Cell> cell;
  std::array<bool, 3> pbc{false, false, false};
  const auto lattice = info.find("Lattice");
  if (lattice != info.end()) {
    cell = parse_lattice(lattice->second, source_, line_);
    pbc = {true, true, true};
    info.erase(lattice);
  }
  const auto pbc_entry = info.find("pbc");
  if (pbc_entry != info.end()) {
    pbc = parse_pbc(pbc_entry->second, source_, line_);
    if (!cell && (pbc[0] || pbc[1] || pbc[2])) {
      fail(source_, line_, "pbc=", excerpt(pbc_entry->second),
           " is periodic but there is no Lattice=\"...\" (the cell) on the comment line");
    }
    info.erase(pbc_entry);
  }

  frame = Frame();
  frame.info = std::move(info);
  frame.cell = cell;
  frame.pbc = pbc;
  // Reserve only a little up front: a lying count in a short file must not cost memory.
  const std::size_t reserve = static_cast<std::size_t>(std::min<int64_t>(n, 4096));
  frame.species.reserve(reserve);
  frame.positions.reserve(reserve);
  for (const Column& c : columns) {
    if (c.name == "forces") {
      frame.forces.reserve(reserve);
    } else if (!is_reserved(c.name)) {
      frame.atom_properties.push_back({c.name, c.type, static_cast<int>(c.count), {}});
    }
  }

  std::vector<std::string_view> fields;
  for (int64_t atom = 0; atom < n; ++atom) {
    if (!read_line(line)) {
      fail(source_, line_ + 1, "truncated file: the frame starting at line ", count_line,
           " announces ", n, " atoms but only ", atom, " atom lines follow");
    }
    split_fields(line, fields);
    if (static_cast<int64_t>(fields.size()) != total_columns) {
      fail(source_, line_, "wrong column count: expected ", total_columns,
           " columns (from Properties=", spec, "), got ", fields.size());
    }
    std::size_t f = 0, extra = 0;
    for (const Column& c : columns) {
      if (c.name == "species") {
        frame.species.emplace_back(fields[f]);
      } else if (c.name == "pos" || c.name == "forces") {
        std::array<double, 3> v{};
        for (int k = 0; k < 3; ++k) {
          if (!parse_real(fields[f + k], v[k])) {
            fail(source_, line_, "column ", f + k + 1, " (", c.name, "): ", excerpt(fields[f + k]),
                 " is not a finite real number");
          }
        }
        (c.name == "pos" ? frame.positions : frame.forces).push_back(v);
      } else {
        AtomProperty& p = frame.atom_properties[extra++];
        for (int64_t k = 0; k < c.count; ++k) {
          const std::string_view value = fields[f + k];
          if (!valid_value(c.type, value)) {
            fail(source_, line_, "column ", f + k + 1, " (", c.name, "): ", excerpt(value),
                 " is not ", type_name(c.type));
          }
          p.values.emplace_back(value);
        }
      }
      f += static_cast<std::size_t>(c.count);
    }
  }
  failed_ = false;
  return true;
}

std::vector<Frame> read_extxyz(std::istream& in, const std::string& source_name) {
  ExtxyzReader reader(in, source_name);
  std::vector<Frame> frames;
  Frame frame;
  while (reader.next(frame)) frames.push_back(std::move(frame));
  return frames;
}

void write_extxyz(std::ostream& out, const Frame& frame) {
  const std::size_t n = frame.species.size();
  SE3T_CHECK(frame.positions.size() == n, "write_extxyz: expected ", n,
             " positions (one per species), got ", frame.positions.size());
  SE3T_CHECK(frame.forces.empty() || frame.forces.size() == n, "write_extxyz: expected ", n,
             " forces (one per species) or none, got ", frame.forces.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& s = frame.species[i];
    SE3T_CHECK(!s.empty() && std::none_of(s.begin(), s.end(), is_space),
               "write_extxyz: species of atom ", i, " is ", excerpt(s),
               ", expected a non-empty symbol without spaces");
    for (int k = 0; k < 3; ++k) {
      SE3T_CHECK(std::isfinite(frame.positions[i][k]), "write_extxyz: position of atom ", i,
                 " is not finite");
      SE3T_CHECK(frame.forces.empty() || std::isfinite(frame.forces[i][k]),
                 "write_extxyz: force on atom ", i, " is not finite");
    }
  }
  for (std::size_t j = 0; j < frame.atom_properties.size(); ++j) {
    const AtomProperty& p = frame.atom_properties[j];
    SE3T_CHECK(
        writable_key(p.name) && p.name.find(':') == std::string::npos && !is_reserved(p.name),
        "write_extxyz: atom property name ", excerpt(p.name),
        " is empty, reserved (species/pos/forces) or has spaces, ':', '=' or quotes");
    for (std::size_t k = 0; k < j; ++k) {
      SE3T_CHECK(frame.atom_properties[k].name != p.name, "write_extxyz: duplicate atom property ",
                 excerpt(p.name));
    }
    SE3T_CHECK(std::string_view("SRIL").find(p.type) != std::string_view::npos && p.type != '\0',
               "write_extxyz: atom property ", p.name, " has type '", p.type,
               "', expected S, R, I or L");
    SE3T_CHECK(p.columns >= 1, "write_extxyz: atom property ", p.name, " has ", p.columns,
               " columns, expected at least 1");
    SE3T_CHECK(p.values.size() == n * static_cast<std::size_t>(p.columns),
               "write_extxyz: atom property ", p.name, " expected ", n, " x ", p.columns,
               " values, got ", p.values.size());
    for (const std::string& v : p.values) {
      SE3T_CHECK(std::none_of(v.begin(), v.end(), is_space) && valid_value(p.type, v),
                 "write_extxyz: atom property ", p.name, " value ", excerpt(v), " is not ",
                 type_name(p.type), " without spaces");
    }
  }
  if (frame.cell) check_cell(*frame.cell, "write_extxyz: ");
  SE3T_CHECK(frame.cell || !(frame.pbc[0] || frame.pbc[1] || frame.pbc[2]),
             "write_extxyz: pbc is periodic but the frame has no cell");
  for (const auto& [key, value] : frame.info) {
    SE3T_CHECK(writable_key(key) && !is_properties_key(key), "write_extxyz: info key ",
               excerpt(key), " is empty, 'Properties', or has spaces, '=', quotes or brackets");
    SE3T_CHECK(key != "Lattice" && key != "pbc", "write_extxyz: info key '", key,
               "' is reserved: the cell and its periodicity are Frame::cell and Frame::pbc");
    SE3T_CHECK(value.find_first_of("\n\r") == std::string::npos, "write_extxyz: info value of ",
               key, " contains a line break");
  }

  out << n << '\n';
  if (frame.cell) {
    out << "Lattice=\"";
    for (int k = 0; k < 9; ++k) out << (k ? " " : "") << format_real((*frame.cell)[k / 3][k % 3]);
    out << "\" pbc=\"" << (frame.pbc[0] ? 'T' : 'F') << ' ' << (frame.pbc[1] ? 'T' : 'F') << ' '
        << (frame.pbc[2] ? 'T' : 'F') << "\" ";
  }
  out << "Properties=species:S:1:pos:R:3";
  if (!frame.forces.empty()) out << ":forces:R:3";
  for (const AtomProperty& p : frame.atom_properties) {
    out << ':' << p.name << ':' << p.type << ':' << p.columns;
  }
  for (const auto& [key, value] : frame.info) out << ' ' << key << '=' << quote_if_needed(value);
  out << '\n';
  std::string row;
  for (std::size_t i = 0; i < n; ++i) {
    row = frame.species[i];
    for (int k = 0; k < 3; ++k) row += ' ' + format_real(frame.positions[i][k]);
    if (!frame.forces.empty()) {
      for (int k = 0; k < 3; ++k) row += ' ' + format_real(frame.forces[i][k]);
    }
    for (const AtomProperty& p : frame.atom_properties) {
      for (int k = 0; k < p.columns; ++k) row += ' ' + p.values[i * p.columns + k];
    }
    row += '\n';
    out << row;
  }
}

void write_extxyz(const std::string& path, const std::vector<Frame>& frames) {
  std::ostringstream out;
  for (const Frame& frame : frames) write_extxyz(out, frame);
  write_file_atomic(path, out.str(), "extended XYZ file");
}

}  // namespace se3t

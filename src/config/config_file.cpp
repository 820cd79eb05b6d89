// The only translation unit that includes toml++ (header-only and slow to compile).
#include "se3t/config/config_file.h"

#include <toml++/toml.h>

#include <set>
#include <sstream>

#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {
namespace {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date/time";
  }
}

std::string line_of(const toml::node& n) {
  const auto& b = n.source().begin;
  return b.line > 0 ? ":" + std::to_string(b.line) : "";
}

toml::table parse_table(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    SE3T_CHECK(false, "config ", source, ":", b.line, ":", b.column, ": ", e.description());
  }
  return {};
}

// Reads the keys of one table, remembering which it knew, so the rest can be reported.
class TomlReader : public FieldVisitor {
 public:
  TomlReader(const toml::table* table, std::string section, std::string source)
      : table_(table), section_(std::move(section)), source_(std::move(source)) {}

  void field(const char* key, int64_t& out, const char*, Range) override {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_integer(), where(key, *n), " must be an integer, got ", type_name(*n));
      out = n->value<int64_t>().value();
    }
  }
  void field(const char* key, uint64_t& out, const char*) override {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_integer(), where(key, *n), " must be an integer, got ", type_name(*n));
      const int64_t v = n->value<int64_t>().value();
      SE3T_CHECK(v >= 0, where(key, *n), " must be >= 0, got ", v);
      out = static_cast<uint64_t>(v);
    }
  }
  void field(const char* key, double& out, const char*, Range) override {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_number(), where(key, *n), " must be a number, got ", type_name(*n));
      out = n->value<double>().value();
    }
  }
  void field(const char* key, bool& out, const char*) override {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_boolean(), where(key, *n), " must be true or false, got ", type_name(*n));
      out = n->value<bool>().value();
    }
  }
  void field(const char* key, std::string& out, const char*, const Choices&) override {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_string(), where(key, *n), " must be a string, got ", type_name(*n));
      out = n->value<std::string>().value();
    }
  }

  // Throws for the first key that no field asked for.
  void finish() const {
    if (!table_) return;
    for (auto&& [key, node] : *table_) {
      const std::string k(key.str());
      SE3T_CHECK(known_.count(k) > 0, where(k, node), ": unknown key");
    }
  }

 private:
  const toml::node* find(const std::string& key) {
    known_.insert(key);
    return table_ ? table_->get(key) : nullptr;
  }
  std::string where(const std::string& key, const toml::node& n) const {
    return "config " + source_ + line_of(n) + ": [" + section_ + "]." + key;
  }

  const toml::table* table_;
  std::string section_, source_;
  std::set<std::string> known_;
};

std::string toml_quoted(const std::string& s) {
  std::ostringstream out;
  out << toml::value<std::string>(s);
  return out.str();
}

std::string toml_real(double x) {
  std::string s = format_real(x);
  // TOML floats need a '.' or an exponent.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// key = value lines; with help, each preceded by a comment with the help and allowed values.
class TomlWriter : public FieldVisitor {
 public:
  explicit TomlWriter(bool help) : help_(help) {}
  void field(const char* key, int64_t& v, const char* h, Range r) override {
    line(key, std::to_string(v), h, r.str());
  }
  void field(const char* key, uint64_t& v, const char* h) override {
    line(key, std::to_string(v), h, ">= 0");
  }
  void field(const char* key, double& v, const char* h, Range r) override {
    line(key, toml_real(v), h, r.str());
  }
  void field(const char* key, bool& v, const char* h) override {
    line(key, v ? "true" : "false", h, "true or false");
  }
  void field(const char* key, std::string& v, const char* h, const Choices& choices) override {
    std::string allowed;
    for (const char* c : choices) allowed += (allowed.empty() ? "" : " | ") + toml_quoted(c);
    line(key, toml_quoted(v), h, allowed);
  }
  std::ostringstream out;

 private:
  void line(const char* key, const std::string& value, const char* h, const std::string& allowed) {
    if (help_) {
      out << "# " << h;
      if (!allowed.empty()) out << " (" << allowed << ")";
      out << "\n";
    }
    out << key << " = " << value << "\n";
  }
  bool help_;
};

std::string write_sections(const std::string& task, const ConfigSections& sections, bool help) {
  TomlWriter w(help);
  if (help) w.out << "# Every key is optional; the values shown are the defaults.\n";
  w.out << "task = " << toml_quoted(task) << "\n";
  for (const ConfigSection& s : sections) {
    w.out << "\n[" << s.name << "]\n";
    s.fields(w);
  }
  return w.out.str();
}

}  // namespace

void read_config(const std::string& text, const std::string& source, const std::string& task,
                 const ConfigSections& sections) {
  const toml::table root = parse_table(text, source);
  std::string names;
  for (const ConfigSection& s : sections) names += "[" + s.name + "], ";
  for (auto&& [key, node] : root) {
    const std::string k(key.str());
    if (k == "task") {
      SE3T_CHECK(node.is_string() && node.value<std::string>().value() == task, "config ", source,
                 line_of(node), ": task must be \"", task, "\" here");
      continue;
    }
    bool known = false;
    for (const ConfigSection& s : sections) known = known || s.name == k;
    SE3T_CHECK(known, "config ", source, line_of(node), ": unknown table [", k,
               "] (expected task, ", names.substr(0, names.size() - 2), ")");
    SE3T_CHECK(node.is_table(), "config ", source, line_of(node), ": ", k, " must be a table [", k,
               "], got ", type_name(node));
  }
  for (const ConfigSection& s : sections) {
    TomlReader r(root[s.name].as_table(), s.name, source);
    s.fields(r);
    r.finish();
  }
}

void check_config(const std::string& source, const ConfigSections& sections) {
  for (const ConfigSection& s : sections) {
    check_fields(s.fields, "config " + source + ": [" + s.name + "].");
  }
}

std::string write_config(const std::string& task, const ConfigSections& sections) {
  return write_sections(task, sections, false);
}

std::string describe_config(const std::string& task, const ConfigSections& sections) {
  return write_sections(task, sections, true);
}

std::string config_task(const std::string& text, const std::string& source) {
  const toml::table root = parse_table(text, source);
  const toml::node* t = root.get("task");
  if (!t) return "nbody";
  SE3T_CHECK(t->is_string(), "config ", source, line_of(*t), ": task must be a string, got ",
             type_name(*t));
  return t->value<std::string>().value();
}

bool config_is_empty(const std::string& text, const std::string& source) {
  const toml::table root = parse_table(text, source);
  bool empty = true;
  root.for_each([&](const toml::key& key, const toml::node& node) {
    if (key.str() == "task") return;
    if (const toml::table* t = node.as_table(); t && t->empty()) return;
    empty = false;
  });
  return empty;
}

}  // namespace se3t

// Private to src/train: the toml++ helpers shared by the experiment configs (config.cpp,
// molecule_config.cpp), the only translation units that include toml++ (header-only and slow
// to compile). Readers remember which keys they were asked for so unknown keys are errors.
#pragma once
#include <toml++/toml.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>

#include "se3t/util/check.h"

namespace se3t::toml_fields {

inline std::string type_name(const toml::node& n) {
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

// Reads the keys of one table, remembering which it knew, so the rest can be reported.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string section, std::string source)
      : table_(table), section_(std::move(section)), source_(std::move(source)) {}

  void read(const std::string& key, int64_t& out) {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_integer(), where(key), " must be an integer, got ", type_name(*n));
      out = n->value<int64_t>().value();
    }
  }
  void read(const std::string& key, uint64_t& out) {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_integer(), where(key), " must be an integer, got ", type_name(*n));
      const int64_t v = n->value<int64_t>().value();
      SE3T_CHECK(v >= 0, where(key), " must be >= 0, got ", v);
      out = static_cast<uint64_t>(v);
    }
  }
  void read(const std::string& key, double& out) {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_number(), where(key), " must be a number, got ", type_name(*n));
      out = n->value<double>().value();
    }
  }
  void read(const std::string& key, bool& out) {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_boolean(), where(key), " must be true or false, got ", type_name(*n));
      out = n->value<bool>().value();
    }
  }
  void read(const std::string& key, std::string& out) {
    if (const toml::node* n = find(key)) {
      SE3T_CHECK(n->is_string(), where(key), " must be a string, got ", type_name(*n));
      out = n->value<std::string>().value();
    }
  }
  bool has(const std::string& key) const { return table_ && table_->contains(key); }

  // Throws for the first key that no read() asked for.
  void finish() const {
    if (!table_) return;
    for (auto&& [key, node] : *table_) {
      (void)node;
      const std::string k(key.str());
      SE3T_CHECK(known_.count(k) > 0, where(k), ": unknown key");
    }
  }

 private:
  const toml::node* find(const std::string& key) {
    known_[key] = true;
    return table_ ? table_->get(key) : nullptr;
  }
  std::string where(const std::string& key) const {
    return "config " + source_ + ": [" + section_ + "]." + key;
  }

  const toml::table* table_;
  std::string section_, source_;
  std::map<std::string, bool> known_;
};

inline void check_choice(const std::string& source, const std::string& key,
                         const std::string& value, std::initializer_list<const char*> choices) {
  std::string list;
  for (const char* c : choices) {
    if (value == c) return;
    list += (list.empty() ? "" : ", ") + std::string("\"") + c + "\"";
  }
  SE3T_CHECK(false, "config ", source, ": ", key, " must be one of ", list, ", got \"", value,
             "\"");
}

inline std::string quoted(const std::string& s) {
  std::ostringstream out;
  out << toml::value<std::string>(s);
  return out.str();
}

inline std::string number(double x) {
  std::ostringstream out;
  out.precision(17);
  out << x;
  std::string s = out.str();
  // TOML floats need a '.' or an exponent.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

inline toml::table parse_table(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    SE3T_CHECK(false, "config ", source, ":", b.line, ":", b.column, ": ", e.description());
  }
  return {};
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SE3T_CHECK(in.good(), "config ", path, ": cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace se3t::toml_fields

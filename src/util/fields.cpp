#include "se3t/util/fields.h"

#include <cmath>
#include <set>
#include <sstream>

#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {

bool Range::contains(double x) const {
  return std::isfinite(x) && (lo_open ? x > lo : x >= lo) && x <= hi;
}

std::string Range::str() const {
  const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
  if (has_lo && has_hi) return "in [" + format_real(lo) + ", " + format_real(hi) + "]";
  if (has_lo) return (lo_open ? "> " : ">= ") + format_real(lo);
  if (has_hi) return "<= " + format_real(hi);
  return "";
}

namespace {

std::string choice_list(const Choices& choices) {
  std::string list;
  for (const char* c : choices) list += (list.empty() ? "\"" : ", \"") + std::string(c) + "\"";
  return list;
}

class FieldChecker : public FieldVisitor {
 public:
  explicit FieldChecker(std::string where) : where_(std::move(where)) {}
  void field(const char* key, int64_t& v, const char*, Range r) override {
    SE3T_CHECK(r.contains(static_cast<double>(v)), where_, key, " must be ", r.str(), ", got ", v);
  }
  void field(const char*, uint64_t&, const char*) override {}
  void field(const char* key, double& v, const char*, Range r) override {
    SE3T_CHECK(std::isfinite(v), where_, key, " must be finite, got ", v);
    SE3T_CHECK(r.contains(v), where_, key, " must be ", r.str(), ", got ", format_real(v));
  }
  void field(const char*, bool&, const char*) override {}
  void field(const char* key, std::string& v, const char*, const Choices& choices) override {
    if (choices.empty()) return;
    for (const char* c : choices) {
      if (v == c) return;
    }
    SE3T_CHECK(false, where_, key, " must be one of ", choice_list(choices), ", got \"", v, "\"");
  }

 private:
  std::string where_;
};

class KeyValueWriter : public FieldVisitor {
 public:
  void field(const char* key, int64_t& v, const char*, Range) override {
    put(key, std::to_string(v));
  }
  void field(const char* key, uint64_t& v, const char*) override { put(key, std::to_string(v)); }
  void field(const char* key, double& v, const char*, Range) override { put(key, format_real(v)); }
  void field(const char* key, bool& v, const char*) override { put(key, v ? "true" : "false"); }
  void field(const char* key, std::string& v, const char*, const Choices&) override {
    SE3T_CHECK(v.find('\n') == std::string::npos, "key = value text: ", key,
               " must not contain a line break");
    put(key, v);
  }
  KeyValueText text;

 private:
  void put(const char* key, const std::string& v) { text.put(key, v); }
};

class KeyValueReader : public FieldVisitor {
 public:
  KeyValueReader(const KeyValueText& text, bool require_all) : text_(text), all_(require_all) {}
  void field(const char* key, int64_t& v, const char*, Range) override {
    if (present(key)) v = text_.integer(key);
  }
  void field(const char* key, uint64_t& v, const char*) override {
    if (!present(key)) return;
    const int64_t x = text_.integer(key);
    SE3T_CHECK(x >= 0, text_.what(), ": ", key, " must be >= 0, got ", x);
    v = static_cast<uint64_t>(x);
  }
  void field(const char* key, double& v, const char*, Range) override {
    if (present(key)) v = text_.real(key);
  }
  void field(const char* key, bool& v, const char*) override {
    if (present(key)) v = text_.boolean(key);
  }
  void field(const char* key, std::string& v, const char*, const Choices&) override {
    if (present(key)) v = text_.get(key);
  }
  void finish() const {
    for (const auto& [key, value] : text_.entries()) {
      (void)value;
      SE3T_CHECK(known_.count(key), text_.what(), ": unknown key '", key, "'");
    }
  }

 private:
  bool present(const char* key) {
    known_.insert(key);
    if (text_.has(key)) return true;
    SE3T_CHECK(!all_, text_.what(), ": missing key '", key, "'");
    return false;
  }
  const KeyValueText& text_;
  bool all_;
  std::set<std::string> known_;
};

}  // namespace

void check_fields(const FieldList& fields, const std::string& where) {
  FieldChecker checker(where);
  fields(checker);
}

KeyValueText KeyValueText::parse(const std::string& text, const std::string& what) {
  KeyValueText kv;
  kv.what_ = what;
  std::istringstream in(text);
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    const auto eq = l.find('=');
    SE3T_CHECK(eq != std::string_view::npos, what, ": line ", number,
               ": expected 'key = value', got '", std::string(l.substr(0, 60)), "'");
    const std::string key(trim(l.substr(0, eq)));
    SE3T_CHECK(!key.empty() && !kv.has(key), what, ": line ", number,
               key.empty() ? ": empty key" : ": key '" + key + "' given twice");
    kv.entries_.emplace_back(key, std::string(trim(l.substr(eq + 1))));
  }
  return kv;
}

void KeyValueText::put(const std::string& key, const std::string& value) {
  for (auto& e : entries_) {
    if (e.first == key) {
      e.second = value;
      return;
    }
  }
  entries_.emplace_back(key, value);
}

bool KeyValueText::has(const std::string& key) const {
  for (const auto& e : entries_) {
    if (e.first == key) return true;
  }
  return false;
}

const std::string& KeyValueText::get(const std::string& key) const {
  for (const auto& e : entries_) {
    if (e.first == key) return e.second;
  }
  SE3T_CHECK(false, what_, ": missing key '", key, "'");
  return entries_.front().second;  // not reached
}

std::string KeyValueText::str() const {
  std::string out;
  for (const auto& [key, value] : entries_) out += key + " = " + value + "\n";
  return out;
}

int64_t KeyValueText::integer(const std::string& key) const {
  const std::string& s = get(key);
  int64_t x = 0;
  if (parse_integer(s, x)) return x;
  double r = 0.0;  // integral reals: older files wrote some integers that way
  SE3T_CHECK(parse_real(s, r) && r == std::floor(r) && std::abs(r) < 9.0e15, what_, ": ", key,
             " must be an integer, got '", s, "'");
  return static_cast<int64_t>(r);
}

double KeyValueText::real(const std::string& key) const {
  const std::string& s = get(key);
  double x = 0.0;
  SE3T_CHECK(parse_real(s, x), what_, ": ", key, " must be a finite number, got '", s, "'");
  return x;
}

bool KeyValueText::boolean(const std::string& key) const {
  const std::string& s = get(key);
  SE3T_CHECK(s == "true" || s == "false" || s == "1" || s == "0", what_, ": ", key,
             " must be true or false, got '", s, "'");
  return s == "true" || s == "1";
}

std::string to_key_value(const FieldList& fields) {
  KeyValueWriter w;
  fields(w);
  return w.text.str();
}

void from_key_value(const KeyValueText& text, const FieldList& fields, bool require_all) {
  KeyValueReader r(text, require_all);
  fields(r);
  r.finish();
}

}  // namespace se3t

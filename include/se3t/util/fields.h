// Settings declared once. A settings struct lists its fields in one function,
//
//   void visit(FieldVisitor& v) {
//     v.field("num_layers", num_layers, "attention blocks", Range::at_least(0));
//     ...
//   }
//
// and every use of the settings is a visitor of that list: the TOML config reader and writer
// (se3t/config/config_file.h), range and choice validation, the `--help` listing of a config,
// and the key = value text that checkpoints and data sets store (below). Adding a setting is
// one line in visit(); nothing else has to change.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace se3t {

// Allowed values of a number: [lo, hi], or (lo, hi] when lo_open. Numbers are always finite.
struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  static Range at_least(double lo) { return {lo, std::numeric_limits<double>::infinity(), false}; }
  static Range above(double lo) { return {lo, std::numeric_limits<double>::infinity(), true}; }
  static Range between(double lo, double hi) { return {lo, hi, false}; }
  bool contains(double x) const;
  std::string str() const;  // e.g. ">= 0", "> 0", "in [0, 1024]"; "" for any
};

// Allowed values of a string; empty: any.
using Choices = std::vector<const char*>;

class FieldVisitor {
 public:
  virtual ~FieldVisitor() = default;
  virtual void field(const char* key, int64_t& value, const char* help, Range range = {}) = 0;
  virtual void field(const char* key, uint64_t& value, const char* help) = 0;
  virtual void field(const char* key, double& value, const char* help, Range range = {}) = 0;
  virtual void field(const char* key, bool& value, const char* help) = 0;
  virtual void field(const char* key, std::string& value, const char* help,
                     const Choices& choices = {}) = 0;
};

// The field list of a settings object, as a callable (a struct's visit member bound to it).
using FieldList = std::function<void(FieldVisitor&)>;

// Throws se3t::Error "<where>.<key> must be ..." for the first value outside its range or
// choices, or a non-finite number.
void check_fields(const FieldList& fields, const std::string& where);

// ---- key = value text ------------------------------------------------------------------------
// The one format of the settings stored inside checkpoints and beside data sets: a line
// "key = value" per setting (value verbatim up to the end of the line, blanks trimmed), '#'
// comments and blank lines ignored. Integers are read as integer literals or integral reals,
// booleans as true/false (or 1/0), reals exactly as format_real writes them.
class KeyValueText {
 public:
  // `what` names the text in errors ("checkpoint model.pt: model options").
  static KeyValueText parse(const std::string& text, const std::string& what);

  void put(const std::string& key, const std::string& value);
  bool has(const std::string& key) const;
  // The value of key; throws naming `what` and the key when it is absent.
  const std::string& get(const std::string& key) const;
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  const std::string& what() const { return what_; }
  std::string str() const;  // "key = value\n" lines in insertion order

  // Typed reads of one value (errors name `what` and the key).
  int64_t integer(const std::string& key) const;
  double real(const std::string& key) const;
  bool boolean(const std::string& key) const;

 private:
  std::string what_;
  std::vector<std::pair<std::string, std::string>> entries_;
};

// The fields as key = value text, in declaration order.
std::string to_key_value(const FieldList& fields);
// Reads key = value text into the fields. Keys the text lacks keep their current value
// (settings added later take their defaults) unless `require_all`; a key the fields do not
// declare is an error.
void from_key_value(const KeyValueText& text, const FieldList& fields, bool require_all = false);

}  // namespace se3t

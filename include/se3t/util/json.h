// Minimal JSON output helpers for the command line and metric files.
#pragma once
#include <string>
#include <vector>

namespace se3t {

// A JSON string literal (quotes included) with ", \ and control characters escaped.
std::string json_string(const std::string& s);
// A JSON number with up to `precision` significant digits; null for NaN and infinities.
std::string json_number(double x, int precision = 10);
// A JSON array of string literals.
std::string json_string_list(const std::vector<std::string>& items);

}  // namespace se3t

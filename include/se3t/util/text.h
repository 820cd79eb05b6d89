// Small text helpers shared by every file format of se3t: whole-file reads, trimming, and the
// one way real numbers are parsed and printed.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace se3t {

// The whole file; throws se3t::Error "<what> <path>: cannot open the file".
std::string read_text(const std::string& path, const std::string& what = "file");

// `s` without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view s);

// Parses all of `text` as a finite double (leading '+' allowed), locale-independent. False for
// anything else (empty, trailing characters, NaN, inf, overflow).
bool parse_real(std::string_view text, double& value);
// Parses all of `text` as an integer literal (leading '+' allowed). False otherwise.
bool parse_integer(std::string_view text, int64_t& value);
// Shortest text that reads back to exactly `value` (std::to_chars).
std::string format_real(double value);
// printf-style formatting of one double, e.g. format("%.5f", x).
std::string format(const char* printf_format, double value);

}  // namespace se3t

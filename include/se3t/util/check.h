// Argument checks that throw clear errors instead of crashing or returning NaN.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace se3t {

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace detail

// Thrown for every invalid argument or malformed input se3t detects.
class Error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
  // The message without its "se3t: " prefix, to nest in another message.
  std::string message() const {
    const std::string m = what();
    return m.rfind("se3t: ", 0) == 0 ? m.substr(6) : m;
  }
};

}  // namespace se3t

// SE3T_CHECK(cond, "where", ": expected ...", value): throws se3t::Error with the message.
#define SE3T_CHECK(cond, ...)                                             \
  do {                                                                    \
    if (!(cond)) {                                                        \
      throw ::se3t::Error(::se3t::detail::concat("se3t: ", __VA_ARGS__)); \
    }                                                                     \
  } while (false)

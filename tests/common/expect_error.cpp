#include "common/expect_error.h"

#include <gtest/gtest.h>

#include "se3t/util/check.h"

namespace se3t::testing {

void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "message '" << msg << "' lacks '" << p << "'";
    }
    return;
  }
  ADD_FAILURE() << "expected se3t::Error mentioning " << (parts.empty() ? "" : parts.front());
}

}  // namespace se3t::testing

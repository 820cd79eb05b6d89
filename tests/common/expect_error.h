// expect_error: runs a callable and requires se3t::Error whose message names every part.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace se3t::testing {

void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts);

}  // namespace se3t::testing

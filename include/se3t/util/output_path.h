// The checks every command runs on an output file before it computes anything: an output never
// replaces one of the command's inputs, and replaces an existing file only when asked to.
#pragma once
#include <string>
#include <vector>

namespace se3t {

// Throws se3t::Error if `out` is (or resolves to the same file as) one of `inputs`, is a
// directory, or already exists and `overwrite` is false. `option` names the flag in the error.
void check_output_path(const std::string& out, const std::vector<std::string>& inputs,
                       bool overwrite, const std::string& option);

}  // namespace se3t

// Shape / dtype checks for tensor arguments, with messages that name the argument.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace se3t {

// Describes a tensor's shape and dtype, e.g. "[128, 3] Float".
std::string describe(const at::Tensor& t);

// Requires a defined floating-point tensor (float32 or float64).
void check_floating(const at::Tensor& t, const std::string& name);
// Requires t.dim() == dim and, for each entry of sizes >= 0, t.size(i) == sizes[i]
// (-1 means any size).
void check_shape(const at::Tensor& t, const std::vector<int64_t>& sizes, const std::string& name);
// Requires an integer (int64) index tensor of rank 1.
void check_index(const at::Tensor& t, const std::string& name);
// Requires that every entry is finite.
void check_finite(const at::Tensor& t, const std::string& name);
// Requires that every parameter and buffer of a loaded model is finite: a damaged file whose
// tensor bytes still parse would otherwise predict NaN. `source` names the file.
void check_parameters_finite(const torch::nn::Module& module, const std::string& source);

}  // namespace se3t

// LibTorch archives: an atomic save (written to PATH.tmp, then renamed over PATH, so a crash or
// a full disk never leaves a truncated file where a good one was), and loading a module in the
// dtype its parameters were saved in.
#pragma once
#include <string>

namespace torch::nn {
class Module;
}
namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace se3t {

// Throws se3t::Error naming the file and the system's reason (se3t/util/atomic_file.h); the
// previous file stays intact and no temporary is left.
void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path,
                         const std::string& what);

// module.load(archive) after converting the module to the dtype of the stored parameters.
// Module::load reads into the existing tensors with Tensor::set_, which keeps their dtype and
// reinterprets the stored bytes: a float64 file read into a float32 module gives garbage.
void load_module_as_saved(torch::nn::Module& module, torch::serialize::InputArchive& archive);

}  // namespace se3t

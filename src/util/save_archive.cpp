#include "se3t/util/save_archive.h"

#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <deque>
#include <sstream>

#include "se3t/util/atomic_file.h"

namespace se3t {

void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path,
                         const std::string& what) {
  // LibTorch's own file writer throws from a destructor when a write fails (a full disk
  // aborts the process): the archive goes through AtomicFile, whose write never throws and
  // whose commit() reports the failure.
  AtomicFile file(path, what);
  archive.save_to([&file](const void* data, size_t size) -> size_t {
    file.write(data, size);
    return size;
  });
  file.commit();
}

void load_module_as_saved(torch::nn::Module& module, torch::serialize::InputArchive& archive) {
  const auto parameters = module.named_parameters(/*recurse=*/true);
  if (!parameters.is_empty()) {
    // Module::save nests one archive per submodule: follow the first parameter's dotted name.
    const auto& first = *parameters.begin();
    std::deque<torch::serialize::InputArchive> levels;  // stable addresses
    torch::serialize::InputArchive* level = &archive;
    std::istringstream parts(first.key());
    std::string part, next;
    std::getline(parts, part, '.');
    bool found = true;
    while (std::getline(parts, next, '.')) {
      levels.emplace_back();
      if (!level->try_read(part, levels.back())) {
        found = false;
        break;
      }
      level = &levels.back();
      part = next;
    }
    at::Tensor stored;
    if (found && level->try_read(part, stored) && stored.defined() &&
        stored.scalar_type() != first.value().scalar_type()) {
      module.to(stored.scalar_type());
    }
  }
  module.load(archive);
}

}  // namespace se3t

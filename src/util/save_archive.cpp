#include "se3t/util/save_archive.h"

#include <torch/serialize/output-archive.h>

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

}  // namespace se3t

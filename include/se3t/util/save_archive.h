// Atomic save of a LibTorch archive: written to PATH.tmp, then renamed over PATH, so a crash or
// a full disk never leaves a truncated file where a good one was.
#pragma once
#include <string>

namespace torch::serialize {
class OutputArchive;
}

namespace se3t {

// Throws se3t::Error naming the file and the system's reason (se3t/util/atomic_file.h); the
// previous file stays intact and no temporary is left.
void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path,
                         const std::string& what);

}  // namespace se3t

// AtomicFile: a file written through a temporary beside it (PATH.tmp) and renamed into place
// only once every byte is on disk, so a reader never sees a partial file and a failure (a full
// disk, a write error, an interrupted process) leaves the previous file intact. Every output of
// se3t (checkpoints, model files, predictions, metrics, data) is written this way.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace se3t {

class AtomicFile {
 public:
  // Creates PATH.tmp; `what` names the file in errors ("checkpoint", "predictions", ...).
  AtomicFile(std::string path, std::string what);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes. Never throws: the first failure is remembered and reported by commit(), so
  // a writer that must not throw (a LibTorch archive's callback) can use it.
  void write(const void* data, size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // Flushes to disk and renames over PATH. Throws se3t::Error naming the file, the system's
  // reason and errno (e.g. "No space left on device (errno 28)") and removes the temporary.
  void commit();

  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& action, int error);
  std::string path_, tmp_, what_;
  int fd_ = -1;
  int error_ = 0;  // first errno of a failed write
  bool committed_ = false;
};

// The whole of `bytes` as the file `path`, atomically (AtomicFile).
void write_file_atomic(const std::string& path, std::string_view bytes,
                       const std::string& what = "file");

}  // namespace se3t

// Whole-file reading that accepts gzip-compressed files (zlib): data sets and structures are
// shipped as .gz (data/xtb, PDB archives) and read without unpacking them first.
#pragma once
#include <string>

namespace se3t {

// Whether `path` ends in ".gz".
bool has_gz_suffix(const std::string& path);

// The bytes of `path`, decompressed when the file is gzip-compressed (detected from its header;
// other files pass through unchanged). Throws se3t::Error starting with `what` (the caller, e.g.
// "read_pdb") when the file cannot be opened or read, or is named .gz but is not gzip.
std::string read_maybe_gzip(const std::string& path, const std::string& what);

}  // namespace se3t

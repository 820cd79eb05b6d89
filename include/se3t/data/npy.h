// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0), the format the
// NRI / EGNN N-body data sets are stored in.
//
// Supported: little-endian float64 ('<f8') and float32 ('<f4') for reading and writing, plus
// int64 ('<i8') and int32 ('<i4') for reading; C order; any rank (rank 0 included). Values are
// always handed out as double (integers beyond 2^53 lose precision). Every malformed or
// unsupported file throws se3t::Error naming the file.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace se3t {

struct NpyArray {
  std::vector<int64_t> shape;  // empty for a 0-d array (one element)
  std::vector<double> data;    // C order, product(shape) values
  std::string dtype;           // descr as stored in the file, e.g. "<f8"

  int64_t numel() const;
};

// Reads a whole .npy file.
NpyArray read_npy(const std::string& path);

// Writes a .npy file (version 1.0 header, padded to a multiple of 64 bytes as numpy does;
// version 2.0 only if the header would not fit in 1.0's 16-bit length). float32 = true stores
// '<f4' (values rounded to float), otherwise '<f8'. The file is written to a temporary file in
// the same directory and then renamed, so readers never see a partial file.
void write_npy(const std::string& path, const std::vector<int64_t>& shape,
               const std::vector<double>& data, bool float32 = false);

// Tensor conveniences: npy_to_tensor gives a float64 CPU tensor with the array's shape;
// write_npy(path, tensor) accepts any real dtype/device/layout (converted to float64 first).
at::Tensor npy_to_tensor(const NpyArray& array);
at::Tensor read_npy_tensor(const std::string& path);
void write_npy(const std::string& path, const at::Tensor& tensor, bool float32 = false);

}  // namespace se3t

#include "se3t/data/npy.h"

#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"

#include <ATen/ATen.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

namespace se3t {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kAlign = 64;  // numpy pads the header so the data starts 64-byte aligned

enum class Kind { kFloat, kInt };

struct Dtype {
  Kind kind;
  int size;  // bytes per element
};

// Portable little-endian decoding/encoding (independent of the host's byte order).
uint64_t load_le(const unsigned char* p, int size) {
  uint64_t v = 0;
  for (int b = size - 1; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}

void store_le(unsigned char* p, uint64_t v, int size) {
  for (int b = 0; b < size; ++b) p[b] = static_cast<unsigned char>(v >> (8 * b));
}

double decode(const unsigned char* p, const Dtype& t) {
  const uint64_t bits = load_le(p, t.size);
  if (t.kind == Kind::kFloat) {
    if (t.size == 8) {
      double d;
      std::memcpy(&d, &bits, 8);
      return d;
    }
    const uint32_t b32 = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b32, 4);
    return f;
  }
  if (t.size == 8) return static_cast<double>(static_cast<int64_t>(bits));
  return static_cast<int32_t>(static_cast<uint32_t>(bits));
}

Dtype parse_descr(const std::string& path, const std::string& descr) {
  if (descr == "<f8") return {Kind::kFloat, 8};
  if (descr == "<f4") return {Kind::kFloat, 4};
  if (descr == "<i8") return {Kind::kInt, 8};
  if (descr == "<i4") return {Kind::kInt, 4};
  SE3T_CHECK(descr.empty() || descr[0] != '>', "read_npy(", path, "): big-endian dtype '", descr,
             "' is not supported (save with '<' byte order)");
  SE3T_CHECK(false, "read_npy(", path, "): unsupported dtype '", descr,
             "' (expected '<f8', '<f4', '<i8' or '<i4')");
  return {};
}

// Parser for the header: a Python dict literal such as
// {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(const std::string& path, const std::string& text) : path_(path), s_(text) {}

  void parse(std::string* descr, bool* fortran, std::vector<int64_t>* shape) {
    bool has_descr = false, has_fortran = false, has_shape = false;
    skip_ws();
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') {
        ++i_;
        break;
      }
      const std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        SE3T_CHECK(peek() == '\'' || peek() == '"', "read_npy(", path_,
                   "): unsupported dtype (structured or non-string descr) in header '", s_, "'");
        *descr = parse_string();
        has_descr = true;
      } else if (key == "fortran_order") {
        *fortran = parse_bool();
        has_fortran = true;
      } else if (key == "shape") {
        *shape = parse_shape();
        has_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
      } else if (peek() != '}') {
        fail("expected ',' or '}'");
      }
    }
    skip_ws();
    if (i_ != s_.size()) fail("trailing characters after the dict");
    if (!has_descr || !has_fortran || !has_shape) {
      fail("missing one of the keys 'descr', 'fortran_order', 'shape'");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(detail::concat("se3t: read_npy(", path_, "): cannot parse header dict (", what,
                               " at position ", i_, "): '", s_, "'"));
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    ++i_;
    const size_t end = s_.find(q, i_);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(i_, end - i_);
    i_ = end + 1;
    return out;
  }
  bool parse_bool() {
    if (s_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (s_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    while (true) {
      skip_ws();
      if (peek() == ')') {
        ++i_;
        break;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a dimension");
      int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        const int digit = peek() - '0';
        SE3T_CHECK(v <= (std::numeric_limits<int64_t>::max() - digit) / 10, "read_npy(", path_,
                   "): shape overflow, a dimension does not fit in int64: '", s_, "'");
        v = v * 10 + digit;
        ++i_;
      }
      if (peek() == 'L') ++i_;  // Python 2 long literal
      shape.push_back(v);
      skip_ws();
      if (peek() == ',') {
        ++i_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in shape");
      }
    }
    return shape;
  }

  const std::string& path_;
  const std::string& s_;
  size_t i_ = 0;
};

std::string shape_repr(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& where) {
  int64_t n = 1;
  for (const int64_t d : shape) {
    SE3T_CHECK(d >= 0, where, ": negative dimension in shape ", shape_repr(shape));
    SE3T_CHECK(d == 0 || n <= std::numeric_limits<int64_t>::max() / d, where,
               ": shape overflow, the element count of ", shape_repr(shape),
               " does not fit in int64");
    n *= d;
  }
  return n;
}

}  // namespace

int64_t NpyArray::numel() const {
  return checked_numel(shape, "NpyArray");
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SE3T_CHECK(in.good(), "read_npy(", path, "): cannot open file (", std::strerror(errno), ")");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0, std::ios::beg);

  unsigned char pre[12] = {};
  SE3T_CHECK(file_size >= kMagicSize + 2 && in.read(reinterpret_cast<char*>(pre), 8), "read_npy(",
             path, "): file too short for the .npy magic string (", file_size, " bytes)");
  SE3T_CHECK(std::memcmp(pre, kMagic, kMagicSize) == 0, "read_npy(", path,
             "): bad magic string, not a .npy file");
  const int major = pre[6], minor = pre[7];
  SE3T_CHECK((major == 1 || major == 2 || major == 3) && minor == 0, "read_npy(", path,
             "): unsupported .npy format version ", major, ".", minor,
             " (expected 1.0, 2.0 or 3.0)");
  // Version 1.0 stores the header length in 2 bytes, 2.0 and 3.0 (utf8 header) in 4.
  const int len_bytes = major == 1 ? 2 : 4;
  SE3T_CHECK(in.read(reinterpret_cast<char*>(pre + 8), len_bytes), "read_npy(", path,
             "): truncated header length");
  const uint64_t header_len = load_le(pre + 8, len_bytes);
  const uint64_t data_offset = 8 + len_bytes + header_len;
  SE3T_CHECK(data_offset <= file_size, "read_npy(", path, "): truncated header, it claims ",
             header_len, " bytes but the file has ", file_size, " bytes in all");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  SE3T_CHECK(in.good(), "read_npy(", path, "): cannot read the header");

  std::string descr;
  bool fortran = false;
  NpyArray out;
  HeaderParser(path, header).parse(&descr, &fortran, &out.shape);
  const Dtype dtype = parse_descr(path, descr);
  SE3T_CHECK(!fortran, "read_npy(", path,
             "): fortran_order True is not supported (save a C-contiguous array, e.g. "
             "np.ascontiguousarray)");
  out.dtype = descr;

  const std::string where = "read_npy(" + path + ")";
  const int64_t numel = checked_numel(out.shape, where);
  SE3T_CHECK(numel <= std::numeric_limits<int64_t>::max() / dtype.size, where, ": shape overflow, ",
             shape_repr(out.shape), " of '", descr, "' exceeds the addressable byte count");
  const uint64_t nbytes = static_cast<uint64_t>(numel) * dtype.size;
  // Checked before allocating, so a corrupt shape fails cleanly instead of with bad_alloc.
  SE3T_CHECK(file_size - data_offset >= nbytes, where, ": truncated data, shape ",
             shape_repr(out.shape), " of '", descr, "' needs ", nbytes, " bytes but only ",
             file_size - data_offset, " follow the header");

  out.data.resize(static_cast<size_t>(numel));
  constexpr int64_t kChunk = 1 << 16;
  std::vector<unsigned char> buf(static_cast<size_t>(std::min(numel, kChunk) * dtype.size));
  for (int64_t start = 0; start < numel; start += kChunk) {
    const int64_t count = std::min(kChunk, numel - start);
    SE3T_CHECK(in.read(reinterpret_cast<char*>(buf.data()), count * dtype.size), where,
               ": read error in the data");
    for (int64_t k = 0; k < count; ++k) {
      out.data[static_cast<size_t>(start + k)] = decode(buf.data() + k * dtype.size, dtype);
    }
  }
  return out;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape,
               const std::vector<double>& data, bool float32) {
  const std::string where = "write_npy(" + path + ")";
  const int64_t numel = checked_numel(shape, where);
  SE3T_CHECK(static_cast<uint64_t>(numel) == data.size(), where, ": shape ", shape_repr(shape),
             " needs ", numel, " values, got ", data.size());

  std::string header = std::string("{'descr': '") + (float32 ? "<f4" : "<f8") +
                       "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  // Pad with spaces and end with '\n' so magic + version + length + header is 64-aligned.
  int major = 1;
  size_t pre = kMagicSize + 2 + 2;
  if (pre + header.size() + 1 > 65535) {
    major = 2;
    pre = kMagicSize + 2 + 4;
  }
  const size_t total = (pre + header.size() + 1 + kAlign - 1) / kAlign * kAlign;
  header.append(total - pre - header.size() - 1, ' ');
  header.push_back('\n');

  std::string bytes(kMagic, kMagicSize);
  bytes.push_back(static_cast<char>(major));
  bytes.push_back('\0');
  unsigned char len[4];
  store_le(len, header.size(), major == 1 ? 2 : 4);
  bytes.append(reinterpret_cast<const char*>(len), major == 1 ? 2 : 4);
  bytes += header;

  AtomicFile out(path, "npy array");
  out.write(bytes);
  const int size = float32 ? 4 : 8;
  constexpr size_t kChunk = 1 << 16;
  std::vector<unsigned char> buf(kChunk * size);
  for (size_t start = 0; start < data.size(); start += kChunk) {
    const size_t count = std::min(kChunk, data.size() - start);
    for (size_t k = 0; k < count; ++k) {
      uint64_t bits;
      if (float32) {
        const float f = static_cast<float>(data[start + k]);
        uint32_t b32;
        std::memcpy(&b32, &f, 4);
        bits = b32;
      } else {
        std::memcpy(&bits, &data[start + k], 8);
      }
      store_le(buf.data() + k * size, bits, size);
    }
    out.write(buf.data(), count * size);
  }
  out.commit();
}

at::Tensor npy_to_tensor(const NpyArray& array) {
  const int64_t numel = array.numel();
  SE3T_CHECK(static_cast<uint64_t>(numel) == array.data.size(), "npy_to_tensor: shape ",
             shape_repr(array.shape), " needs ", numel, " values, got ", array.data.size());
  at::Tensor t = at::empty(array.shape, at::TensorOptions().dtype(at::kDouble));
  if (numel > 0) std::memcpy(t.data_ptr<double>(), array.data.data(), numel * sizeof(double));
  return t;
}

at::Tensor read_npy_tensor(const std::string& path) {
  return npy_to_tensor(read_npy(path));
}

void write_npy(const std::string& path, const at::Tensor& tensor, bool float32) {
  SE3T_CHECK(tensor.defined(), "write_npy(", path, "): undefined tensor");
  SE3T_CHECK(!tensor.is_complex() && tensor.layout() == at::kStrided, "write_npy(", path,
             "): expected a real, dense tensor, got ", tensor.toString());
  const at::Tensor t = tensor.to(at::kCPU, at::kDouble).contiguous();
  const double* p = t.data_ptr<double>();
  write_npy(path, t.sizes().vec(), std::vector<double>(p, p + t.numel()), float32);
}

}  // namespace se3t

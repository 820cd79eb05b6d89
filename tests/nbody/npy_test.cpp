// .npy reader/writer: round trips, byte-exact hand-written files, and every error path.
#include "se3t/data/npy.h"
#include "common/expect_error.h"
#include "common/temp_dir.h"

#include "se3t/util/check.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace se3t {
namespace {

namespace fs = std::filesystem;

class NpyTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  // Writes raw bytes to dir/name and returns the path.
  std::string write_bytes(const std::string& name, const std::string& bytes) const {
    const std::string p = path(name);
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  testing::TempDir tmp_{"npy"};
  std::string dir_ = tmp_.str();
};

// Little-endian raw bytes of doubles / floats, assembled by shifts (host order independent).
std::string le_bytes(uint64_t v, int size) {
  std::string s;
  for (int b = 0; b < size; ++b) s.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
  return s;
}
std::string f8_bytes(const std::vector<double>& v) {
  std::string s;
  for (const double d : v) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    s += le_bytes(bits, 8);
  }
  return s;
}
std::string f4_bytes(const std::vector<float>& v) {
  std::string s;
  for (const float f : v) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    s += le_bytes(bits, 4);
  }
  return s;
}

// A complete .npy file: magic, version, little-endian header length, the dict padded with
// spaces and '\n' to a multiple of 64 bytes, then the data.
std::string npy_file(int major, const std::string& dict, const std::string& data) {
  const size_t pre = 8 + (major == 1 ? 2 : 4);
  std::string header = dict;
  const size_t total = (pre + header.size() + 1 + 63) / 64 * 64;
  header.append(total - pre - header.size() - 1, ' ');
  header.push_back('\n');
  std::string s = "\x93NUMPY";
  s.push_back(static_cast<char>(major));
  s.push_back('\0');
  s += le_bytes(header.size(), major == 1 ? 2 : 4);
  return s + header + data;
}

const char kDict23f8[] = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
const char kDict23f4[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

using testing::expect_error;

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST_F(NpyTest, RoundTripFloat64AnyRank) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {7}, {2, 3}, {2, 0, 4}, {2, 3, 4, 1}};
  for (const auto& shape : shapes) {
    int64_t numel = 1;
    for (const int64_t d : shape) numel *= d;
    std::vector<double> data(numel);
    for (int64_t k = 0; k < numel; ++k) data[k] = std::sin(1.7 * k) * std::pow(10.0, k % 7 - 3);
    if (numel >= 3) {
      data[0] = -inf;
      data[1] = 4.9e-324;  // denormal
      data[2] = std::nan("");
    }
    const std::string p = path("a.npy");
    write_npy(p, shape, data);
    const NpyArray a = read_npy(p);
    EXPECT_EQ(a.shape, shape);
    EXPECT_EQ(a.dtype, "<f8");
    ASSERT_EQ(a.data.size(), data.size());
    for (size_t k = 0; k < data.size(); ++k) EXPECT_TRUE(same_bits(a.data[k], data[k])) << k;
  }
}

TEST_F(NpyTest, RoundTripFloat32RoundsToFloat) {
  const std::vector<double> data = {0.1, -2.5, 1e30, 3.0e-3, 7.0, 1.0 / 3.0};
  write_npy(path("f.npy"), {3, 2}, data, /*float32=*/true);
  const NpyArray a = read_npy(path("f.npy"));
  EXPECT_EQ(a.dtype, "<f4");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 2}));
  for (size_t k = 0; k < data.size(); ++k) {
    EXPECT_EQ(a.data[k], static_cast<double>(static_cast<float>(data[k])));
  }
  EXPECT_EQ(fs::file_size(path("f.npy")), 128u + 6 * 4);
}

TEST_F(NpyTest, WriterHeaderMatchesNumpyLayout) {
  write_npy(path("h.npy"), {2, 3}, {1, 2, 3, 4, 5, 6});
  std::ifstream in(path("h.npy"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The whole file must equal the hand-assembled numpy layout, byte for byte.
  EXPECT_EQ(bytes, npy_file(1, kDict23f8, f8_bytes({1, 2, 3, 4, 5, 6})));
  EXPECT_EQ(bytes.size(), 128u + 48u);
  EXPECT_EQ(bytes[127], '\n');

  write_npy(path("v.npy"), {5}, {1, 2, 3, 4, 5});
  std::ifstream in1(path("v.npy"), std::ios::binary);
  const std::string b1((std::istreambuf_iterator<char>(in1)), std::istreambuf_iterator<char>());
  const std::string dict5 = "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }";
  EXPECT_EQ(b1.substr(10, dict5.size() + 1), dict5 + " ");
}

TEST_F(NpyTest, HandWrittenVersion1And2Files) {
  const std::vector<double> d = {1.5, -2.0, 3.25, 0.0, 1e-300, -7.0};
  const std::vector<float> f = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7.0f};
  struct Case {
    int major;
    const char* dict;
    std::string data;
    const char* dtype;
  };
  const std::vector<Case> cases = {{1, kDict23f8, f8_bytes(d), "<f8"},
                                   {2, kDict23f8, f8_bytes(d), "<f8"},
                                   {1, kDict23f4, f4_bytes(f), "<f4"},
                                   {2, kDict23f4, f4_bytes(f), "<f4"},
                                   {3, kDict23f8, f8_bytes(d), "<f8"}};
  for (const Case& c : cases) {
    const NpyArray a = read_npy(write_bytes("hand.npy", npy_file(c.major, c.dict, c.data)));
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3})) << c.major << c.dtype;
    EXPECT_EQ(a.dtype, c.dtype);
    for (size_t k = 0; k < 6; ++k) {
      EXPECT_EQ(a.data[k], c.dtype[2] == '8' ? d[k] : static_cast<double>(f[k])) << k;
    }
    const at::Tensor t = npy_to_tensor(a);
    EXPECT_EQ(t.scalar_type(), at::kDouble);
    EXPECT_EQ(t.sizes(), (at::IntArrayRef{2, 3}));
    EXPECT_EQ(t[1][2].item<double>(), a.data[5]);
  }
}

TEST_F(NpyTest, ReadsIntegerDtypesAndHeaderVariants) {
  std::string i8;
  for (const int64_t v : {int64_t{-3}, int64_t{5}, int64_t{1} << 40}) {
    i8 += le_bytes(static_cast<uint64_t>(v), 8);
  }
  NpyArray a = read_npy(write_bytes(
      "i8.npy", npy_file(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", i8)));
  EXPECT_EQ(a.data, (std::vector<double>{-3.0, 5.0, 1099511627776.0}));
  std::string i4 = le_bytes(static_cast<uint32_t>(-7), 4) + le_bytes(9, 4);
  // Keys in another order, double quotes, Python 2 long literals, no trailing comma.
  a = read_npy(write_bytes(
      "i4.npy",
      npy_file(1, "{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"<i4\"}", i4)));
  EXPECT_EQ(a.shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(a.data, (std::vector<double>{-7.0, 9.0}));
  // 0-d array: shape () holds one value.
  a = read_npy(write_bytes(
      "s.npy",
      npy_file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", f8_bytes({42.0}))));
  EXPECT_TRUE(a.shape.empty());
  EXPECT_EQ(a.data, (std::vector<double>{42.0}));
  EXPECT_EQ(npy_to_tensor(a).dim(), 0);
}

TEST_F(NpyTest, TensorHelpersRoundTrip) {
  const at::Tensor t = at::arange(24, at::kFloat).reshape({2, 3, 4}).transpose(0, 2) * 0.5;
  write_npy(path("t.npy"), t);
  const at::Tensor back = read_npy_tensor(path("t.npy"));
  EXPECT_EQ(back.scalar_type(), at::kDouble);
  EXPECT_TRUE(at::equal(back, t.to(at::kDouble)));
  write_npy(path("t32.npy"), t.to(at::kDouble), /*float32=*/true);
  EXPECT_EQ(read_npy(path("t32.npy")).dtype, "<f4");
}

TEST_F(NpyTest, WriteIsAtomicAndOverwrites) {
  write_npy(path("o.npy"), {3}, {1, 2, 3});
  write_npy(path("o.npy"), {2}, {4, 5});
  EXPECT_EQ(read_npy(path("o.npy")).data, (std::vector<double>{4, 5}));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "o.npy");  // no temporary file left behind
  }
  EXPECT_EQ(files, 1);
}

TEST_F(NpyTest, WriteErrors) {
  expect_error(
      [&] {
        write_npy(path("x.npy"), {2, 3}, {1, 2, 3});
      },
      {"x.npy", "needs 6 values, got 3"});
  const std::string missing_dir = path("no/such/dir/x.npy");
  expect_error([&] { write_npy(missing_dir, {1}, {1}); }, {missing_dir});
  expect_error([&] { write_npy(path("n.npy"), {-1}, {}); }, {"negative dimension"});
}

TEST_F(NpyTest, MissingFile) {
  const std::string p = path("missing.npy");
  expect_error([&] { read_npy(p); }, {p, "cannot open"});
}

TEST_F(NpyTest, BadMagic) {
  std::string bytes = npy_file(1, kDict23f8, f8_bytes({1, 2, 3, 4, 5, 6}));
  bytes[1] = 'X';
  const std::string p = write_bytes("magic.npy", bytes);
  expect_error([&] { read_npy(p); }, {p, "bad magic"});
  const std::string p2 = write_bytes("short.npy", "\x93NU");
  expect_error([&] { read_npy(p2); }, {p2, "too short"});
}

TEST_F(NpyTest, UnsupportedVersion) {
  for (const auto& [major, minor] : std::vector<std::pair<int, int>>{{4, 0}, {1, 1}, {0, 0}}) {
    std::string bytes = npy_file(1, kDict23f8, f8_bytes({1, 2, 3, 4, 5, 6}));
    bytes[6] = static_cast<char>(major);
    bytes[7] = static_cast<char>(minor);
    const std::string p = write_bytes("version.npy", bytes);
    expect_error([&] { read_npy(p); },
                 {p, "unsupported .npy format version " + std::to_string(major) + "." +
                         std::to_string(minor)});
  }
}

TEST_F(NpyTest, UnparsableHeader) {
  const std::vector<std::string> dicts = {
      "not a dict",
      "{'descr': '<f8', 'fortran_order': False}",  // missing shape
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
      "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 3), }",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2; 3), }",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }",
      "{'descr': '<f8, 'fortran_order': False, 'shape': (2, 3), }",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } trailing",
  };
  for (const std::string& dict : dicts) {
    const std::string p = write_bytes("hdr.npy", npy_file(1, dict, f8_bytes({1, 2, 3, 4, 5, 6})));
    expect_error([&] { read_npy(p); }, {p, "cannot parse header"});
  }
}

TEST_F(NpyTest, UnsupportedDtypes) {
  const std::string data = f8_bytes({1, 2, 3, 4, 5, 6});
  const std::string big = write_bytes(
      "big.npy", npy_file(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", data));
  expect_error([&] { read_npy(big); }, {big, "big-endian", ">f8"});
  for (const std::string descr : {"|O", "<c16", "<f2", "|u1", "<U3"}) {
    const std::string p = write_bytes(
        "dt.npy",
        npy_file(1, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (6,), }", data));
    expect_error([&] { read_npy(p); }, {p, "unsupported dtype '" + descr + "'"});
  }
  const std::string rec = write_bytes(
      "rec.npy",
      npy_file(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (6,), }", data));
  expect_error([&] { read_npy(rec); }, {rec, "unsupported dtype"});
}

TEST_F(NpyTest, FortranOrderRejected) {
  const std::string p = write_bytes(
      "fortran.npy", npy_file(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                              f8_bytes({1, 2, 3, 4, 5, 6})));
  expect_error([&] { read_npy(p); }, {p, "fortran_order"});
}

TEST_F(NpyTest, TruncatedDataAndHeader) {
  const std::string full = npy_file(1, kDict23f8, f8_bytes({1, 2, 3, 4, 5, 6}));
  const std::string p = write_bytes("trunc.npy", full.substr(0, full.size() - 1));
  expect_error([&] { read_npy(p); }, {p, "truncated data", "needs 48 bytes but only 47"});
  const std::string p2 = write_bytes("trunc_hdr.npy", full.substr(0, 40));
  expect_error([&] { read_npy(p2); }, {p2, "truncated header"});
  // A wrong-but-huge shape must fail on the size check, not by allocating.
  const std::string p3 = write_bytes(
      "huge.npy",
      npy_file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000), }",
               f8_bytes({1, 2})));
  expect_error([&] { read_npy(p3); }, {p3, "truncated data"});
}

TEST_F(NpyTest, ShapeOverflow) {
  const std::string data = f8_bytes({1});
  const std::string product = write_bytes(
      "ovf.npy",
      npy_file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
               data));
  expect_error([&] { read_npy(product); }, {product, "shape overflow"});
  const std::string bytes = write_bytes(
      "ovf_bytes.npy",
      npy_file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }",
               data));
  expect_error([&] { read_npy(bytes); }, {bytes, "shape overflow"});
  const std::string digits = write_bytes(
      "ovf_digits.npy",
      npy_file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }",
               data));
  expect_error([&] { read_npy(digits); }, {digits, "shape overflow"});
}

}  // namespace
}  // namespace se3t

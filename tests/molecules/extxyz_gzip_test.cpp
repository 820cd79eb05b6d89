// read_extxyz on .gz paths: a gzip stream built here by hand (RFC 1952 around stored deflate
// blocks, RFC 1951 section 3.2.4), independently of zlib, reads as the plain text does.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "se3t/data/extxyz.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

// CRC-32 of RFC 1952 section 8 (polynomial 0xEDB88320), bit by bit.
uint32_t crc32(const std::string& data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

void put_le(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A gzip member holding `data` in stored (uncompressed) deflate blocks of at most `block` bytes.
std::string gzip_stored(const std::string& data, size_t block) {
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);  // ID1 ID2 CM FLG MTIME XFL OS
  size_t at = 0;
  do {
    const size_t n = std::min(block, data.size() - at);
    out.push_back(at + n == data.size() ? '\x01' : '\x00');  // BFINAL, BTYPE = 00 (stored)
    put_le(out, static_cast<uint32_t>(n), 2);
    put_le(out, static_cast<uint32_t>(~n & 0xFFFF), 2);
    out.append(data, at, n);
    at += n;
  } while (at < data.size());
  put_le(out, crc32(data), 4);
  put_le(out, static_cast<uint32_t>(data.size()), 4);
  return out;
}

class ScratchDir {
 public:
  ScratchDir()
      : path_(std::filesystem::temp_directory_path() /
              ("se3t-extxyz-gzip-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& bytes) const {
    const std::string path = (path_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

 private:
  std::filesystem::path path_;
};

const std::string kText =
    "3\n"
    "Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.5 time_fs=20.0 pbc=\"F F F\"\n"
    "O 0.0 0.0 0.1 1.0 -2.0 0.5\n"
    "H 0.75 0.0 -0.5 -0.5 1.0 -0.25\n"
    "H -0.75 0.0 -0.5 -0.5 1.0 -0.25\n"
    "2\n"
    "Lattice=\"4 0 0 0 4 0 0 0 4\" Properties=species:S:1:pos:R:3 energy=-2.5\n"
    "H 0.0 0.0 0.0\n"
    "H 0.0 0.0 0.74\n";

void expect_same(const std::vector<Frame>& a, const std::vector<Frame>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].species, b[i].species);
    EXPECT_EQ(a[i].positions, b[i].positions);
    EXPECT_EQ(a[i].forces, b[i].forces);
    EXPECT_EQ(a[i].info, b[i].info);
    EXPECT_EQ(a[i].cell, b[i].cell);
    EXPECT_EQ(a[i].pbc, b[i].pbc);
  }
}

TEST(ExtxyzGzip, GzipFilesReadAsTheirPlainText) {
  ScratchDir dir;
  const std::vector<Frame> plain = read_extxyz(dir.write("plain.extxyz", kText));
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0].number("time_fs").value(), 20.0);
  // One stored block, and many small ones (a stream split across blocks).
  expect_same(read_extxyz(dir.write("one.extxyz.gz", gzip_stored(kText, 65535))), plain);
  expect_same(read_extxyz(dir.write("many.extxyz.gz", gzip_stored(kText, 7))), plain);
}

std::string error_of(const std::string& path) {
  try {
    read_extxyz(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ExtxyzGzip, BadGzipFilesAreNamedInTheError) {
  ScratchDir dir;
  // Named .gz but plain text: a naming mistake, said as such.
  std::string message = error_of(dir.write("plain.extxyz.gz", kText));
  EXPECT_NE(message.find("plain.extxyz.gz"), std::string::npos) << message;
  EXPECT_NE(message.find("not gzip-compressed"), std::string::npos) << message;
  // A gzip stream cut short, and one whose checksum is wrong.
  const std::string gz = gzip_stored(kText, 65535);
  message = error_of(dir.write("cut.extxyz.gz", gz.substr(0, gz.size() / 2)));
  EXPECT_NE(message.find("cut.extxyz.gz"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  std::string corrupt = gz;
  corrupt[corrupt.size() - 6] ^= 0x55;  // a CRC-32 byte
  message = error_of(dir.write("crc.extxyz.gz", corrupt));
  EXPECT_NE(message.find("crc.extxyz.gz"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot read"), std::string::npos) << message;
  message = error_of((std::filesystem::temp_directory_path() / "se3t-absent.extxyz.gz").string());
  EXPECT_NE(message.find("cannot open"), std::string::npos) << message;
}

}  // namespace
}  // namespace se3t

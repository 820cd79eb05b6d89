// Fiber: how many channels a feature field carries of each degree (docs/design.md, Objects).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace se3t {

class Fiber {
 public:
  Fiber() = default;
  // {{0, 32}, {1, 16}}: 32 scalar channels and 16 vector channels. Zero-channel entries are
  // dropped; negative degrees or channel counts throw se3t::Error.
  Fiber(std::initializer_list<std::pair<const int64_t, int64_t>> entries);
  explicit Fiber(const std::map<int64_t, int64_t>& entries);
  // Degrees 0..max_degree, each with the same number of channels.
  static Fiber uniform(int64_t max_degree, int64_t channels);

  int64_t channels(int64_t degree) const;  // 0 when the degree is absent
  bool has(int64_t degree) const { return entries_.count(degree) > 0; }
  std::vector<int64_t> degrees() const;
  int64_t max_degree() const;  // -1 for the empty fiber
  bool empty() const { return entries_.empty(); }
  // Real dimension of one node's features: sum_l C_l (2l + 1).
  int64_t num_features() const;
  const std::map<int64_t, int64_t>& entries() const { return entries_; }

  // Per-degree channel sum (the fiber of two concatenated feature fields).
  Fiber operator+(const Fiber& other) const;
  // Degrees present in both, with this fiber's channel counts.
  Fiber restricted_to(const Fiber& other) const;
  // Every channel count divided by d (must divide exactly).
  Fiber divided(int64_t d) const;
  bool operator==(const Fiber& o) const { return entries_ == o.entries_; }
  bool operator!=(const Fiber& o) const { return entries_ != o.entries_; }

  // "{0:32,1:16}" and back; parse throws se3t::Error naming the text on bad input.
  std::string str() const;
  static Fiber parse(const std::string& text);

 private:
  void insert(int64_t degree, int64_t channels);
  std::map<int64_t, int64_t> entries_;
};

}  // namespace se3t

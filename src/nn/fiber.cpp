#include "se3t/nn/fiber.h"

#include <sstream>

#include "se3t/util/check.h"

namespace se3t {

Fiber::Fiber(std::initializer_list<std::pair<const int64_t, int64_t>> entries) {
  for (const auto& [degree, channels] : entries) insert(degree, channels);
}

Fiber::Fiber(const std::map<int64_t, int64_t>& entries) {
  for (const auto& [degree, channels] : entries) insert(degree, channels);
}

void Fiber::insert(int64_t degree, int64_t channels) {
  SE3T_CHECK(degree >= 0, "Fiber: degree must be >= 0, got ", degree);
  SE3T_CHECK(channels >= 0, "Fiber: channel count of degree ", degree, " must be >= 0, got ",
             channels);
  SE3T_CHECK(entries_.count(degree) == 0, "Fiber: degree ", degree, " given twice");
  if (channels > 0) entries_[degree] = channels;
}

Fiber Fiber::uniform(int64_t max_degree, int64_t channels) {
  SE3T_CHECK(max_degree >= 0, "Fiber::uniform: max_degree must be >= 0, got ", max_degree);
  std::map<int64_t, int64_t> e;
  for (int64_t l = 0; l <= max_degree; ++l) e[l] = channels;
  return Fiber(e);
}

int64_t Fiber::channels(int64_t degree) const {
  auto it = entries_.find(degree);
  return it == entries_.end() ? 0 : it->second;
}

std::vector<int64_t> Fiber::degrees() const {
  std::vector<int64_t> d;
  for (const auto& e : entries_) d.push_back(e.first);
  return d;
}

int64_t Fiber::max_degree() const {
  return entries_.empty() ? -1 : entries_.rbegin()->first;
}

int64_t Fiber::num_features() const {
  int64_t n = 0;
  for (const auto& [l, c] : entries_) n += c * (2 * l + 1);
  return n;
}

Fiber Fiber::operator+(const Fiber& other) const {
  std::map<int64_t, int64_t> e = entries_;
  for (const auto& [l, c] : other.entries_) e[l] += c;
  return Fiber(e);
}

Fiber Fiber::restricted_to(const Fiber& other) const {
  std::map<int64_t, int64_t> e;
  for (const auto& [l, c] : entries_) {
    if (other.has(l)) e[l] = c;
  }
  return Fiber(e);
}

Fiber Fiber::divided(int64_t d) const {
  SE3T_CHECK(d >= 1, "Fiber::divided: divisor must be >= 1, got ", d);
  std::map<int64_t, int64_t> e;
  for (const auto& [l, c] : entries_) {
    SE3T_CHECK(c % d == 0, "Fiber::divided: ", c, " channels of degree ", l,
               " are not divisible by ", d);
    e[l] = c / d;
  }
  return Fiber(e);
}

std::string Fiber::str() const {
  std::ostringstream out;
  out << "{";
  bool first = true;
  for (const auto& [l, c] : entries_) {
    out << (first ? "" : ",") << l << ":" << c;
    first = false;
  }
  out << "}";
  return out.str();
}

Fiber Fiber::parse(const std::string& text) {
  std::string s;
  for (char ch : text) {
    if (ch != ' ' && ch != '{' && ch != '}') s += ch;
  }
  std::map<int64_t, int64_t> e;
  std::stringstream items(s);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    const auto colon = item.find(':');
    SE3T_CHECK(colon != std::string::npos, "Fiber::parse: expected 'degree:channels' entries ",
               "like {0:32,1:16}, got '", text, "'");
    try {
      size_t used1 = 0, used2 = 0;
      const std::string a = item.substr(0, colon), b = item.substr(colon + 1);
      const int64_t degree = std::stoll(a, &used1), channels = std::stoll(b, &used2);
      SE3T_CHECK(used1 == a.size() && used2 == b.size(), "bad number");
      SE3T_CHECK(e.count(degree) == 0, "Fiber::parse: degree ", degree, " given twice in '", text,
                 "'");
      e[degree] = channels;
    } catch (const std::logic_error&) {
      SE3T_CHECK(false, "Fiber::parse: expected integer 'degree:channels' entries like ",
                 "{0:32,1:16}, got '", text, "'");
    }
  }
  return Fiber(e);
}

}  // namespace se3t

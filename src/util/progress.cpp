#include "se3t/util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace se3t {

bool stderr_is_tty() {
  return isatty(STDERR_FILENO) == 1;
}

std::string format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600),
                  (static_cast<int>(s) / 60) % 60);
  }
  return buf;
}

ProgressBar::ProgressBar(bool enabled, std::FILE* out) : enabled_(enabled), out_(out) {
  start();
}

ProgressBar::~ProgressBar() {
  clear();
}

void ProgressBar::start() {
  start_ = std::chrono::steady_clock::now();
  last_ = start_ - std::chrono::seconds(1);
}

void ProgressBar::update(const std::string& label, int64_t done, int64_t total,
                         const std::string& extra) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double frac = total > 0 ? std::min(1.0, static_cast<double>(done) / total) : 1.0;
  const double eta = done > 0 ? elapsed * (total - done) / static_cast<double>(done) : NAN;
  const int width = 24;
  const int filled = static_cast<int>(frac * width);
  std::string bar(filled, '#');
  bar += std::string(width - filled, '.');
  std::fprintf(out_, "\r\033[K%s [%s] %lld/%lld %s ETA %s", label.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total), extra.c_str(),
               format_duration(eta).c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace se3t

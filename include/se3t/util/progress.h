// Progress display of long loops on stderr: a redrawn bar with rate, running loss and ETA when
// stderr is a terminal; nothing in between when it is not (the caller prints one line per
// epoch instead).
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace se3t {

class ProgressBar {
 public:
  // enabled = false: every call does nothing. Use stderr_is_tty() for the usual choice.
  explicit ProgressBar(bool enabled, std::FILE* out = stderr);
  ~ProgressBar();

  // Redraws "label [#####.....] done/total <extra> ETA m:ss" at most ~10 times a second
  // (always when done == total). The ETA extrapolates the time since start().
  void update(const std::string& label, int64_t done, int64_t total, const std::string& extra);
  // Restarts the clock the ETA is measured from.
  void start();
  // Erases the bar (so a log line can be printed in its place).
  void clear();
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  std::FILE* out_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

bool stderr_is_tty();
// "1h02m", "3m05s", "12.3s".
std::string format_duration(double seconds);

}  // namespace se3t

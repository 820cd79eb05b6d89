// Ctrl-C for long runs: while a StopSignals object lives, the first SIGINT or SIGTERM only asks
// the run to stop (the trainer finishes its step and writes a checkpoint); a second SIGINT gets
// the default action and aborts at once.
#pragma once

namespace se3t {

class StopSignals {
 public:
  StopSignals();   // installs the handlers and clears any earlier request
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // True once a stop signal arrived (async-signal-safe flag).
  static bool requested();

 private:
  struct Saved;
  Saved* saved_;
};

}  // namespace se3t

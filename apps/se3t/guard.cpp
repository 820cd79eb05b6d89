#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "commands.h"

namespace se3t::cli {

void run_guarded(const char* name, const std::function<int()>& body) {
  int code = 0;
  try {
    code = body();
  } catch (const std::exception& e) {
    std::cerr << "se3t " << name << ": error: " << e.what() << "\n";
    code = 1;
  }
  if (code != 0) throw CLI::RuntimeError(code);
}

}  // namespace se3t::cli

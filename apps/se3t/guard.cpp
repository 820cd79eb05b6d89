#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>

#include "commands.h"

namespace se3t::cli {

void run_guarded(const char* name, const std::function<int()>& body) {
  int code = 0;
  try {
    code = body();
  } catch (const std::exception& e) {
    // se3t::Error messages start with "se3t: "; the command name already says where we are.
    std::string message = e.what();
    if (message.rfind("se3t: ", 0) == 0) message.erase(0, 6);
    std::cerr << "se3t " << name << ": error: " << message << "\n";
    code = 1;
  }
  if (code != 0) throw CLI::RuntimeError(code);
}

}  // namespace se3t::cli

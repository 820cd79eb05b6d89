#include <c10/util/Exception.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "commands.h"

namespace se3t::cli {

void run_guarded(const char* name, const std::function<int()>& body) {
  int code = 0;
  try {
    code = body();
  } catch (const std::exception& e) {
    // se3t::Error messages start with "se3t: "; the command name already says where we are.
    // LibTorch's errors carry a C++ backtrace that means nothing to a user: only the message.
    const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
    std::string message = torch_error ? torch_error->what_without_backtrace() : e.what();
    if (message.rfind("se3t: ", 0) == 0) message.erase(0, 6);
    // An allocation the estimates before it did not foresee: say what to do about it.
    if (dynamic_cast<const std::bad_alloc*>(&e) ||
        message.find("can't allocate memory") != std::string::npos) {
      message = "out of memory (" + message +
                "): lower the batch size or the model's size (num_channels, num_degrees, "
                "radial_hidden, num_layers)";
    }
    std::cerr << "se3t " << name << ": error: " << message << "\n";
    code = 1;
  }
  if (code != 0) throw CLI::RuntimeError(code);
}

std::string nearest(const std::string& word, const std::vector<std::string>& names) {
  // Levenshtein distance, one row at a time.
  const auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
        diagonal = up;
      }
    }
    return row[b.size()];
  };
  std::string best;
  // A swap of two letters ("trian") is distance 2: accept that, or a third of the word.
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& name : names) {
    const size_t d = distance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

}  // namespace se3t::cli

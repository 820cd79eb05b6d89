// Registration of the se3t subcommands (one file each).
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace se3t::cli {

// Runs a subcommand body; any exception becomes "se3t NAME: error: ..." on stderr and a
// non-zero exit status (through CLI11's RuntimeError), never a crash.
void run_guarded(const char* name, const std::function<int()>& body);

// The entry of `names` nearest to `word` by edit distance, if it is close enough to be a typo
// (an edit distance of at most 2, or a third of the word's letters); "" otherwise.
std::string nearest(const std::string& word, const std::vector<std::string>& names);

void add_selfcheck_command(CLI::App& app);
void add_nbody_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_md_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_export_kim_command(CLI::App& app);

}  // namespace se3t::cli

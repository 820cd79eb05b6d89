// Registration of the se3t subcommands (one file each).
#pragma once
#include <functional>

namespace CLI {
class App;
}

namespace se3t::cli {

// Runs a subcommand body; any exception becomes "se3t NAME: error: ..." on stderr and a
// non-zero exit status (through CLI11's RuntimeError), never a crash.
void run_guarded(const char* name, const std::function<int()>& body);

void add_selfcheck_command(CLI::App& app);
void add_nbody_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_bench_command(CLI::App& app);

}  // namespace se3t::cli

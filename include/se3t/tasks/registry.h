// The tasks se3t trains, by the `task` key of a config file ("nbody" when absent).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "se3t/train/task.h"

namespace se3t {

// "nbody", "molecules".
std::vector<std::string> task_names();
// The task of a config file, with the file's config.
std::unique_ptr<Task> load_task(const std::string& config_path);
// The default config of a task (for `se3t train --show-config TASK`).
std::unique_ptr<ExperimentConfig> default_config(const std::string& task);

}  // namespace se3t

#include "se3t/tasks/registry.h"

#include "se3t/config/config_file.h"
#include "se3t/tasks/molecule_task.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {
namespace {

void check_task(const std::string& task, const std::string& source) {
  std::string list;
  for (const std::string& t : task_names()) {
    if (t == task) return;
    list += (list.empty() ? "\"" : ", \"") + t + "\"";
  }
  SE3T_CHECK(false, "config ", source, ": task must be one of ", list, ", got \"", task, "\"");
}

}  // namespace

std::vector<std::string> task_names() {
  return {"nbody", "molecules"};
}

std::unique_ptr<Task> load_task(const std::string& config_path) {
  const std::string text = read_text(config_path, "config");
  const std::string task = config_task(text, config_path);
  check_task(task, config_path);
  // An empty file would start a full-size default run (hours, thousands of samples) that
  // nobody asked for by name: the settings must be written down.
  SE3T_CHECK(!config_is_empty(text, config_path), "config ", config_path,
             " sets nothing, so every setting would be the default (a full-size ", task,
             " run); write the settings you want (se3t train --show-config ", task,
             " prints every key with its default and meaning)");
  if (task == "molecules") {
    return std::make_unique<MoleculeTask>(MoleculeConfig::parse(text, config_path));
  }
  return std::make_unique<NBodyTask>(NBodyConfig::parse(text, config_path));
}

std::unique_ptr<ExperimentConfig> default_config(const std::string& task) {
  check_task(task, "(default)");
  if (task == "molecules") return std::make_unique<MoleculeConfig>();
  return std::make_unique<NBodyConfig>();
}

}  // namespace se3t

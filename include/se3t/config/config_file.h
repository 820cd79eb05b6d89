// Experiment config files (TOML): a top-level `task` key and one table per section, [data],
// [model] and [train], whose keys are the fields the settings structs declare
// (se3t/util/fields.h). Every key is optional (a missing one keeps its default); unknown
// tables, unknown keys and values of the wrong type are errors that name the file, the line,
// the key and what was expected. Relative paths in a config are taken relative to the
// working directory of the process, not to the file.
#pragma once
#include <string>
#include <vector>

#include "se3t/util/fields.h"

namespace se3t {

// One table of a config: its name and the fields it holds (a section may gather the fields of
// several settings structs, e.g. the shared backbone and a task's own [model] settings).
struct ConfigSection {
  std::string name;
  FieldList fields;
};
using ConfigSections = std::vector<ConfigSection>;

// Reads TOML text into the sections; the top-level `task`, when present, must equal `task`.
void read_config(const std::string& text, const std::string& source, const std::string& task,
                 const ConfigSections& sections);
// Ranges and choices of every field: "config SOURCE: [section].key must be ...".
void check_config(const std::string& source, const ConfigSections& sections);
// TOML text that read_config reads back to the same values: task = "...", then the sections.
std::string write_config(const std::string& task, const ConfigSections& sections);
// A commented TOML document of every key with its default, its help and its allowed values.
std::string describe_config(const std::string& task, const ConfigSections& sections);

// The top-level `task` of a config text: "nbody" when it has none.
std::string config_task(const std::string& text, const std::string& source);
// True when the config sets nothing but (at most) its task: no key of any section.
bool config_is_empty(const std::string& text, const std::string& source);

}  // namespace se3t

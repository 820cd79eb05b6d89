// The config of one experiment: the shared backbone ([model]) and training ([train]) settings
// plus a task's own, as sections of a TOML file (se3t/config/config_file.h). A task's config
// derives from this and lists its sections once; parsing, validation, the TOML written into
// every run and checkpoint, the resume fingerprint and `se3t train --show-config` all follow.
#pragma once
#include <string>

#include "se3t/config/config_file.h"
#include "se3t/config/train_config.h"
#include "se3t/models/backbone_options.h"
#include "se3t/util/text.h"

namespace se3t {

class ExperimentConfig {
 public:
  virtual ~ExperimentConfig() = default;

  BackboneOptions model;
  TrainConfig train;

  // "nbody", "molecules": the top-level `task` of the file.
  virtual std::string task() const = 0;
  // [data], [model], [train] (each with the task's own fields added).
  virtual ConfigSections sections() = 0;
  // Replaces the data location (the command line's --data).
  virtual void set_data_path(const std::string& path) = 0;

  // Reads a TOML text into this config and validates it. `source` names it in errors.
  virtual void read(const std::string& text, const std::string& source);
  // Ranges and choices of every field, then the cross-field checks of check().
  void validate(const std::string& source) const;
  std::string to_toml() const;
  // Everything a resumed run must share with the run it continues, as TOML text.
  std::string resume_fingerprint() const;
  // Every key with its default and help, as a commented TOML document.
  std::string describe() const;

 protected:
  // Task-specific checks across fields, after every field is in range.
  virtual void check(const std::string& where) const;
  ConfigSections const_sections() const { return const_cast<ExperimentConfig*>(this)->sections(); }
};

// A config of type C read from TOML text (`source` names it in errors), or from a file.
template <class C>
C parse_config(const std::string& text, const std::string& source) {
  C config;
  config.read(text, source);
  return config;
}
template <class C>
C load_config(const std::string& path) {
  return parse_config<C>(read_text(path, "config"), path);
}

}  // namespace se3t

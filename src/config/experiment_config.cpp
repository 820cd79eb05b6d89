#include "se3t/config/experiment_config.h"

#include <memory>

#include "se3t/util/check.h"

namespace se3t {

void ExperimentConfig::read(const std::string& text, const std::string& source) {
  read_config(text, source, task(), sections());
  validate(source);
}

void ExperimentConfig::validate(const std::string& source) const {
  check_config(source, const_sections());
  check("config " + source + ": ");
}

void ExperimentConfig::check(const std::string& where) const {
  if (model.type != "linear") model.check(where + "[model].");
  train.check(where + "[train].");
}

std::string ExperimentConfig::to_toml() const {
  return write_config(task(), const_sections());
}

std::string ExperimentConfig::resume_fingerprint() const {
  const TrainConfig saved = train;
  auto* self = const_cast<ExperimentConfig*>(this);
  self->train.clear_run_settings();
  const std::string text = to_toml();
  self->train = saved;
  return text;
}

std::string ExperimentConfig::describe() const {
  return describe_config(task(), const_sections());
}

}  // namespace se3t

#include "se3t/train/molecule_config.h"

#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "se3t/util/check.h"
#include "toml_fields.h"

namespace se3t {
namespace {
using namespace toml_fields;
}  // namespace

MoleculeModelOptions MoleculeModelConfig::options(double cutoff) const {
  MoleculeModelOptions o;
  o.attention = type == "se3_transformer";
  o.num_layers = num_layers;
  o.num_degrees = num_degrees;
  o.num_channels = num_channels;
  o.num_heads = num_heads;
  o.channels_div = channels_div;
  o.radial_hidden = radial_hidden;
  o.self_interaction = parse_self_interaction(self_interaction);
  o.skip = parse_skip(skip);
  o.norm = norm;
  o.pooling = pooling;
  o.out_channels = out_channels;
  o.mlp_hidden = mlp_hidden;
  o.radial_basis = radial_basis;
  o.radial_max = radial_max;
  o.cutoff = cutoff;
  o.validate();
  return o;
}

double MoleculeTrainConfig::learning_rate(double t) const {
  if (lr_schedule == "constant" || epochs <= 0) return lr;
  const double lo = resolved_lr_min();
  const double x = std::min(std::max(t / static_cast<double>(epochs), 0.0), 1.0);
  return lo + 0.5 * (lr - lo) * (1.0 + std::cos(M_PI * x));
}

void MoleculeConfig::validate(const std::string& source) const {
  const std::string c = "config " + source + ": ";
  check_choice(source, "[data].format", data.format, {"extxyz", "qm9"});
  if (data.train_file.empty()) {
    SE3T_CHECK(!data.file.empty(), c, "[data].file (or train_file) must be set");
    SE3T_CHECK(data.num_train >= 1, c, "[data].num_train must be >= 1, got ", data.num_train);
    SE3T_CHECK(data.num_valid >= 0, c, "[data].num_valid must be >= 0, got ", data.num_valid);
    SE3T_CHECK(data.num_test >= -1, c, "[data].num_test must be >= 0 (or -1: the rest), got ",
               data.num_test);
  } else {
    SE3T_CHECK(data.format == "extxyz", c,
               "[data].train_file needs format \"extxyz\" (QM9 is split from one directory)");
  }
  SE3T_CHECK(std::isfinite(data.cutoff), c, "[data].cutoff must be finite");
  check_choice(source, "[model].type", model.type, {"se3_transformer", "tfn"});
  check_choice(source, "[model].self_interaction", model.self_interaction, {"linear", "attentive"});
  check_choice(source, "[model].skip", model.skip, {"cat", "add"});
  check_choice(source, "[model].pooling", model.pooling, {"sum", "avg", "max"});
  SE3T_CHECK(model.num_layers >= 0, c, "[model].num_layers must be >= 0, got ", model.num_layers);
  SE3T_CHECK(model.num_degrees >= 1, c, "[model].num_degrees must be >= 1, got ",
             model.num_degrees);
  SE3T_CHECK(model.num_channels >= 1, c, "[model].num_channels must be >= 1, got ",
             model.num_channels);
  SE3T_CHECK(model.out_channels >= 1, c, "[model].out_channels must be >= 1, got ",
             model.out_channels);
  SE3T_CHECK(model.mlp_hidden >= 1, c, "[model].mlp_hidden must be >= 1, got ", model.mlp_hidden);
  SE3T_CHECK(model.radial_basis == 0 || model.radial_basis >= 2, c,
             "[model].radial_basis must be 0 (raw distance) or >= 2, got ", model.radial_basis);
  SE3T_CHECK(std::isfinite(model.radial_max) && model.radial_max > 0.0, c,
             "[model].radial_max must be finite and > 0, got ", model.radial_max);
  const int64_t ch = model.num_channels, div = model.channels_div, heads = model.num_heads;
  SE3T_CHECK(div >= 1 && ch % div == 0, c, "[model].channels_div (", div,
             ") must divide num_channels (", ch, ")");
  SE3T_CHECK(heads >= 1 && ch % heads == 0 && (ch / div) % heads == 0, c, "[model].num_heads (",
             heads, ") must divide num_channels (", ch, ") and num_channels / channels_div (",
             ch / std::max<int64_t>(div, 1), ")");
  SE3T_CHECK(model.skip != "add" || model.num_layers == 0, c,
             "[model].skip = \"add\" needs equal fibers in and out of every block, but the input "
             "is the one-hot; use \"cat\"");
  try {
    (void)model.options(data.cutoff).network(1);
  } catch (const Error& e) {
    SE3T_CHECK(false, c, "[model]: ", e.what());
  }
  SE3T_CHECK(train.epochs >= 0, c, "[train].epochs must be >= 0, got ", train.epochs);
  SE3T_CHECK(train.batch_size >= 1, c, "[train].batch_size must be >= 1, got ", train.batch_size);
  SE3T_CHECK(std::isfinite(train.lr) && train.lr > 0.0, c, "[train].lr must be > 0, got ",
             train.lr);
  SE3T_CHECK(std::isfinite(train.lr_min), c, "[train].lr_min must be finite");
  check_choice(source, "[train].lr_schedule", train.lr_schedule, {"cosine", "constant"});
  check_choice(source, "[train].loss", train.loss, {"l1", "mse"});
  SE3T_CHECK(std::isfinite(train.weight_decay) && train.weight_decay >= 0.0, c,
             "[train].weight_decay must be >= 0, got ", train.weight_decay);
  SE3T_CHECK(std::isfinite(train.energy_weight) && train.energy_weight >= 0.0, c,
             "[train].energy_weight must be >= 0, got ", train.energy_weight);
  SE3T_CHECK(std::isfinite(train.force_weight) && train.force_weight >= 0.0, c,
             "[train].force_weight must be >= 0, got ", train.force_weight);
  SE3T_CHECK(train.energy_weight > 0.0 || train.force_weight > 0.0, c,
             "[train].energy_weight and force_weight are both 0: nothing to train");
  SE3T_CHECK(train.threads >= 0 && train.threads <= 1024, c,
             "[train].threads must be in [0, 1024] (0: all cores), got ", train.threads);
  SE3T_CHECK(!train.out_dir.empty(), c, "[train].out_dir must not be empty");
  SE3T_CHECK(train.eval_every >= 1, c, "[train].eval_every must be >= 1, got ", train.eval_every);
}

std::string MoleculeConfig::to_toml() const {
  std::ostringstream out;
  out << "task = \"molecules\"\n\n[data]\n"
      << "format = " << quoted(data.format) << "\n"
      << "file = " << quoted(data.file) << "\n"
      << "num_train = " << data.num_train << "\n"
      << "num_valid = " << data.num_valid << "\n"
      << "num_test = " << data.num_test << "\n"
      << "split_seed = " << data.split_seed << "\n"
      << "train_file = " << quoted(data.train_file) << "\n"
      << "valid_file = " << quoted(data.valid_file) << "\n"
      << "test_file = " << quoted(data.test_file) << "\n"
      << "energy_key = " << quoted(data.energy_key) << "\n"
      << "fit_reference = " << (data.fit_reference ? "true" : "false") << "\n"
      << "cutoff = " << number(data.cutoff) << "\n\n"
      << "[model]\n"
      << "type = " << quoted(model.type) << "\n"
      << "num_layers = " << model.num_layers << "\n"
      << "num_degrees = " << model.num_degrees << "\n"
      << "num_channels = " << model.num_channels << "\n"
      << "num_heads = " << model.num_heads << "\n"
      << "channels_div = " << model.channels_div << "\n"
      << "radial_hidden = " << model.radial_hidden << "\n"
      << "self_interaction = " << quoted(model.self_interaction) << "\n"
      << "skip = " << quoted(model.skip) << "\n"
      << "norm = " << (model.norm ? "true" : "false") << "\n"
      << "pooling = " << quoted(model.pooling) << "\n"
      << "out_channels = " << model.out_channels << "\n"
      << "mlp_hidden = " << model.mlp_hidden << "\n"
      << "radial_basis = " << model.radial_basis << "\n"
      << "radial_max = " << number(model.radial_max) << "\n\n"
      << "[train]\n"
      << "epochs = " << train.epochs << "\n"
      << "batch_size = " << train.batch_size << "\n"
      << "lr = " << number(train.lr) << "\n"
      << "lr_min = " << number(train.lr_min) << "\n"
      << "lr_schedule = " << quoted(train.lr_schedule) << "\n"
      << "weight_decay = " << number(train.weight_decay) << "\n"
      << "loss = " << quoted(train.loss) << "\n"
      << "energy_weight = " << number(train.energy_weight) << "\n"
      << "force_weight = " << number(train.force_weight) << "\n"
      << "seed = " << train.seed << "\n"
      << "threads = " << train.threads << "\n"
      << "out_dir = " << quoted(train.out_dir) << "\n"
      << "eval_every = " << train.eval_every << "\n";
  return out.str();
}

std::string MoleculeConfig::resume_fingerprint() const {
  MoleculeConfig c = *this;
  c.train.epochs = 0;
  c.train.threads = 0;
  c.train.out_dir = "-";
  c.train.eval_every = 1;
  return c.to_toml();
}

MoleculeConfig MoleculeConfig::parse(const std::string& text, const std::string& source) {
  const toml::table root = parse_table(text, source);
  for (auto&& [key, node] : root) {
    const std::string k(key.str());
    if (k == "task") {
      SE3T_CHECK(node.is_string() && node.value<std::string>().value() == "molecules", "config ",
                 source, ": task must be \"molecules\" for a molecule run");
      continue;
    }
    SE3T_CHECK(k == "data" || k == "model" || k == "train", "config ", source, ": unknown table [",
               k, "] (expected task, [data], [model] and [train])");
    SE3T_CHECK(node.is_table(), "config ", source, ": ", k, " must be a table [", k, "], got ",
               type_name(node));
  }
  MoleculeConfig c;
  {
    TableReader r(root["data"].as_table(), "data", source);
    r.read("format", c.data.format);
    r.read("file", c.data.file);
    r.read("num_train", c.data.num_train);
    r.read("num_valid", c.data.num_valid);
    r.read("num_test", c.data.num_test);
    r.read("split_seed", c.data.split_seed);
    r.read("train_file", c.data.train_file);
    r.read("valid_file", c.data.valid_file);
    r.read("test_file", c.data.test_file);
    r.read("energy_key", c.data.energy_key);
    r.read("fit_reference", c.data.fit_reference);
    r.read("cutoff", c.data.cutoff);
    r.finish();
  }
  {
    TableReader r(root["model"].as_table(), "model", source);
    r.read("type", c.model.type);
    r.read("num_layers", c.model.num_layers);
    r.read("num_degrees", c.model.num_degrees);
    r.read("num_channels", c.model.num_channels);
    r.read("num_heads", c.model.num_heads);
    r.read("channels_div", c.model.channels_div);
    r.read("radial_hidden", c.model.radial_hidden);
    r.read("self_interaction", c.model.self_interaction);
    r.read("skip", c.model.skip);
    r.read("norm", c.model.norm);
    r.read("pooling", c.model.pooling);
    r.read("out_channels", c.model.out_channels);
    r.read("mlp_hidden", c.model.mlp_hidden);
    r.read("radial_basis", c.model.radial_basis);
    r.read("radial_max", c.model.radial_max);
    r.finish();
  }
  {
    TableReader r(root["train"].as_table(), "train", source);
    r.read("epochs", c.train.epochs);
    r.read("batch_size", c.train.batch_size);
    r.read("lr", c.train.lr);
    r.read("lr_min", c.train.lr_min);
    r.read("lr_schedule", c.train.lr_schedule);
    r.read("weight_decay", c.train.weight_decay);
    r.read("loss", c.train.loss);
    r.read("energy_weight", c.train.energy_weight);
    r.read("force_weight", c.train.force_weight);
    r.read("seed", c.train.seed);
    r.read("threads", c.train.threads);
    r.read("out_dir", c.train.out_dir);
    r.read("eval_every", c.train.eval_every);
    r.finish();
  }
  c.validate(source);
  return c;
}

MoleculeConfig MoleculeConfig::load(const std::string& path) {
  return parse(read_text(path), path);
}

std::string config_task(const std::string& path) {
  const toml::table root = parse_table(read_text(path), path);
  const toml::node* t = root.get("task");
  if (!t) return "nbody";
  SE3T_CHECK(t->is_string(), "config ", path, ": task must be a string, got ", type_name(*t));
  const std::string task = t->value<std::string>().value();
  check_choice(path, "task", task, {"nbody", "molecules"});
  return task;
}

std::string config_text_without_task(const std::string& path) {
  toml::table root = parse_table(read_text(path), path);
  root.erase("task");
  std::ostringstream out;
  out << root;
  return out.str();
}

}  // namespace se3t

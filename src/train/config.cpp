#include "se3t/train/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "se3t/util/check.h"
#include "toml_fields.h"

namespace se3t {
namespace {
using namespace toml_fields;
}  // namespace

NBodyOptions DataConfig::nbody_options() const {
  NBodyOptions o = protocol == "egnn" ? NBodyOptions::egnn() : NBodyOptions::paper();
  o.num_train = num_train;
  o.num_valid = num_valid;
  o.num_test = num_test;
  o.input_frame = input_frame;
  o.target_frame = target_frame;
  return o;
}

NBodyModelSpec ModelConfig::spec() const {
  SE3T_CHECK(!is_linear(), "model type \"linear\" has no network");
  NBodyModelSpec s;
  s.attention = type == "se3_transformer";
  s.num_layers = num_layers;
  s.num_degrees = num_degrees;
  s.num_channels = num_channels;
  s.num_heads = num_heads;
  s.channels_div = channels_div;
  s.radial_hidden = radial_hidden;
  s.self_interaction = parse_self_interaction(self_interaction);
  s.skip = parse_skip(skip);
  s.norm = norm;
  return s;
}

double TrainConfig::learning_rate(double t) const {
  if (lr_schedule == "constant" || epochs <= 0) return lr;
  const double lo = resolved_lr_min();
  const double x = std::min(std::max(t / static_cast<double>(epochs), 0.0), 1.0);
  return lo + 0.5 * (lr - lo) * (1.0 + std::cos(M_PI * x));
}

void Config::validate(const std::string& source) const {
  const std::string c = "config " + source + ": ";
  check_choice(source, "[data].protocol", data.protocol, {"paper", "egnn"});
  SE3T_CHECK(!data.dir.empty(), c, "[data].dir must not be empty");
  SE3T_CHECK(data.num_train >= 1, c, "[data].num_train must be >= 1, got ", data.num_train);
  SE3T_CHECK(data.num_valid >= 0, c, "[data].num_valid must be >= 0, got ", data.num_valid);
  SE3T_CHECK(data.num_test >= 0, c, "[data].num_test must be >= 0, got ", data.num_test);
  const NBodyOptions o = data.nbody_options();
  SE3T_CHECK(data.input_frame >= 0 && data.input_frame < o.num_frames, c,
             "[data].input_frame must be in [0, ", o.num_frames, "), got ", data.input_frame);
  SE3T_CHECK(data.target_frame >= 0 && data.target_frame < o.num_frames, c,
             "[data].target_frame must be in [0, ", o.num_frames, "), got ", data.target_frame);
  check_choice(source, "[data].eval_frames", data.eval_frames, {"fixed", "spread"});
  check_choice(source, "[model].type", model.type, {"se3_transformer", "tfn", "linear"});
  check_choice(source, "[model].self_interaction", model.self_interaction, {"linear", "attentive"});
  check_choice(source, "[model].skip", model.skip, {"cat", "add"});
  SE3T_CHECK(model.num_layers >= 0, c, "[model].num_layers must be >= 0, got ", model.num_layers);
  SE3T_CHECK(model.num_degrees >= 1, c, "[model].num_degrees must be >= 1, got ",
             model.num_degrees);
  SE3T_CHECK(model.num_channels >= 1, c, "[model].num_channels must be >= 1, got ",
             model.num_channels);
  if (!model.is_linear()) {
    // What the attention and skip layers would refuse at construction, reported by key.
    const int64_t ch = model.num_channels, div = model.channels_div, heads = model.num_heads;
    SE3T_CHECK(div >= 1 && ch % div == 0, c, "[model].channels_div (", div,
               ") must divide num_channels (", ch, ")");
    SE3T_CHECK(heads >= 1 && ch % heads == 0 && (ch / div) % heads == 0, c, "[model].num_heads (",
               heads, ") must divide num_channels (", ch, ") and num_channels / channels_div (",
               ch / std::max<int64_t>(div, 1), ")");
    SE3T_CHECK(model.skip != "add" || model.num_layers == 0 || ch == 1, c,
               "[model].skip = \"add\" needs equal channels in and out of every block, but the "
               "N-body input has 1 channel per degree and the blocks ",
               ch, "; use \"cat\"");
    try {
      (void)model.spec().options();
    } catch (const Error& e) {
      SE3T_CHECK(false, c, "[model]: ", e.what());
    }
  }
  SE3T_CHECK(train.epochs >= 0, c, "[train].epochs must be >= 0, got ", train.epochs);
  SE3T_CHECK(train.batch_size >= 1, c, "[train].batch_size must be >= 1, got ", train.batch_size);
  SE3T_CHECK(std::isfinite(train.lr) && train.lr > 0.0, c, "[train].lr must be > 0, got ",
             train.lr);
  SE3T_CHECK(std::isfinite(train.lr_min), c, "[train].lr_min must be finite");
  check_choice(source, "[train].lr_schedule", train.lr_schedule, {"cosine", "constant"});
  SE3T_CHECK(std::isfinite(train.weight_decay) && train.weight_decay >= 0.0, c,
             "[train].weight_decay must be >= 0, got ", train.weight_decay);
  SE3T_CHECK(train.threads >= 0 && train.threads <= 1024, c,
             "[train].threads must be in [0, 1024] (0: all cores), got ", train.threads);
  SE3T_CHECK(!train.out_dir.empty(), c, "[train].out_dir must not be empty");
  SE3T_CHECK(train.eval_every >= 1, c, "[train].eval_every must be >= 1, got ", train.eval_every);
}

std::string Config::to_toml() const {
  std::ostringstream out;
  out << "[data]\n"
      << "protocol = " << quoted(data.protocol) << "\n"
      << "dir = " << quoted(data.dir) << "\n"
      << "num_train = " << data.num_train << "\n"
      << "num_valid = " << data.num_valid << "\n"
      << "num_test = " << data.num_test << "\n"
      << "seed = " << data.seed << "\n"
      << "input_frame = " << data.input_frame << "\n"
      << "target_frame = " << data.target_frame << "\n"
      << "random_input_frame = " << (data.random_input_frame ? "true" : "false") << "\n"
      << "eval_frames = " << quoted(data.eval_frames) << "\n\n"
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
      << "norm = " << (model.norm ? "true" : "false") << "\n\n"
      << "[train]\n"
      << "epochs = " << train.epochs << "\n"
      << "batch_size = " << train.batch_size << "\n"
      << "lr = " << number(train.lr) << "\n"
      << "lr_min = " << number(train.lr_min) << "\n"
      << "lr_schedule = " << quoted(train.lr_schedule) << "\n"
      << "weight_decay = " << number(train.weight_decay) << "\n"
      << "seed = " << train.seed << "\n"
      << "threads = " << train.threads << "\n"
      << "out_dir = " << quoted(train.out_dir) << "\n"
      << "eval_every = " << train.eval_every << "\n";
  return out.str();
}

std::string Config::resume_fingerprint() const {
  Config c = *this;
  c.train.epochs = 0;
  c.train.threads = 0;
  c.train.out_dir = "-";
  c.train.eval_every = 1;
  return c.to_toml();
}

Config Config::parse(const std::string& text, const std::string& source) {
  const toml::table root = parse_table(text, source);
  for (auto&& [key, node] : root) {
    const std::string k(key.str());
    SE3T_CHECK(k == "data" || k == "model" || k == "train", "config ", source, ": unknown table [",
               k, "] (expected [data], [model] and [train])");
    SE3T_CHECK(node.is_table(), "config ", source, ": ", k, " must be a table [", k, "], got ",
               type_name(node));
  }
  Config c;
  {
    TableReader r(root["data"].as_table(), "data", source);
    r.read("protocol", c.data.protocol);
    check_choice(source, "[data].protocol", c.data.protocol, {"paper", "egnn"});
    // Protocol defaults first, then whatever the file sets.
    const NBodyOptions p = c.data.protocol == "egnn" ? NBodyOptions::egnn() : NBodyOptions::paper();
    c.data.num_train = p.num_train;
    c.data.num_valid = p.num_valid;
    c.data.num_test = p.num_test;
    c.data.input_frame = p.input_frame;
    c.data.target_frame = p.target_frame;
    r.read("dir", c.data.dir);
    r.read("num_train", c.data.num_train);
    r.read("num_valid", c.data.num_valid);
    r.read("num_test", c.data.num_test);
    r.read("seed", c.data.seed);
    r.read("input_frame", c.data.input_frame);
    r.read("target_frame", c.data.target_frame);
    r.read("random_input_frame", c.data.random_input_frame);
    r.read("eval_frames", c.data.eval_frames);
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
    r.read("seed", c.train.seed);
    r.read("threads", c.train.threads);
    r.read("out_dir", c.train.out_dir);
    r.read("eval_every", c.train.eval_every);
    r.finish();
  }
  c.validate(source);
  return c;
}

Config Config::load(const std::string& path) {
  return parse(read_text(path), path);
}

}  // namespace se3t

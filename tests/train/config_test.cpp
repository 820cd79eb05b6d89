// TOML configs: every key, protocol defaults, and errors that name the key and the file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/testing.h"
#include "common/train_testing.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/tasks/registry.h"
#include "se3t/util/check.h"

namespace se3t {
namespace {

void expect_error(const std::string& text, std::initializer_list<const char*> parts) {
  try {
    NBodyConfig::parse(text, "my.toml");
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg << " lacks " << p;
  }
}

TEST(Config, ReadsEveryKey) {
  const NBodyConfig c = NBodyConfig::parse(R"(
[data]
protocol = "egnn"
dir = "d"
num_train = 10
num_valid = 2
num_test = 3
seed = 7
input_frame = 1
target_frame = 4
random_input_frame = true
eval_frames = "spread"

[model]
type = "tfn"
num_layers = 3
num_degrees = 2
num_channels = 8
num_heads = 4
channels_div = 1
radial_hidden = 16
self_interaction = "attentive"
skip = "cat"
norm = false

[train]
epochs = 7
batch_size = 5
lr = 2e-3
lr_min = 1e-5
lr_schedule = "constant"
weight_decay = 0.5
seed = 9
threads = 2
out_dir = "o"
eval_every = 3
)",
                                           "t.toml");
  EXPECT_EQ(c.data.protocol, "egnn");
  EXPECT_EQ(c.data.dir, "d");
  EXPECT_EQ(c.data.num_train, 10);
  EXPECT_EQ(c.data.num_valid, 2);
  EXPECT_EQ(c.data.num_test, 3);
  EXPECT_EQ(c.data.seed, 7u);
  EXPECT_EQ(c.data.input_frame, 1);
  EXPECT_EQ(c.data.target_frame, 4);
  EXPECT_TRUE(c.data.random_input_frame);
  EXPECT_EQ(c.data.eval_frames, "spread");
  EXPECT_EQ(c.model.type, "tfn");
  EXPECT_EQ(c.model.num_layers, 3);
  EXPECT_EQ(c.model.num_degrees, 2);
  EXPECT_EQ(c.model.num_channels, 8);
  EXPECT_EQ(c.model.num_heads, 4);
  EXPECT_EQ(c.model.channels_div, 1);
  EXPECT_EQ(c.model.radial_hidden, 16);
  EXPECT_EQ(c.model.self_interaction, "attentive");
  EXPECT_EQ(c.model.skip, "cat");
  EXPECT_FALSE(c.model.norm);
  EXPECT_EQ(c.train.epochs, 7);
  EXPECT_EQ(c.train.batch_size, 5);
  EXPECT_DOUBLE_EQ(c.train.lr, 2e-3);
  EXPECT_DOUBLE_EQ(c.train.lr_min, 1e-5);
  EXPECT_EQ(c.train.lr_schedule, "constant");
  EXPECT_DOUBLE_EQ(c.train.weight_decay, 0.5);
  EXPECT_EQ(c.train.seed, 9u);
  EXPECT_EQ(c.train.threads, 2);
  EXPECT_EQ(c.train.out_dir, "o");
  EXPECT_EQ(c.train.eval_every, 3);
  // The network the model table describes.
  const SE3TransformerOptions o = nbody_network(c.model);
  EXPECT_FALSE(o.attention);
  EXPECT_EQ(o.fiber_hidden, Fiber::uniform(1, 8));
  EXPECT_EQ(o.fiber_in, Fiber({{0, 1}, {1, 1}}));
  EXPECT_EQ(o.fiber_out, Fiber({{1, 2}}));
  EXPECT_EQ(o.edge_dim, 1);
  // Round trip through to_toml.
  EXPECT_EQ(NBodyConfig::parse(c.to_toml(), "again").to_toml(), c.to_toml());
}

TEST(Config, ProtocolDefaults) {
  const NBodyConfig paper = NBodyConfig::parse("", "empty.toml");
  EXPECT_EQ(paper.data.protocol, "paper");
  EXPECT_EQ(paper.data.num_train, 5000);
  EXPECT_EQ(paper.data.num_valid, 0);
  EXPECT_EQ(paper.data.num_test, 1000);
  EXPECT_EQ(paper.data.input_frame, 0);
  EXPECT_EQ(paper.data.target_frame, 5);
  const NBodyConfig egnn =
      NBodyConfig::parse("[data]\nprotocol = \"egnn\"\nnum_test = 5\n", "e.toml");
  EXPECT_EQ(egnn.data.num_train, 3000);
  EXPECT_EQ(egnn.data.num_valid, 2000);
  EXPECT_EQ(egnn.data.num_test, 5);
  EXPECT_EQ(egnn.data.input_frame, 30);
  EXPECT_EQ(egnn.data.target_frame, 40);
  EXPECT_FALSE(egnn.data.nbody_options().walls_every_step);
}

TEST(Config, LearningRateSchedule) {
  TrainConfig t;
  t.epochs = 10;
  t.lr = 1e-3;
  t.lr_min = 1e-4;
  EXPECT_DOUBLE_EQ(t.learning_rate(0.0), 1e-3);
  EXPECT_NEAR(t.learning_rate(5.0), 5.5e-4, 1e-15);
  EXPECT_NEAR(t.learning_rate(10.0), 1e-4, 1e-15);
  EXPECT_GT(t.learning_rate(2.0), t.learning_rate(2.5));
  t.lr_min = -1;  // default: lr / 10
  EXPECT_NEAR(t.learning_rate(10.0), 1e-4, 1e-15);
  t.lr_schedule = "constant";
  EXPECT_DOUBLE_EQ(t.learning_rate(7.3), 1e-3);
}

TEST(Config, ErrorsNameTheKeyAndFile) {
  expect_error("[train]\nepoch = 3\n", {"my.toml", "[train].epoch", "unknown key"});
  expect_error("[model]\nnum_layers = \"four\"\n",
               {"my.toml", "[model].num_layers", "integer", "string"});
  expect_error("[train]\nlr = \"fast\"\n", {"my.toml", "[train].lr", "number"});
  expect_error("[model]\nnorm = 1\n", {"my.toml", "[model].norm", "true or false"});
  expect_error("[data]\ndir = 5\n", {"my.toml", "[data].dir", "string"});
  expect_error("[optimizer]\nlr = 1\n", {"my.toml", "unknown table [optimizer]"});
  expect_error("data = 3\n", {"my.toml", "data", "table"});
  expect_error("[data]\nprotocol = \"nri\"\n", {"my.toml", "[data].protocol", "paper", "egnn"});
  expect_error("[model]\ntype = \"mlp\"\n", {"my.toml", "[model].type", "se3_transformer"});
  expect_error("[data]\neval_frames = \"all\"\n", {"my.toml", "[data].eval_frames", "spread"});
  expect_error("[train]\nlr_schedule = \"step\"\n", {"my.toml", "[train].lr_schedule"});
  expect_error("[train]\nbatch_size = 0\n", {"my.toml", "[train].batch_size"});
  expect_error("[data]\ntarget_frame = 49\n", {"my.toml", "[data].target_frame"});
  expect_error("[data]\nseed = -1\n", {"my.toml", "[data].seed", ">= 0"});
  expect_error("[model]\nnum_channels = 6\nnum_heads = 2\nchannels_div = 2\n",
               {"my.toml", "[model].num_heads"});
  expect_error("[model]\nnum_channels = 6\nchannels_div = 4\n",
               {"my.toml", "[model].channels_div"});
  expect_error("[model]\nskip = \"add\"\n", {"my.toml", "[model].skip", "cat"});
  expect_error("[model]\nvalue_layout = \"wide\"\nskip = \"add\"\n",
               {"my.toml", "[model].skip", "cat"});
  expect_error("[model]\nvalue_layout = \"narrow\"\n", {"my.toml", "[model].value_layout", "wide"});
  expect_error("[train]\nlr = 1e-3\nlr = 2e-3\n", {"my.toml:3"});  // TOML syntax: line number
  // Values that would run, but not as the user meant.
  expect_error("[train]\nlr = 1e-3\nlr_min = 1e-2\n", {"my.toml", "[train].lr_min", "lr"});
  expect_error("[train]\nlr = 0.0\n", {"my.toml", "[train].lr", "> 0"});
  expect_error("[train]\nthreads = 5000\n", {"my.toml", "[train].threads", "[0, 1024]"});
  expect_error("[train]\nout_dir = \"\"\n", {"my.toml", "[train].out_dir"});
  expect_error("[train]\nprecision = \"bf16\"\n", {"my.toml", "[train].precision", "bf16-radial"});
  expect_error("[train]\nprecision = \"bf16-radial\"\ndtype = \"float64\"\n",
               {"my.toml", "[train].precision", "float32"});
  expect_error("[train]\nema_decay = 1.0\n", {"my.toml", "[train].ema_decay", "below 1"});
  expect_error("[train]\nema_decay = -0.5\n", {"my.toml", "[train].ema_decay", "[0, 1]"});
  expect_error("task = \"molecules\"\n", {"my.toml", "task", "nbody"});
  // Type errors name the line of the key.
  expect_error("[train]\n\nepochs = 2.5\n", {"my.toml:3", "[train].epochs", "integer"});
}

// The config schema, declared once, serves the TOML writer and the --show-config listing:
// every key the writer emits is documented, and the documented defaults read back as the
// defaults.
TEST(Config, ShowConfigListsEveryKeyWithItsDefault) {
  for (const std::string& task : task_names()) {
    const std::unique_ptr<ExperimentConfig> c = default_config(task);
    const std::string doc = c->describe();
    std::istringstream in(c->to_toml());
    std::string line;
    int keys = 0;
    while (std::getline(in, line)) {
      const auto eq = line.find(" = ");
      if (eq == std::string::npos) continue;
      ++keys;
      EXPECT_NE(doc.find("\n" + line + "\n"), std::string::npos) << task << ": " << line;
    }
    EXPECT_GT(keys, 25) << task;
    // The listing is a config: it reads back to the defaults.
    std::unique_ptr<ExperimentConfig> back = default_config(task);
    back->read(doc, "--show-config " + task);
    EXPECT_EQ(back->to_toml(), c->to_toml()) << task;
  }
}

TEST(Config, LoadNamesMissingFile) {
  try {
    NBodyConfig::load("/nonexistent/se3t.toml");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/se3t.toml"), std::string::npos);
  }
}

TEST(Config, ShippedConfigsParse) {
  int64_t count = 0;
  for (const auto& e : std::filesystem::directory_iterator(testing::source_dir() + "/configs")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("nbody_", 0) != 0) continue;
    EXPECT_NO_THROW(NBodyConfig::load(e.path().string())) << name;
    ++count;
  }
  EXPECT_GE(count, 7);  // quick, paper, paper_cpu, its tfn and aug twins, egnn, egnn_cpu
}

}  // namespace
}  // namespace se3t

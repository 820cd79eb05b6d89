// The two value layouts of an attention block (docs/design.md, Layers): the paper's (values and
// keys with C / channels_div channels, projection (C / div + C_in) -> C) and the wide one
// (values with C). Equivariance of both, parameter counts from the layout's definition, the
// layout kept by model files and the wide layout of files written before the setting existed.
#include <gtest/gtest.h>
#include <torch/serialize/archive.h>

#include <sstream>

#include "common/expect_error.h"
#include "common/temp_dir.h"
#include "common/testing.h"
#include "nn/nn_testing.h"
#include "se3t/models/backbone_options.h"
#include "se3t/models/molecule_model.h"
#include "se3t/models/nbody_model.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/attention_block_se3.h"
#include "se3t/so3/rotation.h"
#include "se3t/tasks/molecule_task.h"
#include "se3t/tasks/nbody_task.h"

namespace se3t {
namespace {

// The text without its value_layout line: what files written before the setting hold.
std::string without_value_layout(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("value_layout", 0) != 0) out += line + "\n";
  }
  return out;
}

int64_t count_parameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

const Fiber kIn{{0, 4}, {1, 4}, {2, 4}};
const Fiber kOut{{0, 8}, {1, 8}, {2, 8}, {3, 8}};  // degree 3 is not an input degree

AttentionBlockSE3Options block_options(ValueLayout layout, int64_t div) {
  return AttentionBlockSE3Options(kIn, kOut)
      .num_heads(2)
      .channels_div(div)
      .edge_dim(1)
      .value_layout(layout);
}

TEST(ValueLayout, BothLayoutsAreEquivariantInFloat64AndFloat32) {
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    for (const auto layout : {ValueLayout::kPaper, ValueLayout::kWide}) {
      AttentionBlockSE3 block(block_options(layout, 2));
      block->to(dtype);
      auto gen = testing::make_generator(3);
      const GraphBatch g = testing::random_graphs({40, 30}, dtype, gen, 1.5, /*edge_dim=*/1);
      const Features f = testing::random_features(kIn, g.num_nodes(), dtype, gen);
      const Features out = block->forward(f, edge_geometry(g, 3));
      const at::Tensor R = random_rotation(1, at::kDouble, gen)[0];
      const at::Tensor shift = at::randn({3}, gen, at::kDouble) * 10;
      const Features rotated = block->forward(
          testing::rotate_features(f, R), edge_geometry(testing::transform_graph(g, R, shift), 3));
      const double err = testing::features_error(rotated, testing::rotate_features(out, R));
      EXPECT_LT(err, dtype == at::kDouble ? 1e-12 : 1e-5) << to_string(layout) << " " << dtype;
      for (const auto& [l, c] : kOut.entries()) EXPECT_EQ(out.at(l).size(1), c);
    }
  }
}

TEST(ValueLayout, ParameterCountsFollowFromTheLayout) {
  // Each layout assembled from its parts: the key/value convolution to values + keys, the
  // query projection to the keys, the projection of [values, skipped input] to the output.
  for (const int64_t div : {1, 2, 4}) {
    for (const auto layout : {ValueLayout::kPaper, ValueLayout::kWide}) {
      const Fiber values = layout == ValueLayout::kPaper ? kOut.divided(div) : kOut;
      const Fiber keys = kOut.restricted_to(kIn).divided(div);
      ConvSE3 kv(ConvSE3Options(kIn, values + keys).edge_dim(1));
      LinearSE3 query(LinearSE3Options(kIn, keys).bias(false));
      LinearSE3 projection(LinearSE3Options(values + kIn.restricted_to(kOut), kOut));
      const int64_t expected =
          count_parameters(*kv) + count_parameters(*query) + count_parameters(*projection);
      AttentionBlockSE3 block(block_options(layout, div));
      EXPECT_EQ(count_parameters(*block), expected) << to_string(layout) << " div " << div;
    }
  }
  // The dominant term in closed form: the last radial layer of the key/value convolution has
  // radial_hidden x C_in x C_out x (2 min(l, k) + 1) weights per degree pair (eq. 8), so for
  // div = 2 the paper's layout has (C/2 + C/2) / (C + C/2) = 2/3 of the wide one's for output
  // degrees 0-2 and (C/2) / C = 1/2 for degree 3, which has no keys.
  const auto last_radial = [](torch::nn::Module& block) {
    int64_t n = 0;
    for (const auto& p : block.named_parameters()) {
      if (p.key().find("fc3.weight") != std::string::npos) n += p.value().numel();
    }
    return n;
  };
  AttentionBlockSE3 paper(block_options(ValueLayout::kPaper, 2));
  AttentionBlockSE3 wide(block_options(ValueLayout::kWide, 2));
  int64_t paper_expected = 0, wide_expected = 0;
  for (const auto& [l, ci] : kIn.entries()) {
    for (const auto& [k, co] : kOut.entries()) {
      const int64_t per_pair = 32 * ci * (2 * std::min(l, k) + 1);
      const int64_t keys = kIn.has(k) ? co / 2 : 0;
      paper_expected += per_pair * (co / 2 + keys);
      wide_expected += per_pair * (co + keys);
    }
  }
  EXPECT_EQ(last_radial(*paper), paper_expected);
  EXPECT_EQ(last_radial(*wide), wide_expected);
}

TEST(ValueLayout, PaperLayoutRefusesAnAddSkipAndChannelsDivNotDividing) {
  testing::expect_error(
      [] {
        AttentionBlockSE3 block(AttentionBlockSE3Options(kOut, kOut)
                                    .num_heads(2)
                                    .skip(Skip::kAdd)
                                    .value_layout(ValueLayout::kPaper));
      },
      {"skip 'add' needs equal channels", "value_layout 'wide'"});
  testing::expect_error([] { AttentionBlockSE3 block(block_options(ValueLayout::kPaper, 3)); },
                        {"channels_div (3) must divide"});
  BackboneOptions b;
  b.skip = "add";
  testing::expect_error([&] { b.check("model: "); }, {"model: ", "value_layout = \"wide\""});
  b.value_layout = "wide";
  b.check("model: ");  // the wide layout adds its C-channel values to the block input
  testing::expect_error([] { parse_value_layout("narrow"); }, {"paper or wide", "narrow"});
}

TEST(ValueLayout, ModelFilesKeepTheLayoutAndOldFilesLoadAsWide) {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, 1}, {1, 1}};
  o.fiber_hidden = Fiber::uniform(1, 4);
  o.fiber_out = Fiber{{1, 1}};
  o.num_layers = 2;
  for (const auto layout : {ValueLayout::kPaper, ValueLayout::kWide}) {
    o.value_layout = layout;
    EXPECT_EQ(SE3TransformerOptions::from_text(o.to_text()).value_layout, layout);
  }
  // A file written before the setting: its options text has no value_layout line.
  o.value_layout = ValueLayout::kWide;
  const std::string old_text = without_value_layout(o.to_text());
  ASSERT_EQ(old_text.find("value_layout"), std::string::npos);
  SE3Transformer wide(o);
  testing::TempDir dir("value_layout");
  {
    torch::serialize::OutputArchive archive;
    archive.write("se3t_options", c10::IValue(old_text));
    wide->save(archive);
    archive.save_to(dir / "old.pt");
  }
  SE3Transformer loaded = load_model(dir / "old.pt");
  EXPECT_EQ(loaded->options().value_layout, ValueLayout::kWide);
  EXPECT_EQ(count_parameters(*loaded), count_parameters(*wide));
  for (const auto& p : wide->named_parameters()) {
    EXPECT_TRUE(at::equal(p.value(), loaded->named_parameters()[p.key()])) << p.key();
  }
  // The same for molecule models, whose options are the [model] section's fields.
  MoleculeModelOptions m;
  const std::string old_molecule = without_value_layout(m.to_text());
  EXPECT_EQ(m.backbone.value_layout, "paper");
  EXPECT_EQ(MoleculeModelOptions::from_text(old_molecule).backbone.value_layout, "wide");
  EXPECT_EQ(MoleculeModelOptions::from_text(m.to_text()).backbone.value_layout, "paper");
}

TEST(ValueLayout, ShippedConfigsKeepTheWideLayoutTheyWereTrainedWith) {
  const std::string dir = testing::source_dir() + "/configs/";
  for (const char* name : {"nbody_paper.toml", "nbody_paper_cpu.toml", "nbody_paper_cpu_aug.toml",
                           "nbody_quick.toml", "nbody_egnn.toml", "nbody_egnn_cpu.toml"}) {
    const NBodyConfig c = NBodyConfig::load(dir + name);
    EXPECT_EQ(c.model.value_layout, "wide") << name;
    EXPECT_EQ(nbody_network(c.model).value_layout, ValueLayout::kWide) << name;
  }
  for (const char* name :
       {"qm7_energy.toml", "qm7_energy_small.toml", "qm9_homo.toml", "amons_forces.toml"}) {
    EXPECT_EQ(MoleculeConfig::load(dir + name).model.value_layout, "wide") << name;
  }
}

}  // namespace
}  // namespace se3t

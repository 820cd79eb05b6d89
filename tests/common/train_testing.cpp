#include "common/train_testing.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/molecule_testing.h"
#include "common/run_command.h"
#include "common/testing.h"
#include "se3t/util/atomic_file.h"

namespace se3t::testing {
namespace {

// One layer, degrees 0-1, 4 channels, 2 heads: a network that trains in milliseconds.
void use_tiny_backbone(BackboneOptions& b) {
  b.num_layers = 1;
  b.num_degrees = 2;
  b.num_channels = 4;
  b.num_heads = 2;
  b.channels_div = 1;
  b.radial_hidden = 8;
}

}  // namespace

FitOptions quiet() {
  FitOptions o;
  o.verbose = false;
  return o;
}

NBodyConfig tiny_nbody_config(const std::string& data_dir, const std::string& out_dir,
                              int64_t num_valid) {
  NBodyConfig c;
  c.data.protocol = "paper";
  c.data.dir = data_dir;
  c.data.num_train = 24;
  c.data.num_valid = num_valid;
  c.data.num_test = 8;
  c.data.seed = 3;
  use_tiny_backbone(c.model);
  c.train.epochs = 4;
  c.train.batch_size = 8;
  c.train.lr = 3e-3;
  c.train.threads = 1;
  c.train.seed = 11;
  c.train.out_dir = out_dir;
  c.validate("tiny");
  return c;
}

MoleculeConfig tiny_molecule_config(const std::string& dir, const std::string& out_dir) {
  const std::string file = (std::filesystem::path(dir) / "molecules.extxyz").string();
  if (!std::filesystem::exists(file)) write_pair_potential_molecules(file, 24, 31);
  MoleculeConfig c;
  c.data.file = file;
  c.data.num_train = 14;
  c.data.num_valid = 5;
  c.data.num_test = 5;
  c.data.split_seed = 1;
  use_tiny_backbone(c.model);
  c.head.out_channels = 4;
  c.head.mlp_hidden = 8;
  c.head.radial_basis = 4;
  c.head.radial_max = 4.0;
  c.train.epochs = 3;
  c.train.batch_size = 4;
  c.train.lr = 5e-3;
  c.train.threads = 1;
  c.train.out_dir = out_dir;
  c.validate("tiny");
  return c;
}

std::string train_tiny_molecule_checkpoint(const TempDir& dir, const std::string& dtype) {
  MoleculeConfig c = tiny_molecule_config(dir.str(), dir / "run");
  c.train.epochs = 1;
  c.train.dtype = dtype;
  write_file_atomic(dir / "run.toml", c.to_toml());
  const CommandResult r = run_command({se3t_program(), "train", dir / "run.toml", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir / "run/checkpoint.pt";
}

std::string train_tiny_water_checkpoint(const TempDir& dir, const std::string& dtype) {
  MoleculeConfig c = tiny_molecule_config(dir.str(), dir / "water-run");
  const std::string water = source_dir() + "/data/xtb/water/";
  c.data.file.clear();
  c.data.train_file = water + "train.extxyz.gz";
  c.data.valid_file = water + "valid.extxyz.gz";
  c.data.test_file = water + "test.extxyz.gz";
  c.data.cutoff = 3.0;
  c.head.smooth_cutoff = true;
  c.model.activation = "silu";  // continuous forces: MD conserves energy at second order
  c.head.radial_basis_kind = "bessel";
  c.loss.force_weight = 1.0;
  c.train.epochs = 1;
  c.train.batch_size = 5;
  c.train.dtype = dtype;
  c.validate("tiny water");
  write_file_atomic(dir / "water-run.toml", c.to_toml());
  const CommandResult r = run_command({se3t_program(), "train", dir / "water-run.toml", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir / "water-run/checkpoint.pt";
}

std::unique_ptr<Task> tiny_task(const std::string& kind, const std::string& dir,
                                const std::string& out_dir) {
  if (kind == "molecules") {
    return std::make_unique<MoleculeTask>(tiny_molecule_config(dir, out_dir));
  }
  const std::string data = (std::filesystem::path(dir) / "nbody").string();
  return std::make_unique<NBodyTask>(tiny_nbody_config(data, out_dir, /*num_valid=*/8));
}

}  // namespace se3t::testing

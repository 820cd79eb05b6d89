// Bad input is refused before it can crash a run or turn into a silent NaN: non-finite data
// and parameters, a model file of the other kind, a model or batch too large for memory, an
// empty config, a .gz file that is not gzip.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "common/expect_error.h"
#include "common/molecule_testing.h"
#include "common/temp_dir.h"
#include "se3t/bench/workloads.h"
#include "se3t/data/nbody_files.h"
#include "se3t/data/npy.h"
#include "se3t/data/pdb.h"
#include "se3t/models/molecule_model.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/tasks/registry.h"
#include "se3t/util/atomic_file.h"
#include "se3t/util/memory.h"

namespace se3t {
namespace {

using testing::expect_error;
using testing::TempDir;

SE3TransformerOptions small_network() {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, 1}};
  o.fiber_hidden = Fiber::uniform(1, 4);
  o.fiber_out = Fiber{{0, 1}};
  o.num_layers = 1;
  return o;
}

TEST(BadInput, NonFiniteNBodyDataNamesFileSimulationAndFrame) {
  TempDir dir("nan-nbody");
  NBodyOptions o = nbody_protocol_options("paper");
  o.num_train = 3;
  o.num_valid = 0;
  o.num_test = 2;
  generate_nbody_data(dir.str(), "paper", o, 0);
  const std::string vel = dir / "vel_test_charged5.npy";
  at::Tensor v = read_npy_tensor(vel);
  v[1][7][2][3] = std::numeric_limits<double>::quiet_NaN();
  write_npy(vel, v);
  expect_error([&] { load_nbody_split(dir.str(), "test"); },
               {"vel_test_charged5.npy", "velocity of simulation 1, frame 7", "not finite"});
  const std::string charges = dir / "charges_train_charged5.npy";
  at::Tensor q = read_npy_tensor(charges);
  q[2][0][0] = std::numeric_limits<double>::infinity();
  write_npy(charges, q);
  expect_error([&] { load_nbody_split(dir.str(), "train"); },
               {"charges_train_charged5.npy", "charge of simulation 2", "not finite"});
  // The data set on disk is kept: generating into it again needs overwrite.
  expect_error([&] { generate_nbody_data(dir.str(), "paper", o, 0); },
               {"already holds a data set", "--overwrite"});
  generate_nbody_data(dir.str(), "paper", o, 0, {}, /*overwrite=*/true);
  EXPECT_NO_THROW(load_nbody_split(dir.str(), "train"));
}

TEST(BadInput, ModelFilesWithNonFiniteParametersAreRefused) {
  TempDir dir("nan-model");
  SE3Transformer net(small_network());
  {
    torch::NoGradGuard ng;
    net->parameters()[0].view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
  }
  save_model(*net, dir / "net.pt");
  expect_error([&] { load_model(dir / "net.pt"); }, {"net.pt", "NaN or infinite", "damaged"});

  const std::vector<Molecule> mols = testing::random_molecules(3, 41);
  MoleculeModel model = testing::make_model(mols, testing::small_options(true, "sum"));
  save_molecule_model(*model, dir / "good.pt");
  {
    torch::NoGradGuard ng;
    model->parameters().back().view(-1)[0] = std::numeric_limits<double>::infinity();
  }
  save_molecule_model(*model, dir / "bad.pt");
  EXPECT_NO_THROW(load_molecule_model(dir / "good.pt"));
  expect_error([&] { load_molecule_model(dir / "bad.pt"); }, {"bad.pt", "NaN or infinite"});

  // A model file of the other kind says what it is and which command takes it.
  expect_error([&] { load_model(dir / "good.pt"); }, {"is a molecule model", "se3t predict"});
  SE3Transformer finite(small_network());
  save_model(*finite, dir / "nbody.pt");
  expect_error([&] { load_molecule_model(dir / "nbody.pt"); },
               {"is an N-body network", "se3t eval"});
}

TEST(BadInput, ModelsAndBatchesTooLargeForMemoryAreRefusedBeforeAllocating) {
  SE3TransformerOptions o = small_network();
  o.fiber_hidden = Fiber::uniform(2, 100000);
  o.num_layers = 2;
  expect_error([&] { o.validate(); }, {"needs at least", "GiB", "lower num_channels"});
  expect_error([] { bench::make_workload("qm9", "", int64_t(1) << 32, 0); },
               {"needs at least", "lower --batch"});
  EXPECT_GT(physical_memory_bytes(), 0);
  EXPECT_GT(available_memory_bytes(), 0);
  EXPECT_LE(available_memory_bytes(), physical_memory_bytes());
  EXPECT_EQ(format_bytes(1.5 * 1024 * 1024 * 1024), "1.5 GiB");
}

TEST(BadInput, AnEmptyConfigIsRefused) {
  TempDir dir("empty-config");
  write_file_atomic(dir / "empty.toml", "# nothing here\n");
  expect_error([&] { load_task(dir / "empty.toml"); }, {"sets nothing", "--show-config nbody"});
  write_file_atomic(dir / "task.toml", "task = \"molecules\"\n[train]\n");
  expect_error([&] { load_task(dir / "task.toml"); }, {"sets nothing", "molecules"});
  write_file_atomic(dir / "one.toml", "task = \"molecules\"\n[train]\nepochs = 1\n");
  EXPECT_NO_THROW(load_task(dir / "one.toml"));
}

TEST(BadInput, AGzipNameWithoutGzipContentSaysSo) {
  TempDir dir("fake-gz");
  write_file_atomic(dir / "x.pdb.gz", "ATOM      1  N   ALA A   1      11.104   6.134  -6.504\n");
  expect_error([&] { read_pdb(dir / "x.pdb.gz"); }, {"x.pdb.gz", "not gzip-compressed"});
}

}  // namespace
}  // namespace se3t

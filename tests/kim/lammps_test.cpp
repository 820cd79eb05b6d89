// se3t models inside LAMMPS through KIM, end to end: a model is exported with `se3t
// export-kim`, installed with kim-api-collections-management into a KIM environment
// collection (KIM_API_* variables point into a temporary directory, so nothing is written to
// $HOME), and run by lmp (and mpirun -np 2 lmp) on localhost. LAMMPS's energies, forces and
// pressure must equal the model's own predictions (MoleculeModel::energy_and_forces and
// models/stress.h, converted to eV, eV/A and bar) to round-off in float64.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <torch/utils.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/molecule_testing.h"
#include "common/run_command.h"
#include "common/temp_dir.h"
#include "common/testing.h"
#include "kim/lammps_runner.h"
#include "se3t/md/units.h"
#include "se3t/models/stress.h"

namespace se3t {
namespace {

using testing::LammpsRun;
using testing::run_lammps;

constexpr const char* kGood = "SE3T_test__MO_000000000000_000";
constexpr const char* kBadFile = "SE3T_badfile__MO_000000000000_000";
constexpr const char* kFast = "SE3T_fast__MO_000000000000_000";
// LAMMPS's metal units: pressure in bar, nktv2p = 1.6021765e6 bar per eV/A^3 (update.cpp); the
// CODATA value 1.602176634e6 differs by 8e-8.
constexpr double kLammpsBarPerEvA3 = 1.6021765e6;

// Small float64 model: 2 attention layers, a smooth cutoff of 3 A (influence distance 9 A);
// `fast`: one TFN layer, 2.5 A (influence distance 5 A), for MD.
MoleculeModel make_kim_model(bool fast = false) {
  MoleculeModelOptions o = testing::small_options(/*attention=*/!fast, "sum");
  if (fast) o.backbone.num_layers = 1;
  o.cutoff = fast ? 2.5 : 3.0;
  o.smooth_cutoff = true;
  EnergyStats stats;
  stats.elements = {1, 6, 8};
  stats.reference = {-310.0, -1020.0, -2040.0};  // kcal/mol, any values
  stats.mean = 0.0;
  stats.std = 1.5;
  torch::manual_seed(7);
  MoleculeModel model(o, stats);
  {
    // The last layer starts at zero (y = 0): draw it, or the forces would all vanish.
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters()) {
      if (p.key().rfind("mlp.2.", 0) == 0) p.value().normal_(0.0, 0.5);
    }
  }
  model->to(at::kDouble);
  return model;
}

std::string describe(const testing::CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.signal) +
         "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

class Lammps : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::kim_drivers_dir().empty()) {
      skip_ = "the KIM API was not found at configure time (no model driver built)";
      return;
    }
    for (const auto& p : {testing::lmp_program(), testing::mpirun_program(),
                          testing::kim_collections_management_program()}) {
      if (p.empty()) skip_ = "lmp, mpirun or kim-api-collections-management not found";
    }
    if (!skip_.empty()) return;
    root_ = std::make_unique<testing::TempDir>("kim");
    namespace fs = std::filesystem;
    for (const char* d : {"models", "user/md", "user/pm", "user/sm", "src"}) {
      fs::create_directories(root_->path() / d);
    }
    // KIM's user collection lives where its configuration file says: here, not in $HOME.
    {
      std::ofstream cfg(*root_ / "kim-config");
      cfg << "model-drivers-dir = " << *root_ / "user/md"
          << "\n"
          << "portable-models-dir = " << *root_ / "user/pm"
          << "\n"
          << "simulator-models-dir = " << *root_ / "user/sm"
          << "\n";
    }
    ::setenv("KIM_API_CONFIGURATION_FILE", (*root_ / "kim-config").c_str(), 1);
    ::setenv("KIM_API_MODEL_DRIVERS_DIR", testing::kim_drivers_dir().c_str(), 1);
    ::setenv("KIM_API_PORTABLE_MODELS_DIR", (*root_ / "models").c_str(), 1);
    ::setenv("KIM_API_SIMULATOR_MODELS_DIR", (*root_ / "user/sm").c_str(), 1);
    ::setenv("OMP_NUM_THREADS", "1", 1);
    ::setenv("SE3T_KIM_THREADS", "1", 1);

    model_ = std::make_unique<MoleculeModel>(make_kim_model());
    const std::string model_path = *root_ / "model.pt";
    save_molecule_model(**model_, model_path);
    const std::string fast_path = *root_ / "fast.pt";
    save_molecule_model(*make_kim_model(/*fast=*/true), fast_path);
    auto exported = [&](const std::string& name, const std::string& model_path) {
      const std::string out = *root_ / ("src/" + name);
      const auto r = testing::run_command({testing::se3t_program(), "export-kim", "--checkpoint",
                                           model_path, "--out", out, "--name", name});
      if (r.exit_code != 0) error_ += "se3t export-kim failed: " + describe(r);
      return out;
    };
    const std::string good = exported(kGood, model_path);
    const std::string bad = exported(kBadFile, model_path);
    const std::string fast = exported(kFast, fast_path);
    {
      std::ofstream garbage(bad + "/se3t_model.pt", std::ios::trunc);
      garbage << "not a model file\n";
    }
    for (const std::string& dir : {good, bad, fast}) {
      if (!error_.empty()) return;
      const auto r = testing::run_command(
          {"/bin/sh", "-c",
           "cd '" + root_->str() + "' && exec " + testing::kim_collections_management_program() +
               " install environment '" + dir + "'"},
          600);
      if (r.exit_code != 0)
        error_ += "kim-api-collections-management install failed: " + describe(r);
    }
  }
  static void TearDownTestSuite() {
    model_.reset();
    root_.reset();
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(error_.empty()) << error_;
  }

  // A fresh directory for one LAMMPS run.
  static std::string run_dir(const std::string& name) {
    const std::string dir = *root_ / ("run-" + name);
    std::filesystem::create_directories(dir);
    return dir;
  }

  static MoleculeModelImpl& model() { return **model_; }

  static inline std::unique_ptr<testing::TempDir> root_;
  static inline std::unique_ptr<MoleculeModel> model_;
  static inline std::string skip_, error_;
};

Molecule first_frame(const std::string& file) {
  return load_molecules(testing::source_dir() + "/data/xtb/" + file, "energy").at(0);
}

// The lines after `kim interactions`: a single point that prints the energy, the pressure
// tensor and dumps the forces.
std::string single_point(const std::string& boundary, const std::string& elements,
                         const std::string& extra = "") {
  return std::string("kim init ") + kGood + " metal\n" + "boundary " + boundary +
         "\natom_style atomic\nread_data data.lmp\n" + extra + "kim interactions " + elements +
         "\nneighbor 1.0 bin\n"
         // Printed after the run, the pressures must be thermo keywords of its last step.
         "thermo_style custom step pe press pxx pyy pzz pyz pxz pxy\n"
         "compute atom_pe all pe/atom\n"
         "dump d all custom 1 dump.txt id x y z fx fy fz c_atom_pe\n"
         "dump_modify d sort id format float %.17g\n"
         "run 0\n"
         "print \"SE3T pe $(pe:%.17g) press $(press:%.17g) pxx $(pxx:%.17g) pyy $(pyy:%.17g) "
         "pzz $(pzz:%.17g) pyz $(pyz:%.17g) pxz $(pxz:%.17g) pxy $(pxy:%.17g)\"\n";
}

void expect_ok(const LammpsRun& run) {
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.values.count("pe"), 1u) << run.output;
  ASSERT_FALSE(run.dump.empty()) << run.output;
}

// Forces [N, 3] of a dump frame.
at::Tensor forces_of(const testing::DumpFrame& f) {
  std::vector<double> v;
  for (const auto& r : f.f) v.insert(v.end(), r.begin(), r.end());
  return at::tensor(v, at::kDouble).view({-1, 3});
}
at::Tensor positions_of(const testing::DumpFrame& f) {
  std::vector<double> v;
  for (const auto& r : f.x) v.insert(v.end(), r.begin(), r.end());
  return at::tensor(v, at::kDouble).view({-1, 3});
}

// The model's energy per atom, e_el(i) + std y_i, in eV (KIM's partial particle energies).
at::Tensor atom_energies_ev(MoleculeModelImpl& model, const Molecule& m) {
  const MoleculeBatch b = model.batch({m}, {0});
  const at::Tensor y = model.atom_outputs_at(b, b.graph.pos.to(model.dtype())).detach();
  std::vector<double> ref;
  for (int z : m.numbers) {
    ref.push_back(model.stats().reference.at(static_cast<size_t>(model.vocabulary().index(z))));
  }
  return (at::tensor(ref, at::kDouble) + model.stats().std * y) * md::energy_unit_in_ev("kcal/mol");
}

void expect_atom_energies(const testing::DumpFrame& f, const at::Tensor& expected) {
  ASSERT_EQ(f.extra.size(), static_cast<size_t>(expected.size(0)));
  const at::Tensor got = at::tensor(f.extra, at::kDouble);
  EXPECT_LT(testing::max_abs_diff(got, expected), 1e-12 * expected.abs().max().item<double>());
  // Not all alike: the network part varies from atom to atom.
  EXPECT_GT((expected - expected.mean()).abs().max().item<double>(), 1e-6);
}

TEST_F(Lammps, AspirinSinglePointEqualsTheModel) {
  const Molecule m = first_frame("aspirin/test.extxyz.gz");
  const std::string dir = run_dir("aspirin");
  testing::write_lammps_data(dir + "/data.lmp", m, {"H", "C", "O"}, 20.0);
  const LammpsRun run = run_lammps(dir, single_point("s s s", "H C O"));
  expect_ok(run);
  const EnergyForces ef = model().energy_and_forces(model().batch({m}, {0}), false);
  const double ev = md::energy_unit_in_ev("kcal/mol");
  const double e = ef.energy.item<double>() * ev;
  EXPECT_NEAR(run.values.at("pe"), e, 1e-10 * std::abs(e));
  const at::Tensor f = ef.forces * ev;
  const double df = testing::max_abs_diff(forces_of(run.dump[0]), f);
  std::printf("aspirin: E %.17g eV, LAMMPS - model %.3g eV; max |F| %.3g eV/A, max |dF| %.3g\n", e,
              run.values.at("pe") - e, f.abs().max().item<double>(), df);
  EXPECT_LT(df, 1e-9 * f.abs().max().item<double>());
  // The model is not trivial here: forces of order 0.1-1 eV/A.
  EXPECT_GT(f.abs().max().item<double>(), 1e-3);
  expect_atom_energies(run.dump[0], atom_energies_ev(model(), m));
}

TEST_F(Lammps, WaterBoxSinglePointAndPressureEqualTheModel) {
  const Molecule m = first_frame("water/test.extxyz.gz");
  ASSERT_TRUE(m.periodic());
  const std::string dir = run_dir("water");
  testing::write_lammps_data(dir + "/data.lmp", m, {"H", "O"});
  const LammpsRun run = run_lammps(dir, single_point("p p p", "H O"));
  expect_ok(run);
  const EnergyForcesStress efs = energy_forces_stress(model(), model().batch({m}, {0}), false);
  const double ev = md::energy_unit_in_ev("kcal/mol");
  const double e = efs.energy.item<double>() * ev;
  EXPECT_NEAR(run.values.at("pe"), e, 1e-10 * std::abs(e));
  const at::Tensor f = efs.forces * ev;
  const double df = testing::max_abs_diff(forces_of(run.dump[0]), f);
  std::printf("water: E %.17g eV, LAMMPS - model %.3g eV; max |F| %.3g eV/A, max |dF| %.3g\n", e,
              run.values.at("pe") - e, f.abs().max().item<double>(), df);
  EXPECT_LT(df, 1e-9 * f.abs().max().item<double>());
  expect_atom_energies(run.dump[0], atom_energies_ev(model(), m));
  // No velocities: LAMMPS's pressure tensor is the virial's, P_ab = -sigma_ab (ASE's stress,
  // positive under tension), in bar.
  const at::Tensor sigma = efs.stress[0] * (ev * kLammpsBarPerEvA3);
  const char* keys[6] = {"pxx", "pyy", "pzz", "pyz", "pxz", "pxy"};
  const double scale = sigma.abs().max().item<double>();
  ASSERT_GT(scale, 1.0);  // bar: a non-trivial stress
  std::printf("water: LAMMPS pxx %.17g bar, model -sigma_xx %.17g bar\n", run.values.at("pxx"),
              -sigma[0].item<double>());
  for (int k = 0; k < 6; ++k) {
    EXPECT_NEAR(run.values.at(keys[k]), -sigma[k].item<double>(), 1e-8 * scale) << keys[k];
  }
  EXPECT_NEAR(run.values.at("press"), -sigma.slice(0, 0, 3).sum().item<double>() / 3, 1e-8 * scale);
}

// LAMMPS units real ask the driver for kcal/mol, the model's own unit: KIM's conversion
// (eV -> kcal/mol) undoes the driver's (kcal/mol -> eV) up to the two programs' constants,
// one factor for energies and forces alike (lengths stay A).
TEST_F(Lammps, RealUnitsAskForKcalPerMol) {
  const Molecule m = first_frame("water/test.extxyz.gz");
  const std::string dir = run_dir("real");
  testing::write_lammps_data(dir + "/data.lmp", m, {"H", "O"});
  std::string input = single_point("p p p", "H O");
  input.replace(input.find(" metal\n"), 7, " real\n");
  const LammpsRun run = run_lammps(dir, input);
  expect_ok(run);
  const EnergyForces ef = model().energy_and_forces(model().batch({m}, {0}), false);
  const double e = ef.energy.item<double>();  // kcal/mol
  const double factor = run.values.at("pe") / e;
  std::printf("water, units real: E %.17g kcal/mol, LAMMPS / model - 1 = %.3g\n", e, factor - 1);
  // KIM's kcal/mol and CODATA's (se3t/md/units.h) differ by 8e-7.
  EXPECT_NEAR(factor, 1.0, 1e-5);
  EXPECT_LT(testing::max_abs_diff(forces_of(run.dump[0]), factor * ef.forces),
            1e-10 * ef.forces.abs().max().item<double>());
}

// The water box doubled along x on 1 and 2 ranks: each rank then holds a domain about the size
// of the influence distance (9 A), so the energy of its atoms needs ghosts several cutoff
// spheres deep, from the other rank and from periodic images. Energies and forces agree to
// round-off, and the doubled box has twice the energy of one.
TEST_F(Lammps, ReplicatedWaterOnOneAndTwoRanks) {
  const Molecule m = first_frame("water/test.extxyz.gz");
  const double ev = md::energy_unit_in_ev("kcal/mol");
  const double e1 = model().energy(model().batch({m}, {0})).item<double>() * ev;
  std::string input = single_point("p p p", "H O", "replicate 2 1 1\n");
  LammpsRun runs[2];
  for (int ranks = 1; ranks <= 2; ++ranks) {
    const std::string dir = run_dir("replicated" + std::to_string(ranks));
    testing::write_lammps_data(dir + "/data.lmp", m, {"H", "O"});
    runs[ranks - 1] = run_lammps(dir, input, ranks);
    expect_ok(runs[ranks - 1]);
  }
  const LammpsRun& one = runs[0];
  const LammpsRun& two = runs[1];
  std::printf("2x1x1 water: E 1 rank %.17g, 2 ranks %.17g, 2 E(box) %.17g eV\n",
              one.values.at("pe"), two.values.at("pe"), 2 * e1);
  EXPECT_NEAR(one.values.at("pe"), 2 * e1, 1e-10 * std::abs(e1));
  EXPECT_NEAR(two.values.at("pe"), one.values.at("pe"), 1e-10 * std::abs(e1));
  const at::Tensor f1 = forces_of(one.dump[0]);
  ASSERT_EQ(f1.size(0), 2 * m.size());
  EXPECT_LT(testing::max_abs_diff(forces_of(two.dump[0]), f1),
            1e-9 * f1.abs().max().item<double>());
  EXPECT_NEAR(two.values.at("pxx"), one.values.at("pxx"), 1e-8 * std::abs(one.values.at("pxx")));
}

// 100 NVE steps of the doubled water box with a cheap model (influence distance 5 A) on 1 and
// 2 ranks follow the same trajectory; velocities from `loop geom` do not depend on the ranks.
TEST_F(Lammps, NveTrajectoriesAgreeOnOneAndTwoRanks) {
  const Molecule m = first_frame("water/test.extxyz.gz");
  const std::string input =
      std::string("kim init ") + kFast +
      " metal\nboundary p p p\natom_style atomic\nread_data data.lmp\nreplicate 2 1 1\n"
      "kim interactions H O\n"
      "neighbor 0.5 bin\nneigh_modify every 1 delay 0 check yes\n"
      "velocity all create 300.0 4928459 loop geom\n"
      "fix nve all nve\ntimestep 0.0005\n"
      "thermo 10\nthermo_style custom step pe ke etotal\n"
      "dump d all custom 10 dump.txt id x y z fx fy fz\n"
      "dump_modify d sort id format float %.17g\n"
      "run 0\n"
      "print \"SE3T pe0 $(pe:%.17g) etotal0 $(etotal:%.17g) ke0 $(ke:%.17g)\"\n"
      "run 100\n"
      "print \"SE3T pe $(pe:%.17g) etotal $(etotal:%.17g)\"\n";
  LammpsRun runs[2];
  for (int ranks = 1; ranks <= 2; ++ranks) {
    const std::string dir = run_dir("nve" + std::to_string(ranks));
    testing::write_lammps_data(dir + "/data.lmp", m, {"H", "O"});
    runs[ranks - 1] = run_lammps(dir, input, ranks);
    expect_ok(runs[ranks - 1]);
  }
  const LammpsRun& one = runs[0];
  const LammpsRun& two = runs[1];
  // Steps 0, 10, ..., 100 (run 100 does not dump step 0 again).
  ASSERT_EQ(one.dump.size(), 11u);
  ASSERT_EQ(two.dump.size(), one.dump.size());
  double dx = 0, df = 0;
  for (size_t k = 0; k < one.dump.size(); ++k) {
    const at::Tensor f1 = forces_of(one.dump[k]);
    const double dfk = testing::max_abs_diff(forces_of(two.dump[k]), f1);
    const double dxk = testing::max_abs_diff(positions_of(two.dump[k]), positions_of(one.dump[k]));
    EXPECT_LT(dfk, 1e-8 * f1.abs().max().item<double>()) << "step " << one.dump[k].step;
    EXPECT_LT(dxk, 1e-8) << "step " << one.dump[k].step;
    df = std::max(df, dfk);
    dx = std::max(dx, dxk);
  }
  const double pe0 = one.values.at("pe0");
  EXPECT_NEAR(two.values.at("pe0"), pe0, 1e-10 * std::abs(pe0));
  EXPECT_NEAR(two.values.at("pe"), one.values.at("pe"), 1e-9 * std::abs(pe0));
  std::printf(
      "NVE 2x1x1 water, 100 steps: max |dx| 1 vs 2 ranks %.3g A, max |dF| %.3g eV/A; pe %.17g "
      "and %.17g eV; E + K drift %.3g eV (K(0) %.3g eV)\n",
      dx, df, one.values.at("pe"), two.values.at("pe"),
      one.values.at("etotal") - one.values.at("etotal0"), one.values.at("ke0"));
  // Forces are the energy's gradient, ghosts included: velocity Verlet conserves E + K.
  EXPECT_LT(std::abs(one.values.at("etotal") - one.values.at("etotal0")),
            1e-3 * one.values.at("ke0"));
}

TEST_F(Lammps, UnknownSpeciesIsAClearError) {
  const Molecule m = first_frame("water/test.extxyz.gz");
  const std::string dir = run_dir("species");
  testing::write_lammps_data(dir + "/data.lmp", m, {"H", "O"});
  // The model knows H, C and O; nitrogen is not one of them.
  const LammpsRun run = run_lammps(dir, single_point("p p p", "H N"));
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.signal, 0) << run.output;
  EXPECT_NE(run.output.find("ERROR"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("symbol not found: N"), std::string::npos) << run.output;
}

TEST_F(Lammps, BadModelFileIsAClearError) {
  const Molecule m = first_frame("water/test.extxyz.gz");
  const std::string dir = run_dir("badfile");
  testing::write_lammps_data(dir + "/data.lmp", m, {"H", "O"});
  std::string input = single_point("p p p", "H O");
  input.replace(input.find(kGood), std::string(kGood).size(), kBadFile);
  const LammpsRun run = run_lammps(dir, input);
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.signal, 0) << run.output;
  EXPECT_NE(run.output.find("se3t KIM driver"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("cannot read checkpoint"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("ERROR"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace se3t

// Restart files: a run continued from one is the uninterrupted run bit for bit, and files
// that cannot continue a run are refused with the reason.
#include <gtest/gtest.h>

#include "common/expect_error.h"
#include "common/temp_dir.h"
#include "md/analytic_potentials.h"
#include "se3t/md/dynamics.h"
#include "se3t/md/maxwell_boltzmann.h"
#include "se3t/md/trajectory.h"

namespace se3t {
namespace {

TEST(Restart, ContinuesALangevinRunBitForBit) {
  testing::TempDir dir("md_restart");
  testing::LennardJones lj(0.0103, 3.405);
  md::MdSettings settings;
  settings.ensemble = "langevin";
  settings.dt_fs = 2.0;
  settings.temperature_k = 80.0;
  settings.seed = 5;
  Frame start;
  start.species = {"Ar", "Ar", "Ar", "Ar"};
  start.positions = {{8, 8, 8}, {11.8, 8, 8}, {8, 11.8, 8}, {8.1, 8.2, 11.8}};
  // Non-periodic along z: wrapping acts on x and y only (the cluster stays inside).
  start.cell = Cell{{{20, 0, 0}, {1, 20, 0}, {0, 0, 20}}};
  start.pbc = {true, true, false};
  const auto begin = [&] {
    md::MdState s = md::state_from_frame(start, "start", nullptr);
    s.velocities = md::maxwell_boltzmann_velocities(s.masses, 80.0, settings.seed);
    md::evaluate_forces(s, lj);
    return s;
  };
  md::MdState whole = begin();
  for (int i = 0; i < 120; ++i) md::advance(whole, lj, settings);

  md::MdState first = begin();
  for (int i = 0; i < 50; ++i) md::advance(first, lj, settings);
  write_extxyz(dir / "restart.extxyz", {md::restart_frame(first, settings)});
  md::Restart r = md::read_restart(dir / "restart.extxyz");
  EXPECT_EQ(r.state.step, 50);
  EXPECT_EQ(r.settings.ensemble, "langevin");
  EXPECT_EQ(r.settings.seed, 5u);
  ASSERT_TRUE(r.state.cell.has_value());
  EXPECT_FALSE(r.state.cell->pbc[2]);
  for (int i = 50; i < 120; ++i) md::advance(r.state, lj, r.settings);
  EXPECT_TRUE(at::equal(whole.positions, r.state.positions));
  EXPECT_TRUE(at::equal(whole.velocities, r.state.velocities));
  EXPECT_EQ(whole.potential_energy, r.state.potential_energy);

  // A trajectory frame has no settings, a frame without velocities cannot continue.
  write_extxyz(dir / "traj.extxyz", {md::trajectory_frame(first, md::thermo(first, settings))});
  testing::expect_error([&] { md::read_restart(dir / "traj.extxyz"); },
                        {"traj.extxyz", "ensemble"});
  write_extxyz(dir / "start.extxyz", {start});
  testing::expect_error([&] { md::read_restart(dir / "start.extxyz"); },
                        {"start.extxyz", "velocities"});
}

TEST(Cell, WrappingMovesAtomsByLatticeVectorsAlongPeriodicDirectionsOnly) {
  Frame f;
  f.species = {"H", "H", "H"};
  f.positions = {{-0.5, 0.2, 12.0}, {8.1, 7.5, -3.0}, {1.0, 1.0, 1.0}};
  f.cell = Cell{{{7, 0, 0}, {1.5, 6, 0}, {0.5, 0.3, 9}}};
  f.pbc = {true, true, false};
  const md::MdState s = md::state_from_frame(f, "cell", nullptr);
  const at::Tensor a = s.cell->matrix();
  const at::Tensor w = md::wrap_positions(s.positions, *s.cell);
  const at::Tensor frac = at::matmul(w, at::linalg_inv(a));
  for (int d = 0; d < 2; ++d) {
    EXPECT_TRUE((frac.select(1, d) >= 0).all().item<bool>());
    EXPECT_TRUE((frac.select(1, d) < 1).all().item<bool>());
  }
  // The shift is an integer combination of the periodic lattice vectors.
  const at::Tensor shift = at::matmul(s.positions - w, at::linalg_inv(a));
  EXPECT_LT((shift - at::round(shift)).abs().max().item<double>(), 1e-12);
  EXPECT_EQ(at::round(shift).select(1, 2).abs().max().item<double>(), 0.0);
  // An atom inside keeps its exact position.
  EXPECT_TRUE(at::equal(w[2], s.positions[2]));

  // The trajectory frame keeps the cell.
  const Frame out = md::trajectory_frame(s, md::thermo(s, md::MdSettings()));
  ASSERT_TRUE(out.cell.has_value());
  EXPECT_EQ(*out.cell, *f.cell);
  EXPECT_EQ(out.pbc, f.pbc);
}

}  // namespace
}  // namespace se3t

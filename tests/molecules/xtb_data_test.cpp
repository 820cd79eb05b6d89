// The xtb data sets of data/xtb (scripts/make-xtb-data.sh): read through the gzip path of
// read_extxyz and checked for physical properties of the labels, not for stored values.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "se3t/data/extxyz.h"
#include "se3t/data/molecule_dataset.h"

namespace se3t {
namespace {

std::string data_path(const std::string& relative) {
  if (const char* env = std::getenv("SE3T_SOURCE_DIR")) return std::string(env) + "/" + relative;
  return std::string(SE3T_SOURCE_DIR) + "/" + relative;
}

constexpr double kBoltzmannKcal = 0.0019872043;  // kcal/mol/K
constexpr double kDumpFs = 10.0;                 // aspirin frames are 10 fs apart

struct Split {
  std::string name;
  std::vector<Frame> frames;
};

std::vector<Split> read_splits(const std::string& set) {
  std::vector<Split> splits;
  for (const char* name : {"train", "valid", "test"}) {
    splits.push_back({name, read_extxyz(data_path("data/xtb/" + set + "/" + name + ".extxyz.gz"))});
  }
  return splits;
}

std::map<std::string, int> composition(const Frame& f) {
  std::map<std::string, int> count;
  for (const std::string& s : f.species) ++count[s];
  return count;
}

double time_fs(const Frame& f) {
  return f.number("time_fs").value();
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double stddev(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// |sum_i F_i|: zero for a translation-invariant energy, in vacuum and in a periodic cell.
double net_force(const Frame& f) {
  std::array<double, 3> s{0.0, 0.0, 0.0};
  for (const auto& force : f.forces) {
    for (int d = 0; d < 3; ++d) s[d] += force[d];
  }
  return std::sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
}

// Splits come from disjoint segments of one trajectory: inside a split the frames follow each
// other in time, and every frame is more than `gap_fs` away from every frame of another split
// (random frames of one trajectory would put neighbours dump_fs apart into train and test).
void expect_disjoint_segments(const std::vector<Split>& splits, double dump_fs, double gap_fs) {
  std::vector<std::pair<double, size_t>> times;  // (time_fs, split)
  for (size_t s = 0; s < splits.size(); ++s) {
    SCOPED_TRACE(splits[s].name);
    ASSERT_FALSE(splits[s].frames.empty());
    for (size_t i = 0; i < splits[s].frames.size(); ++i) {
      times.emplace_back(time_fs(splits[s].frames[i]), s);
      if (i > 0) {
        ASSERT_GE(time_fs(splits[s].frames[i]) - time_fs(splits[s].frames[i - 1]), dump_fs - 1e-6)
            << "frame " << i;
      }
    }
  }
  std::sort(times.begin(), times.end());
  for (size_t i = 1; i < times.size(); ++i) {
    if (times[i].second == times[i - 1].second) continue;
    EXPECT_GT(times[i].first - times[i - 1].first, gap_fs)
        << splits[times[i - 1].second].name << " at " << times[i - 1].first << " fs, "
        << splits[times[i].second].name << " at " << times[i].first << " fs";
  }
}

TEST(XtbData, AspirinSplitsAreC9H8O4FromSeparateSegments) {
  const std::vector<Split> splits = read_splits("aspirin");
  // rMD17's 1,000 training and 500 validation frames; 1,460 test frames (2,000 less those
  // within 100 fs of a train or valid frame).
  ASSERT_EQ(splits[0].frames.size(), 1000u);
  ASSERT_EQ(splits[1].frames.size(), 500u);
  ASSERT_EQ(splits[2].frames.size(), 1460u);
  const std::map<std::string, int> c9h8o4{{"C", 9}, {"H", 8}, {"O", 4}};
  for (const Split& split : splits) {
    for (const Frame& f : split.frames) {
      ASSERT_EQ(f.size(), 21u);
      ASSERT_EQ(composition(f), c9h8o4);
      ASSERT_TRUE(f.has_forces());
      ASSERT_FALSE(f.cell.has_value());
      ASSERT_TRUE(std::isfinite(f.number("energy").value()));
    }
  }
  // Interleaved 0.5 ps blocks: no test frame within 100 fs of a train or valid one.
  expect_disjoint_segments(splits, kDumpFs, 100.0);
}

// Every split samples the whole trajectory, so each holds both conformers of the COOH group's
// O=C-O-H torsion (near 0 and near 180 degrees): segments of a few ps would not.
TEST(XtbData, AspirinSplitsSampleTheSameConformers) {
  const auto torsion = [](const Frame& f, int a, int b, int c, int d) {
    const auto& p = f.positions;
    double b0[3], b1[3], b2[3];
    for (int k = 0; k < 3; ++k) {
      b0[k] = p[a][k] - p[b][k];
      b1[k] = p[c][k] - p[b][k];
      b2[k] = p[d][k] - p[c][k];
    }
    const double n1 = std::sqrt(b1[0] * b1[0] + b1[1] * b1[1] + b1[2] * b1[2]);
    for (double& x : b1) x /= n1;
    const double d0 = b0[0] * b1[0] + b0[1] * b1[1] + b0[2] * b1[2];
    const double d2 = b2[0] * b1[0] + b2[1] * b1[1] + b2[2] * b1[2];
    double v[3], w[3];
    for (int k = 0; k < 3; ++k) {
      v[k] = b0[k] - d0 * b1[k];
      w[k] = b2[k] - d2 * b1[k];
    }
    const double x = v[0] * w[0] + v[1] * w[1] + v[2] * w[2];
    const double y = (b1[1] * v[2] - b1[2] * v[1]) * w[0] + (b1[2] * v[0] - b1[0] * v[2]) * w[1] +
                     (b1[0] * v[1] - b1[1] * v[0]) * w[2];
    return std::atan2(y, x) * 180.0 / M_PI;
  };
  for (const Split& split : read_splits("aspirin")) {
    SCOPED_TRACE(split.name);
    size_t cis = 0;  // O11=C10-O12-H20 (atom order of the data set's frames) within 90 degrees
    for (const Frame& f : split.frames) cis += std::abs(torsion(f, 11, 10, 12, 20)) < 90.0;
    const double share = static_cast<double>(cis) / static_cast<double>(split.frames.size());
    EXPECT_GT(share, 0.2);
    EXPECT_LT(share, 0.6);
  }
}

TEST(XtbData, AspirinForcesAreTranslationInvariantAndTheEnergyGradient) {
  for (const Split& split : read_splits("aspirin")) {
    SCOPED_TRACE(split.name);
    double worst = 0.0;
    for (const Frame& f : split.frames) worst = std::max(worst, net_force(f));
    // xtb's gradient sums to zero; what remains is the rounding of 21 x 1e-6 in the file.
    EXPECT_LT(worst, 1e-4);

    // Forces are -dE/dr in the energy's units per Angstrom: between frames 10 fs apart the
    // energy change matches the trapezoidal work -(F1 + F2)/2 . (r2 - r1). The slope of dE on
    // the work is 1 (a wrong sign gives -1, Bohr for Angstrom 1.89, Hartree for kcal/mol 627).
    double dew = 0.0, ww = 0.0, residual = 0.0, de2 = 0.0;
    for (size_t i = 1; i < split.frames.size(); ++i) {
      const Frame& a = split.frames[i - 1];
      const Frame& b = split.frames[i];
      if (std::abs(time_fs(b) - time_fs(a) - kDumpFs) > 1e-6) continue;
      double work = 0.0;
      for (size_t j = 0; j < a.size(); ++j) {
        for (int d = 0; d < 3; ++d) {
          work -= 0.5 * (a.forces[j][d] + b.forces[j][d]) * (b.positions[j][d] - a.positions[j][d]);
        }
      }
      const double de = b.number("energy").value() - a.number("energy").value();
      dew += de * work;
      ww += work * work;
      residual += (de - work) * (de - work);
      de2 += de * de;
    }
    ASSERT_GT(ww, 0.0);
    EXPECT_NEAR(dew / ww, 1.0, 0.15);
    EXPECT_LT(std::sqrt(residual / de2), 0.35);  // the trapezoid's error at 10 fs, not noise
  }
}

TEST(XtbData, AspirinEnergiesFluctuateAsAt500K) {
  // Harmonic limit of the canonical ensemble: var(E_pot) = (3N - 6)/2 (k_B T)^2. The energies
  // are total GFN2 energies in kcal/mol (about -24,850 for aspirin).
  const double harmonic_std = std::sqrt((3.0 * 21 - 6) / 2.0) * kBoltzmannKcal * 500.0;
  std::vector<double> means;
  for (const Split& split : read_splits("aspirin")) {
    SCOPED_TRACE(split.name);
    std::vector<double> e;
    for (const Frame& f : split.frames) e.push_back(f.number("energy").value());
    EXPECT_GT(stddev(e), 0.5 * harmonic_std);
    EXPECT_LT(stddev(e), 2.0 * harmonic_std);
    EXPECT_GT(mean(e), -25000.0);
    EXPECT_LT(mean(e), -24700.0);
    means.push_back(mean(e));
  }
  // All three segments sample the same equilibrium.
  EXPECT_NEAR(means[0], means[2], harmonic_std);
  EXPECT_NEAR(means[1], means[2], harmonic_std);
}

TEST(XtbData, WaterIsLiquidDensityInAPeriodicCubicCell) {
  const std::vector<Split> splits = read_splits("water");
  // 10 / 5 / 20 frames less those left out because periodic GFN1 did not converge or fell
  // into a state without a gap (data/xtb/README.md).
  ASSERT_EQ(splits[0].frames.size(), 10u);
  ASSERT_EQ(splits[1].frames.size(), 5u);
  ASSERT_EQ(splits[2].frames.size(), 16u);
  const std::map<std::string, int> h2o32{{"H", 64}, {"O", 32}};
  constexpr double kAvogadro = 6.02214076e23;
  const double water_g_per_mol = 2 * 1.008 + 15.999;
  for (const Split& split : splits) {
    SCOPED_TRACE(split.name);
    for (const Frame& f : split.frames) {
      ASSERT_EQ(composition(f), h2o32);
      ASSERT_TRUE(f.has_forces());
      ASSERT_TRUE(f.cell.has_value());
      EXPECT_TRUE(f.pbc[0] && f.pbc[1] && f.pbc[2]);
      const Cell& cell = *f.cell;
      const double volume_cm3 = cell_determinant(cell) * 1e-24;
      EXPECT_NEAR(32 * water_g_per_mol / kAvogadro / volume_cm3, 1.0, 0.02);
      EXPECT_LT(net_force(f), 1e-3);  // 96 x 1e-6 rounding; periodic xtb is invariant too
      // Liquid water is an insulator: GFN1 gives it a HOMO-LUMO gap of about 7 eV.
      EXPECT_GT(f.number("gap_ev").value(), 5.0);
      // Molecules stay whole under the minimum image: every H has an O within 1.3 A.
      const double length = cell[0][0];
      for (size_t h = 0; h < f.size(); ++h) {
        if (f.species[h] != "H") continue;
        double nearest = 1e9;
        for (size_t o = 0; o < f.size(); ++o) {
          if (f.species[o] != "O") continue;
          double r2 = 0.0;
          for (int d = 0; d < 3; ++d) {
            double dx = f.positions[h][d] - f.positions[o][d];
            dx -= length * std::round(dx / length);
            r2 += dx * dx;
          }
          nearest = std::min(nearest, std::sqrt(r2));
        }
        ASSERT_LT(nearest, 1.3) << "H " << h;
      }
    }
  }
  expect_disjoint_segments(splits, 50.0, 2000.0);  // gaps of 2.5 ps
}

TEST(XtbData, WaterOxygensShowTheFirstShellOfTheLiquid) {
  // The O-O radial distribution of liquid water peaks near 2.8 A (first hydration shell) and
  // no two oxygens come closer than about 2.4 A; counted under the minimum image.
  std::vector<double> histogram(29, 0.0);  // 2.0 .. 4.9 A in 0.1 A bins, r < L/2
  double closest = 1e9;
  for (const Split& split : read_splits("water")) {
    for (const Frame& f : split.frames) {
      const double length = (*f.cell)[0][0];
      std::vector<std::array<double, 3>> oxygens;
      for (size_t i = 0; i < f.size(); ++i) {
        if (f.species[i] == "O") oxygens.push_back(f.positions[i]);
      }
      for (size_t i = 0; i < oxygens.size(); ++i) {
        for (size_t j = i + 1; j < oxygens.size(); ++j) {
          double r2 = 0.0;
          for (int d = 0; d < 3; ++d) {
            double dx = oxygens[i][d] - oxygens[j][d];
            dx -= length * std::round(dx / length);
            r2 += dx * dx;
          }
          const double r = std::sqrt(r2);
          closest = std::min(closest, r);
          const int bin = static_cast<int>(std::floor((r - 2.0) / 0.1));
          if (bin >= 0 && bin < static_cast<int>(histogram.size())) histogram[bin] += 1.0;
        }
      }
    }
  }
  // g(r) up to a constant: counts over the shell volume 4 pi r^2 dr.
  int peak = 0;
  for (size_t b = 0; b < histogram.size(); ++b) {
    const double r = 2.05 + 0.1 * static_cast<double>(b);
    histogram[b] /= r * r;
    if (histogram[b] > histogram[peak]) peak = static_cast<int>(b);
  }
  const double peak_r = 2.05 + 0.1 * peak;
  EXPECT_GT(peak_r, 2.6);
  EXPECT_LT(peak_r, 3.0);
  EXPECT_GT(closest, 2.2);
}

TEST(XtbData, WaterCellIsCubicAndEnergiesAreOfLiquidWater) {
  for (const Split& split : read_splits("water")) {
    SCOPED_TRACE(split.name);
    std::vector<double> e;
    for (const Frame& f : split.frames) {
      const Cell& c = *f.cell;
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) EXPECT_EQ(c[i][j], i == j ? c[0][0] : 0.0);
      }
      e.push_back(f.number("energy").value());
    }
    // Cohesion: per molecule, the liquid lies below the optimised GFN1 monomer
    // (`xtb --opt --gfn 1`: -5.768774893 Hartree) by about the vaporisation energy of water
    // (about 10 kcal/mol), less the thermal and strain energy of 300 K configurations.
    const double monomer = -5.768774893 * 627.509474063;
    EXPECT_LT(mean(e) / 32.0 - monomer, -3.0);
    EXPECT_GT(mean(e) / 32.0 - monomer, -15.0);
    // Thermal spread: sqrt(3N/2) k_B T = 7 kcal/mol for 96 harmonic atoms at 300 K; a frame
    // in a spurious electronic state would sit 150 kcal/mol away.
    EXPECT_GT(stddev(e), 1.0);
    EXPECT_LT(stddev(e), 30.0);
  }
}

// The water stress labels (central differences of GFN1 energies under strain): on every frame,
// and those of an isotropic liquid: over the frames the three normal stresses have one mean
// and the shear stresses average to zero, each within 4 standard errors of the frames' own
// scatter (a Voigt order or matrix layout mixed up on writing would put shear into the
// normal components or the reverse).
TEST(XtbData, WaterStressesAreThoseOfAnIsotropicLiquid) {
  std::vector<std::array<double, 6>> stresses;  // Voigt xx yy zz yz xz xy, kcal/mol/A^3
  for (const char* split : {"train", "valid", "test"}) {
    SCOPED_TRACE(split);
    for (const Molecule& m : load_molecules(
             data_path(std::string("data/xtb/water/") + split + ".extxyz.gz"), "energy")) {
      ASSERT_TRUE(m.stress.has_value()) << m.name;
      for (double s : *m.stress) EXPECT_LT(std::abs(s), 1.0) << m.name;  // 1 = 7 GPa
      stresses.push_back(*m.stress);
    }
  }
  ASSERT_EQ(stresses.size(), 31u);
  std::array<double, 6> means{}, errors{};
  for (int c = 0; c < 6; ++c) {
    std::vector<double> v;
    for (const auto& s : stresses) v.push_back(s[c]);
    means[c] = mean(v);
    errors[c] = stddev(v) / std::sqrt(static_cast<double>(v.size()));
    EXPECT_GT(stddev(v), 1e-3) << "component " << c << " does not fluctuate";
  }
  for (int a = 0; a < 3; ++a) {
    const int b = (a + 1) % 3;
    EXPECT_LT(std::abs(means[a] - means[b]), 4.0 * std::hypot(errors[a], errors[b]))
        << "normal stresses " << a << " and " << b;
    EXPECT_LT(std::abs(means[3 + a]), 4.0 * errors[3 + a]) << "shear stress " << 3 + a;
  }
}

}  // namespace
}  // namespace se3t

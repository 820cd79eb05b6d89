#include "se3t/data/molecule_dataset.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "se3t/data/elements.h"
#include "se3t/data/qm9_xyz.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/graph/periodic_radius_graph.h"
#include "se3t/util/check.h"
#include "se3t/util/fields.h"
#include "se3t/util/random.h"
#include "se3t/util/text.h"

namespace se3t {
namespace fs = std::filesystem;

namespace {

// info["stress"]: 9 values (a symmetric 3x3 matrix, as ASE writes its stress) or 6 (Voigt
// xx, yy, zz, yz, xz, xy), in Voigt order.
std::array<double, 6> parse_stress(const std::string& text, const std::string& where) {
  std::vector<double> v;
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    double x = 0;
    SE3T_CHECK(parse_real(token, x), where, ": stress value '", token,
               "' is not a finite real number");
    v.push_back(x);
  }
  SE3T_CHECK(v.size() == 9 || v.size() == 6, where, ": stress has ", v.size(),
             " values, expected 9 (3x3) or 6 (Voigt xx yy zz yz xz xy)");
  if (v.size() == 6) return {v[0], v[1], v[2], v[3], v[4], v[5]};
  const auto m = [&](int i, int j) { return v[3 * i + j]; };
  double largest = 0;
  for (double x : v) largest = std::max(largest, std::abs(x));
  const double tol = 1e-6 * largest;  // ASE writes the symmetric matrix; allow print rounding
  SE3T_CHECK(std::abs(m(0, 1) - m(1, 0)) <= tol && std::abs(m(0, 2) - m(2, 0)) <= tol &&
                 std::abs(m(1, 2) - m(2, 1)) <= tol,
             where, ": the 3x3 stress is not symmetric");
  return {m(0, 0),
          m(1, 1),
          m(2, 2),
          0.5 * (m(1, 2) + m(2, 1)),
          0.5 * (m(0, 2) + m(2, 0)),
          0.5 * (m(0, 1) + m(1, 0))};
}

}  // namespace

std::vector<Molecule> molecules_from_frames(const std::vector<Frame>& frames,
                                            const std::string& energy_key,
                                            const std::string& source) {
  std::vector<Molecule> out;
  out.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = frames[i];
    SE3T_CHECK(f.size() > 0, source, ": frame ", i + 1, " has no atoms");
    Molecule m;
    m.numbers = atomic_numbers(f);
    m.positions = f.positions;
    m.forces = f.forces;
    m.cell = f.cell;
    m.pbc = f.pbc;
    const auto name = f.info.find("name");
    m.name = name != f.info.end() ? name->second : "#" + std::to_string(i);
    m.energy = std::numeric_limits<double>::quiet_NaN();
    if (!energy_key.empty()) {
      const std::optional<double> e = f.number(energy_key);
      SE3T_CHECK(e.has_value(), source, ": frame ", i + 1, " (", m.name, ") has no '", energy_key,
                 "' value");
      SE3T_CHECK(std::isfinite(*e), source, ": frame ", i + 1, " (", m.name, "): '", energy_key,
                 "' is not finite");
      m.energy = *e;
    }
    const auto stress = f.info.find("stress");
    if (stress != f.info.end()) {
      const std::string where = source + ": frame " + std::to_string(i + 1) + " (" + m.name + ")";
      SE3T_CHECK(m.periodic(), where,
                 " has a stress but no periodic cell (Lattice=... with pbc): a stress is the "
                 "derivative of the energy under a strain of the cell");
      m.stress = parse_stress(stress->second, where);
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<Molecule> load_molecules(const std::string& path, const std::string& energy_key) {
  SE3T_CHECK(fs::is_regular_file(path), "molecule file '", path, "' does not exist");
  const std::vector<Frame> frames = read_extxyz(path);
  SE3T_CHECK(!frames.empty(), "molecule file '", path, "' holds no frames");
  return molecules_from_frames(frames, energy_key, path);
}

std::vector<Molecule> load_qm9_directory(const std::string& dir, const std::string& property) {
  SE3T_CHECK(fs::is_directory(dir), "QM9 directory '", dir,
             "' does not exist (QM9 is not shipped: download the raw dsgdb9nsd_*.xyz files)");
  const auto* end = kQm9PropertyNames + 15;
  SE3T_CHECK(std::find(kQm9PropertyNames, end, property) != end, "QM9: unknown property '",
             property, "'");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind("dsgdb9nsd_", 0) == 0 && e.path().extension() == ".xyz")
      files.push_back(e.path().string());
  }
  SE3T_CHECK(!files.empty(), "QM9 directory '", dir, "' holds no dsgdb9nsd_*.xyz files");
  std::sort(files.begin(), files.end());
  std::vector<Frame> frames;
  frames.reserve(files.size());
  for (const auto& f : files) frames.push_back(read_qm9_xyz(f));
  return molecules_from_frames(frames, property, dir);
}

ElementVocabulary::ElementVocabulary(std::vector<int> numbers) : numbers_(std::move(numbers)) {
  std::sort(numbers_.begin(), numbers_.end());
  numbers_.erase(std::unique(numbers_.begin(), numbers_.end()), numbers_.end());
  for (int z : numbers_) (void)element_symbol(z);  // validates the range
}

ElementVocabulary ElementVocabulary::of(const std::vector<Molecule>& molecules) {
  std::vector<int> all;
  for (const Molecule& m : molecules) all.insert(all.end(), m.numbers.begin(), m.numbers.end());
  return ElementVocabulary(std::move(all));
}

int64_t ElementVocabulary::index(int z) const {
  const auto it = std::lower_bound(numbers_.begin(), numbers_.end(), z);
  if (it != numbers_.end() && *it == z) return it - numbers_.begin();
  std::string known;
  for (int k : numbers_) known += (known.empty() ? "" : " ") + element_symbol(k);
  SE3T_CHECK(false, "element ", (z >= 1 && z <= kNumElements) ? element_symbol(z) : "?", " (Z=", z,
             ") was not seen in training; the model knows only: ", known);
  return -1;
}

void ElementVocabulary::check_known(const std::vector<Molecule>& molecules,
                                    const std::string& source) const {
  for (size_t i = 0; i < molecules.size(); ++i) {
    for (size_t a = 0; a < molecules[i].numbers.size(); ++a) {
      try {
        (void)index(molecules[i].numbers[a]);
      } catch (const Error& e) {
        SE3T_CHECK(false, source, ": molecule ", i + 1, " (", molecules[i].name, "), atom ", a + 1,
                   ": ", e.what());
      }
    }
  }
}

std::vector<std::vector<int64_t>> random_split(int64_t n, const std::vector<int64_t>& sizes,
                                               uint64_t seed) {
  int64_t total = 0;
  for (int64_t s : sizes) {
    SE3T_CHECK(s >= 0, "random_split: negative split size ", s);
    total += s;
  }
  SE3T_CHECK(total <= n, "random_split: split sizes add up to ", total, " but there are only ", n,
             " molecules");
  std::vector<int64_t> perm(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  std::mt19937_64 g(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(perm[i], perm[uniform_below(g, static_cast<uint64_t>(i) + 1)]);
  }
  std::vector<std::vector<int64_t>> parts;
  int64_t at = 0;
  for (int64_t s : sizes) {
    parts.emplace_back(perm.begin() + at, perm.begin() + at + s);
    at += s;
  }
  return parts;
}

double EnergyStats::reference_energy(const Molecule& m) const {
  double e = 0.0;
  for (int z : m.numbers) {
    const auto it = std::lower_bound(elements.begin(), elements.end(), z);
    SE3T_CHECK(it != elements.end() && *it == z, "element Z=", z, " has no reference energy");
    e += reference[it - elements.begin()];
  }
  return e;
}

double EnergyStats::standardise(const Molecule& m, double energy) const {
  return (energy - reference_energy(m) - mean) / std;
}

double EnergyStats::destandardise(const Molecule& m, double y) const {
  return reference_energy(m) + mean + std * y;
}

std::string EnergyStats::to_text() const {
  KeyValueText t;
  t.put("mean", format_real(mean));
  t.put("std", format_real(std));
  for (size_t i = 0; i < elements.size(); ++i) {
    t.put("e" + std::to_string(elements[i]), format_real(reference[i]));
  }
  return t.str();
}

EnergyStats EnergyStats::from_text(const std::string& text) {
  const KeyValueText t = KeyValueText::parse(text, "energy statistics");
  EnergyStats s;
  s.mean = t.real("mean");
  s.std = t.real("std");
  for (const auto& [key, value] : t.entries()) {
    (void)value;
    if (key == "mean" || key == "std") continue;
    int64_t z = 0;
    SE3T_CHECK(key.size() > 1 && key[0] == 'e' && parse_integer(key.substr(1), z),
               "energy statistics: unknown key '", key, "'");
    s.elements.push_back(static_cast<int>(z));
    s.reference.push_back(t.real(key));
  }
  SE3T_CHECK(s.std > 0.0, "energy statistics: std must be > 0");
  SE3T_CHECK(std::is_sorted(s.elements.begin(), s.elements.end()),
             "energy statistics: elements out of order");
  return s;
}

EnergyStats fit_energy_stats(const std::vector<Molecule>& molecules,
                             const std::vector<int64_t>& indices, const ElementVocabulary& vocab,
                             bool fit_reference) {
  SE3T_CHECK(!indices.empty(), "fit_energy_stats: no training molecules");
  const int64_t m = static_cast<int64_t>(indices.size()), k = vocab.size();
  at::Tensor a = at::zeros({m, k}, at::kDouble), b = at::empty({m, 1}, at::kDouble);
  auto aa = a.accessor<double, 2>();
  auto ba = b.accessor<double, 2>();
  for (int64_t i = 0; i < m; ++i) {
    const Molecule& mol = molecules.at(indices[i]);
    SE3T_CHECK(std::isfinite(mol.energy), "fit_energy_stats: molecule ", mol.name,
               " has no energy");
    for (int z : mol.numbers) aa[i][vocab.index(z)] += 1.0;
    ba[i][0] = mol.energy;
  }
  EnergyStats s;
  s.elements = vocab.numbers();
  s.reference.assign(k, 0.0);
  if (fit_reference) {
    // Minimum-norm least squares through the SVD (gelsd): E ~ sum_el n_el e_el.
    const at::Tensor e = std::get<0>(at::linalg_lstsq(a, b, c10::nullopt, "gelsd"));
    for (int64_t j = 0; j < k; ++j) s.reference[j] = e[j][0].item<double>();
  }
  const at::Tensor ref = at::tensor(s.reference, at::kDouble);
  const at::Tensor r = b.squeeze(1) - a.matmul(ref);
  s.mean = r.mean().item<double>();
  // Population std; a data set with one molecule or identical residuals keeps std 1.
  const double sd = m > 1 ? r.std(/*unbiased=*/false).item<double>() : 0.0;
  s.std = sd > 1e-12 * std::max(1.0, std::abs(s.mean)) ? sd : 1.0;
  return s;
}

MoleculeTargets molecule_targets(const std::vector<Molecule>& molecules,
                                 const std::vector<int64_t>& indices) {
  SE3T_CHECK(!indices.empty(), "make_molecule_batch: empty batch");
  MoleculeTargets t;
  bool forces = true, stress = true;
  for (int64_t i : indices) {
    SE3T_CHECK(i >= 0 && i < static_cast<int64_t>(molecules.size()), "make_molecule_batch: index ",
               i, " out of range");
    t.num_atoms += molecules[i].size();
    forces = forces && molecules[i].has_forces();
    stress = stress && molecules[i].stress.has_value();
  }
  const int64_t g = static_cast<int64_t>(indices.size());
  t.energy = at::empty({g}, at::kDouble);
  if (forces) t.forces = at::empty({t.num_atoms, 3}, at::kDouble);
  if (stress) {
    t.stress = at::empty({g, 6}, at::kDouble);
    double* sp = t.stress.data_ptr<double>();
    for (int64_t j = 0; j < g; ++j) {
      std::copy(molecules[indices[j]].stress->begin(), molecules[indices[j]].stress->end(),
                sp + 6 * j);
    }
  }
  auto ea = t.energy.accessor<double, 1>();
  double* fa = forces ? t.forces.data_ptr<double>() : nullptr;
  int64_t row = 0;
  for (int64_t j = 0; j < g; ++j) {
    const Molecule& m = molecules[indices[j]];
    ea[j] = m.energy;
    if (!fa) continue;
    for (int64_t a = 0; a < m.size(); ++a, ++row) {
      for (int d = 0; d < 3; ++d) fa[row * 3 + d] = m.forces[a][d];
    }
  }
  return t;
}

MoleculeBatch make_molecule_batch(const std::vector<Molecule>& molecules,
                                  const std::vector<int64_t>& indices,
                                  const ElementVocabulary& vocab, double cutoff,
                                  at::ScalarType dtype) {
  MoleculeTargets targets = molecule_targets(molecules, indices);  // checks the indices
  const int64_t n = targets.num_atoms;
  const int64_t g = static_cast<int64_t>(indices.size()), k = vocab.size();
  bool periodic = false;
  for (int64_t i : indices) {
    const Molecule& m = molecules[i];
    if (!m.periodic()) continue;
    SE3T_CHECK(cutoff > 0.0, "make_molecule_batch: molecule ", m.name,
               " is periodic (Lattice and pbc), which needs a radius graph: set a cutoff > 0 (",
               "[data] cutoff), fully connected graphs have no images");
    periodic = true;
  }
  at::Tensor cell = periodic ? at::zeros({g, 3, 3}, at::kDouble) : at::Tensor();
  at::Tensor pbc = periodic ? at::zeros({g, 3}, at::kBool) : at::Tensor();
  double* cell_data = periodic ? cell.data_ptr<double>() : nullptr;
  bool* pbc_data = periodic ? pbc.data_ptr<bool>() : nullptr;
  at::Tensor pos = at::empty({n, 3}, at::kDouble), gid = at::empty({n}, at::kLong);
  at::Tensor one_hot = at::zeros({n, k}, at::kDouble), counts = at::zeros({g, k}, at::kDouble);
  auto pa = pos.accessor<double, 2>();
  auto ga = gid.accessor<int64_t, 1>();
  auto oa = one_hot.accessor<double, 2>();
  auto ca = counts.accessor<double, 2>();
  int64_t row = 0;
  for (int64_t j = 0; j < g; ++j) {
    const Molecule& m = molecules[indices[j]];
    // Each molecule centred in float64 before the cast to the model's dtype: the model sees
    // only x_j - x_i, which a float32 cast of coordinates far from the origin (1e4 A) would
    // round away. Energies are translation invariant, so forces are unchanged.
    // A periodic one keeps its coordinates: they place the atoms in the cell.
    double centre[3] = {0.0, 0.0, 0.0};
    if (m.periodic()) {
      for (int r = 0; r < 3; ++r) {
        for (int d = 0; d < 3; ++d) cell_data[(j * 3 + r) * 3 + d] = (*m.cell)[r][d];
        pbc_data[j * 3 + r] = m.pbc[r];
      }
    } else {
      for (int64_t a = 0; a < m.size(); ++a) {
        for (int d = 0; d < 3; ++d) centre[d] += m.positions[a][d];
      }
      for (int d = 0; d < 3; ++d) centre[d] /= static_cast<double>(std::max<int64_t>(m.size(), 1));
    }
    for (int64_t a = 0; a < m.size(); ++a, ++row) {
      const int64_t c = vocab.index(m.numbers[a]);
      oa[row][c] = 1.0;
      ca[j][c] += 1.0;
      ga[row] = j;
      for (int d = 0; d < 3; ++d) pa[row][d] = m.positions[a][d] - centre[d];
    }
  }
  MoleculeBatch b;
  const at::Tensor p = pos.to(dtype);
  if (periodic) {
    b.graph = periodic_radius_graph(p, gid, g, cell, pbc, cutoff);
  } else {
    b.graph = cutoff > 0.0 ? radius_graph(p, gid, g, cutoff) : fully_connected_graph(p, gid, g);
  }
  b.one_hot = one_hot.to(dtype);
  b.counts = counts;
  b.energy = std::move(targets.energy);
  b.forces = std::move(targets.forces);
  b.stress = std::move(targets.stress);
  b.indices = indices;
  return b;
}

}  // namespace se3t

// Data bindings: extended XYZ frames, molecules and their batches, PDB files, and the N-body
// data sets with the epoch plan of the training loop (so a Python loop can take the C++
// trainer's batches).
#include <ATen/ATen.h>

#include <cmath>

#include "bindings.h"
#include "se3t/data/extxyz.h"
#include "se3t/data/molecule_dataset.h"
#include "se3t/data/nbody_augmentation.h"
#include "se3t/data/nbody_dataset.h"
#include "se3t/data/nbody_files.h"
#include "se3t/data/pdb.h"
#include "se3t/models/nbody_model.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/util/check.h"

namespace se3t::python {
namespace {

using namespace pybind11::literals;

using Vectors = std::vector<std::array<double, 3>>;

// [N, 3] float64 CPU tensor (a copy) of rows of three doubles.
at::Tensor to_tensor(const Vectors& v) {
  at::Tensor t = at::empty({static_cast<int64_t>(v.size()), 3}, at::kDouble);
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < v.size(); ++i) {
    for (int c = 0; c < 3; ++c) a[i][c] = v[i][c];
  }
  return t;
}

// Rows of three doubles from anything torch.as_tensor takes ([N, 3]).
Vectors to_vectors(const py::handle& obj, const char* name) {
  const py::object torch = py::module_::import("torch");
  at::Tensor t = py::cast<at::Tensor>(
      torch.attr("as_tensor")(obj, "dtype"_a = torch.attr("float64"), "device"_a = "cpu"));
  SE3T_CHECK(t.dim() == 2 && t.size(1) == 3, name, ": expected shape [N, 3], got ", t.sizes());
  t = t.contiguous();
  Vectors v(static_cast<size_t>(t.size(0)));
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < v.size(); ++i) {
    for (int c = 0; c < 3; ++c) v[i][c] = a[i][c];
  }
  return v;
}

// A cell (rows a, b, c) from anything torch.as_tensor takes ([3, 3]), or nullopt for None.
std::optional<Cell> to_cell(const py::object& obj) {
  if (obj.is_none()) return std::nullopt;
  const Vectors rows = to_vectors(obj, "cell");
  SE3T_CHECK(rows.size() == 3, "cell: expected shape [3, 3] (rows a, b, c), got ", rows.size(),
             " rows");
  Cell c{};
  for (int i = 0; i < 3; ++i) c[i] = rows[i];
  check_cell(c, "cell: ");
  return c;
}

// pbc as one bool or three.
std::array<bool, 3> to_pbc(const py::object& obj) {
  if (py::isinstance<py::bool_>(obj)) {
    const bool b = obj.cast<bool>();
    return {b, b, b};
  }
  const std::vector<bool> v = obj.cast<std::vector<bool>>();
  SE3T_CHECK(v.size() == 3, "pbc: expected one bool or three, got ", v.size());
  return {v[0], v[1], v[2]};
}

std::optional<at::Tensor> cell_tensor(const std::optional<Cell>& c) {
  if (!c) return std::nullopt;
  return to_tensor(Vectors(c->begin(), c->end()));
}

std::vector<int64_t> all_indices(size_t n) {
  std::vector<int64_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = static_cast<int64_t>(i);
  return all;
}

void bind_frames(py::module_& m) {
  py::class_<Frame>(m, "Frame", py::module_local(),
                    "One extended XYZ frame: species, positions [N, 3] (Angstrom), optional "
                    "forces [N, 3], info (key=value pairs as text).")
      .def(py::init([](std::vector<std::string> species, const py::object& positions,
                       const py::object& forces, std::map<std::string, std::string> info) {
             Frame f;
             f.species = std::move(species);
             f.positions = to_vectors(positions, "positions");
             if (!forces.is_none()) f.forces = to_vectors(forces, "forces");
             f.info = std::move(info);
             SE3T_CHECK(f.positions.size() == f.species.size(), "positions: ", f.positions.size(),
                        " rows for ", f.species.size(), " species");
             SE3T_CHECK(f.forces.empty() || f.forces.size() == f.species.size(),
                        "forces: ", f.forces.size(), " rows for ", f.species.size(), " species");
             return f;
           }),
           py::arg("species"), py::arg("positions"), py::arg("forces") = py::none(),
           py::arg("info") = std::map<std::string, std::string>{})
      .def_readwrite("species", &Frame::species)
      .def_property(
          "positions", [](const Frame& f) { return to_tensor(f.positions); },
          [](Frame& f, const py::object& p) { f.positions = to_vectors(p, "positions"); })
      .def_property(
          "forces",
          [](const Frame& f) -> std::optional<at::Tensor> {
            if (!f.has_forces()) return std::nullopt;
            return to_tensor(f.forces);
          },
          [](Frame& f, const py::object& p) {
            f.forces = p.is_none() ? Vectors{} : to_vectors(p, "forces");
          })
      .def_readwrite("info", &Frame::info)
      .def_property(
          "cell", [](const Frame& f) { return cell_tensor(f.cell); },
          [](Frame& f, const py::object& c) { f.cell = to_cell(c); },
          "Rows a, b, c [3, 3] (Angstrom), or None (extended XYZ Lattice).")
      .def_property(
          "pbc", [](const Frame& f) { return std::vector<bool>(f.pbc.begin(), f.pbc.end()); },
          [](Frame& f, const py::object& p) { f.pbc = to_pbc(p); },
          "Periodicity along a, b, c (extended XYZ pbc).")
      .def("number", &Frame::number, py::arg("key"),
           "info[key] as a number (None when absent; ValueError when not a number).")
      .def("__len__", &Frame::size);
  m.def(
      "read_extxyz", [](const std::string& path) { return read_extxyz(path); }, py::arg("path"),
      "Every frame of an extended XYZ file.");
  m.def(
      "write_extxyz",
      [](const std::string& path, const std::vector<Frame>& frames) { write_extxyz(path, frames); },
      py::arg("path"), py::arg("frames"));
}

void bind_molecule(py::module_& m) {
  py::class_<Molecule>(m, "Molecule", py::module_local(),
                       "Atomic numbers, positions [N, 3] (Angstrom), target energy, forces, and "
                       "for periodic systems the cell (rows a, b, c) and pbc.")
      .def(py::init([](std::vector<int> numbers, const py::object& positions, double energy,
                       const py::object& forces, std::string name, const py::object& cell,
                       const py::object& pbc) {
             Molecule mol;
             mol.cell = to_cell(cell);
             mol.pbc = to_pbc(pbc);
             SE3T_CHECK(mol.cell || !(mol.pbc[0] || mol.pbc[1] || mol.pbc[2]),
                        "pbc: periodic directions need a cell");
             mol.numbers = std::move(numbers);
             mol.positions = to_vectors(positions, "positions");
             mol.energy = energy;
             if (!forces.is_none()) mol.forces = to_vectors(forces, "forces");
             mol.name = std::move(name);
             SE3T_CHECK(mol.positions.size() == mol.numbers.size(),
                        "positions: ", mol.positions.size(), " rows for ", mol.numbers.size(),
                        " atoms");
             SE3T_CHECK(mol.forces.empty() || mol.forces.size() == mol.numbers.size(),
                        "forces: ", mol.forces.size(), " rows for ", mol.numbers.size(), " atoms");
             return mol;
           }),
           py::arg("numbers"), py::arg("positions"), py::arg("energy") = NAN,
           py::arg("forces") = py::none(), py::arg("name") = "", py::arg("cell") = py::none(),
           py::arg("pbc") = false)
      .def_readwrite("numbers", &Molecule::numbers)
      .def_property(
          "positions", [](const Molecule& mol) { return to_tensor(mol.positions); },
          [](Molecule& mol, const py::object& p) { mol.positions = to_vectors(p, "positions"); })
      .def_readwrite("energy", &Molecule::energy)
      .def_property_readonly("forces",
                             [](const Molecule& mol) -> std::optional<at::Tensor> {
                               if (!mol.has_forces()) return std::nullopt;
                               return to_tensor(mol.forces);
                             })
      .def_readwrite("name", &Molecule::name)
      .def_property_readonly("cell", [](const Molecule& mol) { return cell_tensor(mol.cell); })
      .def_property_readonly(
          "pbc",
          [](const Molecule& mol) { return std::vector<bool>(mol.pbc.begin(), mol.pbc.end()); })
      .def_property_readonly(
          "stress",
          [](const Molecule& mol) -> std::optional<std::vector<double>> {
            if (!mol.stress) return std::nullopt;
            return std::vector<double>(mol.stress->begin(), mol.stress->end());
          },
          "Voigt (xx, yy, zz, yz, xz, xy), ASE's sign, or None.")
      .def("__len__", &Molecule::size);
  m.def("load_molecules", &load_molecules, py::arg("path"), py::arg("energy_key") = "energy",
        "The molecules of an extended XYZ file (energy from info[energy_key]; '' for none).");
  m.def("molecules_from_frames", &molecules_from_frames, py::arg("frames"),
        py::arg("energy_key") = "energy", py::arg("source") = "<frames>");
  m.def("load_qm9_directory", &load_qm9_directory, py::arg("dir"), py::arg("property"));
  m.def(
      "make_molecule_batch",
      [](const std::vector<Molecule>& molecules, const std::vector<int>& elements, double cutoff,
         const py::object& dtype, std::optional<std::vector<int64_t>> indices) {
        return make_molecule_batch(molecules, indices ? *indices : all_indices(molecules.size()),
                                   ElementVocabulary(elements), cutoff,
                                   to_dtype(dtype, "dtype", at::kFloat));
      },
      py::arg("molecules"), py::arg("elements"), py::arg("cutoff") = 0.0,
      py::arg("dtype") = py::none(), py::arg("indices") = py::none(),
      "A batch with one-hot node features over `elements` (atomic numbers); cutoff <= 0: fully "
      "connected per molecule.");
}

void bind_nbody(py::module_& m) {
  py::class_<NBodySplit>(m, "NBodySplit", py::module_local(),
                         "Simulations of one split: loc, vel [sims, frames, 3, n], charges.")
      .def_readonly("loc", &NBodySplit::loc)
      .def_readonly("vel", &NBodySplit::vel)
      .def_readonly("charges", &NBodySplit::charges)
      .def_property_readonly("num_sims", &NBodySplit::num_sims)
      .def_property_readonly("num_frames", &NBodySplit::num_frames)
      .def_property_readonly("num_particles", &NBodySplit::num_particles);
  m.def("load_nbody_split", &load_nbody_split, py::arg("dir"), py::arg("split"),
        "One split ('train' | 'valid' | 'test') of an N-body data directory.");

  py::class_<NBodyBatch>(m, "NBodyBatch", py::module_local())
      .def_readonly("pos", &NBodyBatch::pos)
      .def_readonly("vel", &NBodyBatch::vel)
      .def_readonly("charges", &NBodyBatch::charges)
      .def_readonly("target_pos", &NBodyBatch::target_pos)
      .def_readonly("target_vel", &NBodyBatch::target_vel)
      .def_readonly("graph_index", &NBodyBatch::graph_index)
      .def_readonly("num_graphs", &NBodyBatch::num_graphs)
      .def_readonly("nodes_per_graph", &NBodyBatch::nodes_per_graph);
  py::class_<NBodyDataset>(m, "NBodyDataset", py::module_local())
      .def(py::init<NBodySplit, int64_t, int64_t>(), py::arg("split"), py::arg("input_frame"),
           py::arg("target_frame"))
      .def("__len__", &NBodyDataset::size)
      .def_property_readonly("num_particles", &NBodyDataset::num_particles)
      .def_property_readonly("input_frame", &NBodyDataset::input_frame)
      .def_property_readonly("target_frame", &NBodyDataset::target_frame)
      .def("get", &NBodyDataset::get, py::arg("sim"))
      .def("batch", &NBodyDataset::batch, py::arg("sims"))
      .def("batch_at", &NBodyDataset::batch_at, py::arg("sims"), py::arg("input_frames"));
  m.def(
      "nbody_epoch_plan",
      [](uint64_t seed, int64_t epoch, const NBodyDataset& train, bool random_frames) {
        const EpochPlan p = epoch_plan(seed, epoch, train, random_frames);
        return std::make_pair(p.sims, p.input_frames);
      },
      py::arg("seed"), py::arg("epoch"), py::arg("train"), py::arg("random_frames") = false,
      "(simulations, input frames) of epoch `epoch`, in the order se3t train takes them.");
  m.def(
      "nbody_epoch_augmentation",
      [](uint64_t seed, int64_t epoch, const NBodyDataset& train, bool random_frames,
         bool time_reversal, bool charge_flip) {
        const EpochPlan p =
            epoch_plan(seed, epoch, train, random_frames, {time_reversal, charge_flip});
        return std::make_pair(p.reversed, p.flipped);
      },
      py::arg("seed"), py::arg("epoch"), py::arg("train"), py::arg("random_frames") = false,
      py::arg("time_reversal") = false, py::arg("charge_flip") = false,
      "(reversed, flipped) flags of epoch `epoch`'s entries, as se3t train draws them with "
      "[train] time_reversal / charge_flip (lists of 0 / 1 in nbody_epoch_plan's order).");
  m.def("nbody_reverse_time", &reverse_time, py::arg("batch"), py::arg("entries"),
        "Swaps input and target of the entries flagged 1 and negates their velocities.");
  m.def("nbody_flip_charges", &flip_charges, py::arg("batch"), py::arg("entries"),
        "Negates the charges of the entries flagged 1.");
  m.def(
      "nbody_graph",
      [](const NBodyBatch& b, const py::object& dtype) {
        return nbody_graph(b, to_dtype(dtype, "dtype", at::kFloat));
      },
      py::arg("batch"), py::arg("dtype") = py::none(),
      "Fully connected per system, edge_attr q_i q_j [E, 1].");
}

void bind_pdb(py::module_& m) {
  m.def(
      "read_pdb",
      [](const std::string& path, bool skip_hydrogens, bool skip_waters, bool skip_hetero) {
        PdbReadOptions o;
        o.skip_hydrogens = skip_hydrogens;
        o.skip_waters = skip_waters;
        o.skip_hetero = skip_hetero;
        const PdbStructure p = read_pdb(path, o);
        Vectors positions;
        py::list numbers, elements, names, residues, chains, residue_numbers, hetero;
        for (const PdbAtom& a : p.atoms) {
          positions.push_back(a.position);
          numbers.append(a.atomic_number);
          elements.append(a.element);
          names.append(a.name);
          residues.append(a.residue);
          chains.append(std::string(1, a.chain));
          residue_numbers.append(a.residue_number);
          hetero.append(a.hetero);
        }
        py::dict d;
        d["positions"] = to_tensor(positions);
        d["numbers"] = numbers;
        d["elements"] = elements;
        d["names"] = names;
        d["residues"] = residues;
        d["chains"] = chains;
        d["residue_numbers"] = residue_numbers;
        d["hetero"] = hetero;
        return d;
      },
      py::arg("path"), py::arg("skip_hydrogens") = false, py::arg("skip_waters") = false,
      py::arg("skip_hetero") = false,
      "The ATOM/HETATM records of a PDB file's first model (plain or gzip): positions [N, 3] "
      "(Angstrom), atomic numbers, elements, atom and residue names, chains.");
}

}  // namespace

void bind_data(py::module_& m) {
  bind_frames(m);
  bind_molecule(m);
  bind_nbody(m);
  bind_pdb(m);
}

}  // namespace se3t::python

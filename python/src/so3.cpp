// SO(3) bindings: spherical harmonics, rotations, Wigner-D, Clebsch-Gordan tensors, the
// equivariant kernel basis and the self-check (docs/design.md, Conventions). Every function
// is the C++ one: same numbers, and autograd records through it where it does in C++.
#include <ATen/ATen.h>

#include "bindings.h"
#include "se3t/so3/clebsch_gordan.h"
#include "se3t/so3/equivariant_basis.h"
#include "se3t/so3/rotation.h"
#include "se3t/so3/self_check.h"
#include "se3t/so3/spherical_harmonics.h"
#include "se3t/so3/wigner_d.h"

namespace se3t::python {

void bind_so3(py::module_& m) {
  m.def("spherical_harmonics", &spherical_harmonics, py::arg("x"), py::arg("lmax"),
        "Y^0..Y^lmax of x/|x| for x [..., 3], concatenated to [..., (lmax+1)^2] (e3nn's "
        "component normalisation, polar axis y); the zero vector gives Y^0 = 1, Y^l = 0.");
  m.def("spherical_harmonic", &spherical_harmonic, py::arg("l"), py::arg("x"),
        "Y^l of x/|x|, [..., 2l+1].");
  m.def("sh_dim", &sh_dim, py::arg("lmax"), "(lmax + 1)^2");

  m.def(
      "random_rotation",
      [](int64_t n, const py::object& dtype, std::optional<at::Device> device,
         std::optional<at::Generator> generator) {
        auto options = at::TensorOptions().dtype(to_dtype(dtype, "dtype", at::kDouble));
        if (device) options = options.device(*device);
        return random_rotation(n, options, generator);
      },
      py::arg("n"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
      py::arg("generator") = py::none(),
      "n rotation matrices [n, 3, 3], uniform (Haar) on SO(3); float64 unless dtype says.");
  m.def("quaternion_to_matrix", &quaternion_to_matrix, py::arg("q"),
        "Quaternions (w, x, y, z) [..., 4] -> rotation matrices [..., 3, 3].");
  m.def("euler_angles_to_matrix", &euler_angles_to_matrix, py::arg("alpha"), py::arg("beta"),
        py::arg("gamma"), "e3nn's convention R = R_y(alpha) R_x(beta) R_y(gamma).");
  m.def("rotation_x", &rotation_x, py::arg("angle"));
  m.def("rotation_y", &rotation_y, py::arg("angle"));
  m.def("rotation_z", &rotation_z, py::arg("angle"));

  m.def("wigner_D", &wigner_D, py::arg("l"), py::arg("R"),
        "D^l(R) [..., 2l+1, 2l+1] with Y^l(R v) = D^l(R) Y^l(v).");
  m.def("wigner_D_from_quaternion", &wigner_D_from_quaternion, py::arg("l"), py::arg("q"));
  m.def("wigner_D_from_angles", &wigner_D_from_angles, py::arg("l"), py::arg("alpha"),
        py::arg("beta"), py::arg("gamma"));
  m.def("wigner_D_block", &wigner_D_block, py::arg("lmax"), py::arg("R"),
        "Block-diagonal D of degrees 0..lmax, acting on spherical_harmonics(x, lmax).");

  m.def("triangle", &triangle, py::arg("l1"), py::arg("l2"), py::arg("l3"));
  m.def(
      "clebsch_gordan",
      [](int64_t l1, int64_t l2, int64_t l3, const py::object& dtype,
         std::optional<at::Device> device) {
        auto options = at::TensorOptions().dtype(to_dtype(dtype, "dtype", at::kDouble));
        if (device) options = options.device(*device);
        return clebsch_gordan(l1, l2, l3, options);
      },
      py::arg("l1"), py::arg("l2"), py::arg("l3"), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(),
      "The real Clebsch-Gordan tensor C^{l1 l2 l3} [2l1+1, 2l2+1, 2l3+1], Frobenius norm 1 "
      "(float64 unless dtype says).");

  m.def("num_basis_J", &num_basis_J, py::arg("k"), py::arg("l"), "2 min(k, l) + 1");
  py::class_<EquivariantBasis>(m, "EquivariantBasis", py::module_local(),
                               "The kernel basis of every degree pair (k, l) for edge vectors x "
                               "[E, 3]: at(k, l) is [E, 2k+1, num_J (2l+1)].")
      .def(py::init<const at::Tensor&, int64_t, int64_t>(), py::arg("x"), py::arg("max_degree_in"),
           py::arg("max_degree_out"))
      .def("at", &EquivariantBasis::at, py::arg("k"), py::arg("l"))
      .def_property_readonly("max_degree_in", &EquivariantBasis::max_degree_in)
      .def_property_readonly("max_degree_out", &EquivariantBasis::max_degree_out)
      .def_property_readonly("num_edges", &EquivariantBasis::num_edges)
      .def_property_readonly("harmonics", &EquivariantBasis::harmonics);
  m.def("kernel_from_basis", &kernel_from_basis, py::arg("basis_kl"), py::arg("k"), py::arg("l"),
        py::arg("phi"),
        "W^{lk}(x_e) = sum_J phi[e, J] B_J^{lk}(x_e), [E, 2l+1, 2k+1] (for inspection).");

  m.def(
      "so3_self_check",
      [](int64_t max_degree, int64_t basis_degree, int64_t rotations, uint64_t seed) {
        py::list out;
        for (const CheckResult& r : so3_self_check(max_degree, basis_degree, rotations, seed)) {
          py::dict d;
          d["name"] = r.name;
          d["dtype"] = r.dtype;
          d["error"] = r.error;
          d["tolerance"] = r.tolerance;
          d["passed"] = r.passed();
          out.append(d);
        }
        return out;
      },
      py::arg("max_degree") = 10, py::arg("basis_degree") = 3, py::arg("rotations") = 16,
      py::arg("seed") = 0, "The measured equivariance errors of `se3t selfcheck`, as dicts.");
}

}  // namespace se3t::python

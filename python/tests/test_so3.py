"""SO(3) bindings against values derived here, equivariance, and gradients through the
boundary against float64 finite differences."""

import math

import pytest
import torch

import se3t
from conftest import rel_error


def test_harmonics_closed_forms():
    x = torch.randn(50, 3, dtype=torch.float64)
    u = x / x.norm(dim=1, keepdim=True)
    Y = se3t.spherical_harmonics(x, 2)
    assert Y.shape == (50, 9)
    torch.testing.assert_close(Y[:, 0], torch.ones(50, dtype=torch.float64))
    torch.testing.assert_close(Y[:, 1:4], math.sqrt(3) * u, rtol=0, atol=1e-14)
    # docs/design.md, Conventions: Y^2(0,0,1) and Y^2(0,1,0).
    e = torch.tensor([[0.0, 0, 1], [0, 1, 0]], dtype=torch.float64)
    Y2 = se3t.spherical_harmonic(2, e)
    s5, s15 = math.sqrt(5), math.sqrt(15)
    expected = torch.tensor([[0, 0, -s5 / 2, 0, s15 / 2], [0, 0, s5, 0, 0]], dtype=torch.float64)
    torch.testing.assert_close(Y2, expected, rtol=0, atol=1e-14)
    # Component normalisation: |Y^l|^2 = 2l + 1 on the sphere.
    for l in range(6):
        n2 = se3t.spherical_harmonic(l, x).square().sum(-1)
        torch.testing.assert_close(n2, torch.full_like(n2, 2 * l + 1))


def test_harmonics_rotate_with_wigner_D():
    R = se3t.random_rotation(4)
    x = torch.randn(20, 3, dtype=torch.float64)
    for l in range(7):
        D = se3t.wigner_D(l, R)  # [4, 2l+1, 2l+1]
        for r in range(4):
            lhs = se3t.spherical_harmonic(l, x @ R[r].T)
            rhs = se3t.spherical_harmonic(l, x) @ D[r].T
            assert rel_error(lhs, rhs) < 1e-12
    torch.testing.assert_close(se3t.wigner_D(1, R), R, rtol=0, atol=1e-13)


def test_rotations():
    R = se3t.random_rotation(16, dtype=torch.float64)
    eye = torch.eye(3, dtype=torch.float64).expand(16, 3, 3)
    torch.testing.assert_close(R @ R.transpose(1, 2), eye, rtol=0, atol=1e-13)
    torch.testing.assert_close(torch.linalg.det(R), torch.ones(16, dtype=torch.float64))
    a = torch.tensor(0.3, dtype=torch.float64)
    c, s = math.cos(0.3), math.sin(0.3)
    Rz = torch.tensor([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=torch.float64)
    torch.testing.assert_close(se3t.rotation_z(a), Rz)
    q = torch.tensor([math.cos(0.15), 0, 0, math.sin(0.15)], dtype=torch.float64)  # 0.3 about z
    torch.testing.assert_close(se3t.quaternion_to_matrix(q), Rz)
    alpha, beta, gamma = (torch.tensor(v, dtype=torch.float64) for v in (0.1, 0.7, -0.4))
    torch.testing.assert_close(se3t.euler_angles_to_matrix(alpha, beta, gamma),
                               se3t.rotation_y(alpha) @ se3t.rotation_x(beta) @ se3t.rotation_y(gamma))
    g = torch.Generator().manual_seed(3)
    r1 = se3t.random_rotation(2, generator=g)
    g.manual_seed(3)
    torch.testing.assert_close(se3t.random_rotation(2, generator=g), r1, rtol=0, atol=0)
    assert se3t.random_rotation(1, dtype=torch.float32).dtype == torch.float32


def test_clebsch_gordan():
    C = se3t.clebsch_gordan(1, 1, 0)
    assert C.shape == (3, 3, 1) and C.dtype == torch.float64
    # The invariant of two vectors is their dot product: C^{110} = +-I / sqrt(3).
    torch.testing.assert_close(C[:, :, 0].abs(), torch.eye(3, dtype=torch.float64) / math.sqrt(3))
    R = se3t.random_rotation(1)[0]
    for l1, l2, l3 in [(1, 1, 2), (2, 1, 3), (2, 2, 2), (3, 2, 1)]:
        C = se3t.clebsch_gordan(l1, l2, l3)
        assert abs(float(C.norm()) - 1) < 1e-14
        D1, D2, D3 = (se3t.wigner_D(l, R) for l in (l1, l2, l3))
        rotated = torch.einsum("ai,bj,ck,ijk->abc", D1, D2, D3, C)
        assert rel_error(rotated, C) < 1e-12
    assert se3t.clebsch_gordan(1, 1, 1, dtype=torch.float32).dtype == torch.float32
    assert not se3t.triangle(1, 1, 3)
    with pytest.raises(ValueError, match="triangle"):
        se3t.clebsch_gordan(1, 1, 3)


def test_kernel_basis_equivariance():
    x = torch.randn(10, 3, dtype=torch.float64)
    R = se3t.random_rotation(1)[0]
    basis, rotated = se3t.EquivariantBasis(x, 2, 2), se3t.EquivariantBasis(x @ R.T, 2, 2)
    for k in range(3):
        for l in range(3):
            nJ = se3t.num_basis_J(k, l)
            assert basis.at(k, l).shape == (10, 2 * k + 1, nJ * (2 * l + 1))
            phi = torch.randn(10, nJ, dtype=torch.float64)
            W = se3t.kernel_from_basis(basis.at(k, l), k, l, phi)
            W_rot = se3t.kernel_from_basis(rotated.at(k, l), k, l, phi)
            expected = se3t.wigner_D(l, R) @ W @ se3t.wigner_D(k, R).T
            assert rel_error(W_rot, expected) < 1e-12


def test_self_check_passes():
    checks = se3t.so3_self_check(max_degree=4, basis_degree=2, rotations=2)
    assert {c["dtype"] for c in checks} == {"float32", "float64"}
    assert all(c["passed"] and c["error"] <= c["tolerance"] for c in checks)


def test_gradients_cross_the_boundary():
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: se3t.spherical_harmonics(v, 3), (x,))
    assert torch.autograd.gradcheck(lambda v: se3t.EquivariantBasis(v, 1, 2).at(1, 2), (x,))
    R = se3t.random_rotation(1)[0].requires_grad_()
    q = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(se3t.quaternion_to_matrix, (q,))
    # The zero vector: Y^0 = 1, Y^l = 0, zero gradient, never NaN.
    z = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    se3t.spherical_harmonics(z, 2).sum().backward()
    assert torch.equal(z.grad, torch.zeros_like(z))
    del R


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="spherical_harmonics"):
        se3t.spherical_harmonics(torch.randn(5, 2, dtype=torch.float64), 2)
    with pytest.raises(ValueError, match="x: expected float32 or float64"):
        se3t.spherical_harmonics(torch.ones(5, 3, dtype=torch.long), 2)
    with pytest.raises(ValueError, match="R"):
        se3t.wigner_D(1, torch.randn(3, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="dtype"):
        se3t.random_rotation(2, dtype="float64")

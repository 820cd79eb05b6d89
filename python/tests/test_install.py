"""`cmake --install --component python` (with the library component) installs a package that
imports and runs outside the build tree."""

import os
import pathlib
import subprocess
import sys

import pytest


def test_installed_package_imports(tmp_path):
    build, cmake = os.environ.get("SE3T_BUILD_DIR"), os.environ.get("CMAKE_COMMAND", "cmake")
    if not build:
        pytest.skip("SE3T_BUILD_DIR is not set (run by CTest)")
    root = tmp_path / "root"
    env = dict(os.environ, DESTDIR=str(root))
    for component in ("library", "python"):
        subprocess.run([cmake, "--install", build, "--component", component], env=env, check=True,
                       capture_output=True)
    packages = [p.parent for p in root.rglob("se3t/__init__.py")]
    libraries = [p.parent for p in root.rglob("libse3t.so*")]
    assert len(packages) == 1 and libraries
    installed = {p.name for p in packages[0].iterdir()}
    source = pathlib.Path(__file__).resolve().parents[1] / "se3t"
    assert {p.name for p in source.glob("*.py")} <= installed
    assert any(name.startswith("_se3t.") and name.endswith(".so") for name in installed)
    code = ("import se3t, torch; assert se3t.__file__.startswith(%r); "
            "m = se3t.TensorFieldNetwork(fiber_in={0: 1}, fiber_hidden={0: 4, 1: 4}, "
            "fiber_out={1: 1}, num_layers=1); "
            "print(m(se3t.fully_connected_graph(torch.randn(4, 3)), {0: torch.ones(4, 1, 1)})[1].shape)"
            % str(root))
    run_env = dict(os.environ, PYTHONPATH=str(packages[0].parent),
                   LD_LIBRARY_PATH=":".join(str(d) for d in libraries))
    out = subprocess.run([sys.executable, "-c", code], env=run_env, cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "torch.Size([4, 1, 3])" in out.stdout

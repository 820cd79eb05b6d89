"""The README's Python example (examples/python/example.py, checked against README.md by the
readme_example test) runs, trains and prints a small equivariance error."""

import re
import subprocess
import sys

from conftest import SOURCE_DIR


def test_readme_example_runs(tmp_path):
    result = subprocess.run([sys.executable, str(SOURCE_DIR / "examples" / "python" / "example.py")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    losses = [float(x) for x in re.findall(r"loss (\S+)", result.stdout)]
    assert len(losses) == 5 and losses[-1] < losses[0]
    error = float(re.search(r"equivariance error (\S+)", result.stdout).group(1))
    assert error < 1e-10
    assert (tmp_path / "model.pt").exists()

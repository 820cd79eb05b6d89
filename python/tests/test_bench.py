"""bench/python_vs_cpp.py runs on a small batch: the Python and the C++ step give the same
loss (the script exits non-zero otherwise) and both are timed."""

import json
import subprocess
import sys

from conftest import SOURCE_DIR


def test_python_vs_cpp_runs():
    script = SOURCE_DIR / "bench" / "python_vs_cpp.py"
    out = subprocess.run([sys.executable, str(script), "--batch", "2", "--steps", "1", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["workload"] == "nbody" and r["edges"] == 2 * 5 * 4
    assert r["python_ms"] > 0 and r["cpp_ms"] > 0 and r["ratio"] > 0

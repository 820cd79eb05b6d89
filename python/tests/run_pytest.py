"""Runs pytest (arguments passed on) with the OpenBLAS kernels the se3t program would choose.

The se3t program restarts itself with better OpenBLAS kernels on CPUs OpenBLAS 0.3.21 does not
know (se3t/util/runtime.h). The tests compare its numbers with this process's to the bit, so
pytest starts with the same OPENBLAS_CORETYPE (read only when OpenBLAS loads)."""

import os
import sys

import se3t

core = se3t._se3t.better_blas_coretype()
if core:
    os.environ["OPENBLAS_CORETYPE"] = core
os.execv(sys.executable, [sys.executable, "-m", "pytest"] + sys.argv[1:])

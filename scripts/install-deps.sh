#!/usr/bin/env bash
# Installs everything se3t needs on Debian 12 (as root). Idempotent and non-interactive.
# OpenBLAS matters: Debian's LibTorch calls the system BLAS, and without OpenBLAS matrix products
# fall back to the slow reference BLAS. The Python module (python/) needs python3-torch (the
# Python side of the same LibTorch build), python3-dev and pybind11-dev; its tests pytest, ASE
# and NumPy. The KIM model driver needs libkim-api-dev (with kim-api-collections-management;
# xxd embeds a portable model's files); its tests run LAMMPS (lammps, with the KIM package) and
# mpirun (openmpi-bin).
set -euo pipefail
pkgs=(cmake g++ make ninja-build git libtorch-dev libopenblas-dev libgtest-dev libgmock-dev
      libbenchmark-dev libcli11-dev libnanoflann-dev libtomlplusplus-dev nlohmann-json3-dev
      zlib1g-dev theseus-examples libgloo-dev
      python3-torch python3-dev pybind11-dev python3-pytest python3-ase python3-numpy
      libkim-api-dev xxd lammps openmpi-bin)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Make sure the BLAS alternative points to OpenBLAS (it does after install, unless changed by hand).
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
  target=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas | head -n1 || true)
  [ -n "$target" ] && update-alternatives --set "$alt" "$target" >/dev/null
done
exit 0

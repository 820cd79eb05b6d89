#!/usr/bin/python3
"""Configurations of liquid water from a classical flexible-water MD (ASE), for labelling.

  water_md.py N L SEED OUT_DIR --chunks K --frames F --every-fs E [--dt-fs 1] [--equil-ps 5]

N water molecules at random positions and orientations in a cubic box of edge L (Angstrom),
Langevin dynamics at 300 K (1 fs steps, deuterium masses, friction 0.01/fs) with flexible
TIP3P (TIP3P charges and Lennard-Jones of ASE's TIP3P calculator, molecule-based cutoff
4.9 A < L/2; CHARMM's harmonic O-H bond and H-O-H angle), seeded. After the equilibration,
writes OUT_DIR/chunk-<k>.xyz, k = 0..K-1, each F frames E fs apart (positions in Angstrom,
molecules whole), the first frame of chunk k at equil + k F E fs.
The configurations only have to be liquid-like: their energies and forces are recomputed
with xtb afterwards; the classical model spares a periodic xtb MD, too slow here.
"""

import argparse
import os

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.mixing import SumCalculator
from ase.calculators.tip3p import TIP3P
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

# CHARMM flexible TIP3P: E = k_b (r - r0)^2 + k_a (theta - theta0)^2 (CHARMM's convention).
K_BOND = 450.0 * units.kcal / units.mol  # per Angstrom^2
R0 = 0.9572
K_ANGLE = 55.0 * units.kcal / units.mol  # per rad^2
THETA0 = np.deg2rad(104.52)


class WaterIntramolecular(Calculator):
    """Harmonic O-H bonds and H-O-H angle of each molecule (atoms ordered O, H, H)."""

    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=["energy"], system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        r = self.atoms.positions.reshape(-1, 3, 3)
        d1, d2 = r[:, 1] - r[:, 0], r[:, 2] - r[:, 0]
        l1, l2 = np.linalg.norm(d1, axis=1), np.linalg.norm(d2, axis=1)
        u1, u2 = d1 / l1[:, None], d2 / l2[:, None]
        cos = np.clip((u1 * u2).sum(1), -1.0, 1.0)
        theta = np.arccos(cos)
        energy = (K_BOND * ((l1 - R0)**2 + (l2 - R0)**2) + K_ANGLE * (theta - THETA0)**2).sum()
        f = np.zeros_like(r)
        # Bonds: -dE/dr_H = -2 k_b (l - r0) u.
        f1 = -2 * K_BOND * (l1 - R0)[:, None] * u1
        f2 = -2 * K_BOND * (l2 - R0)[:, None] * u2
        # Angle: d(theta)/d(r_H1) = -(u2 - cos u1) / (l1 sin theta), likewise for H2.
        sin = np.sqrt(np.maximum(1.0 - cos**2, 1e-12))
        g = -2 * K_ANGLE * (theta - THETA0)
        f1 += g[:, None] * (-(u2 - cos[:, None] * u1) / (l1 * sin)[:, None])
        f2 += g[:, None] * (-(u1 - cos[:, None] * u2) / (l2 * sin)[:, None])
        f[:, 1], f[:, 2], f[:, 0] = f1, f2, -(f1 + f2)
        self.results["energy"] = energy
        self.results["forces"] = f.reshape(-1, 3)


def random_box(n, length, rng):
    """N molecules at random, O-O >= 2.5 A across the periodic box, uniform random rotations."""
    half = np.deg2rad(104.52) / 2
    mol = np.array([[0, 0, 0], [R0 * np.sin(half), 0, R0 * np.cos(half)],
                    [-R0 * np.sin(half), 0, R0 * np.cos(half)]])
    oxygens, atoms = [], []
    while len(oxygens) < n:
        o = rng.uniform(0, length, 3)
        d = np.array(oxygens) - o if oxygens else np.zeros((0, 3))
        d -= length * np.round(d / length)
        if len(d) and np.min(np.linalg.norm(d, axis=1)) < 2.5:
            continue
        q = rng.normal(size=4)
        w, x, y, z = q / np.linalg.norm(q)
        rot = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
        oxygens.append(o)
        atoms.append(mol @ rot.T + o)
    return Atoms("OH2" * n, positions=np.concatenate(atoms), cell=[length] * 3, pbc=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("n", type=int)
    p.add_argument("length", type=float)
    p.add_argument("seed", type=int)
    p.add_argument("out_dir")
    p.add_argument("--chunks", type=int, required=True)
    p.add_argument("--frames", type=int, required=True)
    p.add_argument("--every-fs", type=float, required=True)
    p.add_argument("--dt-fs", type=float, default=1.0)
    p.add_argument("--equil-ps", type=float, default=5.0)
    p.add_argument("--temperature", type=float, default=300.0)
    a = p.parse_args()

    rng = np.random.RandomState(a.seed)
    atoms = random_box(a.n, a.length, np.random.default_rng(a.seed))
    # Deuterium masses allow the 1 fs step; the classical configurational distribution does
    # not depend on the masses.
    masses = atoms.get_masses()
    masses[atoms.numbers == 1] = 2.014
    atoms.set_masses(masses)
    atoms.calc = SumCalculator([TIP3P(rc=4.9, width=1.0), WaterIntramolecular()])
    MaxwellBoltzmannDistribution(atoms, temperature_K=a.temperature, rng=rng)
    Stationary(atoms)
    md = Langevin(atoms, a.dt_fs * units.fs, temperature_K=a.temperature,
                  friction=0.01 / units.fs, rng=rng)
    md.run(int(round(a.equil_ps * 1000 / a.dt_fs)))  # from random placement to a liquid
    every = int(round(a.every_fs / a.dt_fs))
    os.makedirs(a.out_dir, exist_ok=True)
    for k in range(a.chunks):
        lines = []
        for _ in range(a.frames):
            t = atoms.get_temperature()
            lines.append(f"{len(atoms)}\n T={t:.1f} K")
            lines += [f"{s} {x:.10f} {y:.10f} {z:.10f}"
                      for s, (x, y, z) in zip(atoms.get_chemical_symbols(), atoms.positions)]
            md.run(every)
        tmp = os.path.join(a.out_dir, f"chunk-{k}.xyz.tmp")
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, os.path.join(a.out_dir, f"chunk-{k}.xyz"))
        print(f"chunk {k}: {a.frames} frames, T = {atoms.get_temperature():.0f} K")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compares a molecular-dynamics trajectory of se3t with a reference trajectory (xtb's own MD).

    /usr/bin/python3 scripts/md_report.py --md TRAJ.extxyz --reference REF.extxyz[.gz] \
        [--torsion 5 4 3 1] [--log THERMO.csv] [--json OUT.json]

Prints (and with --json writes) one JSON object:
- stability: the bond graph of the first MD frame (pairs closer than 1.2 x the sum of ASE's
  covalent radii) must hold in every frame: `bonds_broken` counts frames where a bonded pair
  is farther than 1.5 x, `bonds_formed` frames where a non-bonded pair is closer than 1.1 x.
- distributions: for every bond type (element pair of a bond) and for the torsion (atom indices,
  0-based, default the ring-ester torsion of aspirin in data/xtb/aspirin's atom order), the
  mean and standard deviation in both trajectories and the overlap coefficient
  sum_b min(p_b, q_b) of their histograms (1: identical, 0: disjoint).
- with --log (the NVE thermo CSV of `se3t md --log`): the drift of the total energy, the slope
  of a least-squares line, in eV per atom per ps, and its RMS fluctuation about that line.
Needs ASE and NumPy (Debian's python3-ase, python3-numpy).
"""
import argparse
import json
import sys

import numpy as np

try:
    from ase.data import covalent_radii
    from ase.io import read
except ImportError:  # pragma: no cover - a clear message instead of a traceback
    sys.exit("md_report.py: needs ASE (apt-get install python3-ase; run with /usr/bin/python3)")


def bond_graph(atoms):
    d = atoms.get_all_distances(mic=any(atoms.pbc))
    r = covalent_radii[atoms.numbers]
    ref = r[:, None] + r[None, :]
    bonded = (d < 1.2 * ref) & ~np.eye(len(atoms), dtype=bool)
    return bonded, ref


def torsion(pos, idx):
    a, b, c, d = (pos[:, i] for i in idx)
    b0, b1, b2 = a - b, c - b, d - c
    b1n = b1 / np.linalg.norm(b1, axis=1, keepdims=True)
    v = b0 - np.sum(b0 * b1n, axis=1, keepdims=True) * b1n
    w = b2 - np.sum(b2 * b1n, axis=1, keepdims=True) * b1n
    x = np.sum(v * w, axis=1)
    y = np.sum(np.cross(b1n, v) * w, axis=1)
    return np.degrees(np.arctan2(y, x))


def overlap(p, q, bins, periodic=False):
    lo, hi = (-180.0, 180.0) if periodic else (min(p.min(), q.min()), max(p.max(), q.max()))
    hp, edges = np.histogram(p, bins=bins, range=(lo, hi))
    hq, _ = np.histogram(q, bins=edges)
    return float(np.minimum(hp / hp.sum(), hq / hq.sum()).sum())


def circular_stats(deg):
    z = np.exp(1j * np.radians(deg)).mean()
    return float(np.degrees(np.angle(z))), float(np.degrees(np.sqrt(-2 * np.log(abs(z)))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--md", required=True, help="trajectory of se3t md (extended XYZ)")
    ap.add_argument("--reference", required=True, help="reference frames (extended XYZ, .gz ok)")
    ap.add_argument("--torsion", type=int, nargs=4, default=[5, 4, 3, 1], metavar="I")
    ap.add_argument("--bins", type=int, default=60)
    ap.add_argument("--log", help="thermo CSV of an NVE run (se3t md --log) for the drift")
    ap.add_argument("--json", help="also write the result here")
    args = ap.parse_args()

    md = read(args.md, index=":")
    ref = read(args.reference, index=":")
    if not md or not ref:
        sys.exit("md_report.py: a trajectory has no frames")
    if list(md[0].numbers) != list(ref[0].numbers):
        sys.exit("md_report.py: the two trajectories have different atoms")
    n = len(md[0])
    if max(args.torsion) >= n or min(args.torsion) < 0:
        sys.exit(f"md_report.py: torsion atoms must be in [0, {n})")

    bonded, rsum = bond_graph(md[0])
    iu = np.triu_indices(n, 1)
    broken = formed = 0
    max_stretch, min_contact = 0.0, np.inf
    for a in md:
        ratio = (a.get_all_distances(mic=any(a.pbc)) / rsum)[iu]
        b = bonded[iu]
        max_stretch = max(max_stretch, float(ratio[b].max()))
        min_contact = min(min_contact, float(ratio[~b].min()))
        broken += int((ratio[b] > 1.5).any())
        formed += int((ratio[~b] < 1.1).any())

    out = {
        "md_frames": len(md),
        "reference_frames": len(ref),
        "stable": broken == 0 and formed == 0,
        "bonds_broken": broken,
        "bonds_formed": formed,
        "max_bond_stretch": max_stretch,
        "min_nonbonded_contact": min_contact,
        "bonds": {},
    }
    pm = np.stack([a.positions for a in md])
    pr = np.stack([a.positions for a in ref])
    sym = md[0].get_chemical_symbols()
    types = {}
    for i, j in zip(*np.nonzero(np.triu(bonded))):
        types.setdefault("-".join(sorted((sym[i], sym[j]))), []).append((i, j))
    def lengths(frames, pos, i, j):
        if any(frames[0].pbc):  # minimum image: molecules may straddle the cell's faces
            return np.array([a.get_distance(p, q, mic=True) for a in frames for p, q in zip(i, j)])
        return np.linalg.norm(pos[:, i] - pos[:, j], axis=-1).ravel()

    for name, pairs in sorted(types.items()):
        i, j = np.array(pairs).T
        dm = lengths(md, pm, i, j)
        dr = lengths(ref, pr, i, j)
        out["bonds"][name] = {
            "count": len(pairs),
            "md_mean": float(dm.mean()), "md_std": float(dm.std()),
            "ref_mean": float(dr.mean()), "ref_std": float(dr.std()),
            "overlap": overlap(dm, dr, args.bins),
        }
    tm, tr = torsion(pm, args.torsion), torsion(pr, args.torsion)
    out["torsion"] = {
        "atoms": args.torsion,
        "md_circular_mean": circular_stats(tm)[0], "md_circular_std": circular_stats(tm)[1],
        "ref_circular_mean": circular_stats(tr)[0], "ref_circular_std": circular_stats(tr)[1],
        "overlap": overlap(tm, tr, args.bins, periodic=True),
    }
    if args.log:
        log = np.genfromtxt(args.log, delimiter=",", names=True)
        t_ps = log["time_fs"] / 1000.0
        e = log["total_ev"]
        slope, icept = np.polyfit(t_ps, e, 1)
        out["nve"] = {
            "duration_ps": float(t_ps[-1] - t_ps[0]),
            "drift_ev_per_atom_per_ps": float(slope / n),
            "rms_fluctuation_ev_per_atom": float(np.std(e - (slope * t_ps + icept)) / n),
        }
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()

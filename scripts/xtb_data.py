#!/usr/bin/python3
"""Steps of scripts/make-xtb-data.sh that are easier in Python than in bash.

  label TRJ OUT.extxyz --t0-fs T --dump-fs D [--stride S] [--cell L] [--xtb-args 'OPTIONS']
      reads every S-th frame of an xtb MD dump (xtb.trj, Angstrom), rounds the positions to
      the precision written out, recomputes energy and gradient of each frame with one
      `xtb --grad` run and writes extended XYZ with energy and forces (with --cell: periodic,
      xtb reads a VASP POSCAR, the file gets Lattice and pbc). With --skip-unconverged a
      frame whose SCC does not converge is left out (its time listed in OUT.skipped) instead
      of stopping the run; with --min-gap-ev G so is a frame whose HOMO-LUMO gap is below G
      (a spurious, nearly metallic SCC solution), and the others get gap_ev.

  interleave FILE... --out-dir DIR [--block N] [--pattern 'train test ...'] [--margin-fs M]
      re-splits labelled frames (extended XYZ, .gz read too) by time: the frames of each
      contiguous run (consecutive time_fs one dump apart) are cut into blocks of N frames,
      the blocks take the roles of PATTERN in turn (cyclically, across runs), and every test
      frame closer than M fs to a train or valid frame is left out, so each split samples the
      whole trajectory (its conformers) while no test frame is a near neighbour of a training
      one. Writes DIR/{train,valid,test}.extxyz, frames verbatim, in time order.

  stress FRAMES.extxyz[.gz] OUT.extxyz|OUT.json [--xtb-args 'OPTIONS'] [--h H]
      the stress of every periodic frame by central differences of xtb energies under a
      symmetric strain (ASE's calculate_numerical_stress convention: sigma = (1/V) dE/d eps,
      positive under tension; the cell and atoms strained by I + eps, eps_ij = eps_ji = +-H/2),
      12 single points a frame, in kcal/mol/A^3. OUT.extxyz: the frames verbatim with
      stress="s_xx s_xy ... s_zz" (the 3 x 3 matrix, row by row, as ASE writes it) added to
      each comment line; OUT.json: [{"time_fs", "stress"}].

Units written: Angstrom, kcal/mol, kcal/mol/Angstrom (the units of
data/README.md). Conversions from xtb's atomic units use CODATA 2018.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

HARTREE_KCAL = 627.509474063  # kcal/mol per Hartree (CODATA 2018)
BOHR_ANGSTROM = 0.529177210903  # Angstrom per Bohr (CODATA 2018)
POS_DECIMALS = 8
FORCE_DECIMALS = 6
ENERGY_DECIMALS = 8
STRESS_DECIMALS = 8  # kcal/mol/A^3: below the finite differences' ~1e-5 noise


def read_trj(path):
    """Frames of an xtb trajectory (xyz blocks): list of (symbols, positions)."""
    with open(path) as f:
        lines = f.read().splitlines()
    frames, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i])
        block = lines[i + 2:i + 2 + n]
        if len(block) != n:
            sys.exit(f"{path}: truncated frame at line {i + 1}")
        symbols = [b.split()[0].capitalize() for b in block]
        pos = np.array([[float(x) for x in b.split()[1:4]] for b in block])
        frames.append((symbols, pos))
        i += 2 + n
    return frames


def write_xyz(path, symbols, pos, comment=""):
    with open(path, "w") as f:
        f.write(f"{len(symbols)}\n{comment}\n")
        for s, p in zip(symbols, pos):
            f.write(s + " " + " ".join(f"{x:.{POS_DECIMALS}f}" for x in p) + "\n")


def write_poscar(path, symbols, pos, cell):
    """VASP POSCAR (xtb reads it as a periodic structure), Cartesian Angstrom."""
    order = []
    for s in symbols:
        if s not in order:
            order.append(s)
    idx = [i for s in order for i in range(len(symbols)) if symbols[i] == s]
    with open(path, "w") as f:
        f.write("water\n1.0\n")
        for row in cell:
            f.write(" ".join(f"{x:.{POS_DECIMALS}f}" for x in row) + "\n")
        f.write(" ".join(order) + "\n")
        f.write(" ".join(str(symbols.count(s)) for s in order) + "\n")
        f.write("Cartesian\n")
        for i in idx:
            f.write(" ".join(f"{x:.{POS_DECIMALS}f}" for x in pos[i]) + "\n")
    return idx


def read_engrad(path, n):
    """Energy (Eh) and gradient (Eh/Bohr, n x 3) from xtb's ORCA-style .engrad file."""
    with open(path) as f:
        values = [l.split()[0] for l in f if l.strip() and not l.lstrip().startswith("#")]
    if int(values[0]) != n:
        sys.exit(f"{path}: {values[0]} atoms, expected {n}")
    energy = float(values[1])
    grad = np.array([float(v) for v in values[2:2 + 3 * n]]).reshape(n, 3)
    return energy, grad


def fmt(x, d):
    s = f"{x:.{d}f}"
    return "0." + "0" * d if s.lstrip("-") == "0." + "0" * d else s  # no "-0.000"


NOT_CONVERGED = "Self consistent charge iterator did not converge"


def homo_lumo_gap_ev(workdir):
    """The HOMO-LUMO gap (eV) that xtb printed in workdir/xtb.out."""
    with open(os.path.join(workdir, "xtb.out")) as f:
        gaps = [l.split()[-2] for l in f if l.strip().startswith("HL-Gap")]
    return float(gaps[-1])


def run_xtb(workdir, args, xtb, allow_unconverged=False):
    """Runs xtb; False when its SCC did not converge and allow_unconverged is set."""
    if os.path.exists(os.path.join(workdir, "frame.engrad")):
        os.remove(os.path.join(workdir, "frame.engrad"))
    with open(os.path.join(workdir, "xtb.out"), "w") as out:
        rc = subprocess.run([xtb] + args, cwd=workdir, stdout=out,
                            stderr=subprocess.STDOUT).returncode
    with open(os.path.join(workdir, "xtb.out")) as f:
        text = f.read()
    if allow_unconverged and rc != 0 and NOT_CONVERGED in text:
        return False
    if rc != 0 or "normal termination of xtb" not in text:
        sys.exit(f"xtb {' '.join(args)} failed in {workdir} (exit {rc}); see xtb.out there")
    return True


def label(a):
    frames = read_trj(a.trj)[::a.stride]
    work = a.out + ".work"
    os.makedirs(work, exist_ok=True)
    lines, labelled, skipped = [], 0, []
    cell = None if a.cell is None else np.eye(3) * a.cell
    for k, (symbols, pos) in enumerate(frames):
        n = len(symbols)
        time_fs = a.t0_fs + k * a.stride * a.dump_fs
        pos = np.round(pos, POS_DECIMALS)
        if cell is not None:
            # Wrap into the box [0, L): the energy is periodic, the file stays tidy.
            pos = np.round(np.mod(pos, a.cell), POS_DECIMALS)
            order = write_poscar(os.path.join(work, "frame.poscar"), symbols, pos, cell)
            args = ["frame.poscar"]
        else:
            order = list(range(n))
            write_xyz(os.path.join(work, "frame.xyz"), symbols, pos)
            args = ["frame.xyz"]
        if not run_xtb(work, args + ["--grad", "--norestart"] + a.xtb_args, a.xtb,
                       a.skip_unconverged):
            skipped.append(time_fs)
            print(f"{a.trj}: frame at {time_fs:.1f} fs left out: {NOT_CONVERGED}",
                  file=sys.stderr)
            continue
        gap = homo_lumo_gap_ev(work) if a.min_gap_ev is not None else None
        if gap is not None and gap < a.min_gap_ev:
            skipped.append(time_fs)
            print(f"{a.trj}: frame at {time_fs:.1f} fs left out: HOMO-LUMO gap {gap:.3f} eV",
                  file=sys.stderr)
            continue
        labelled += 1
        energy, grad_sorted = read_engrad(os.path.join(work, "frame.engrad"), n)
        grad = np.empty_like(grad_sorted)
        grad[order] = grad_sorted
        forces = -grad * HARTREE_KCAL / BOHR_ANGSTROM
        info = [f"energy={fmt(energy * HARTREE_KCAL, ENERGY_DECIMALS)}",
                f"time_fs={time_fs:.1f}"]
        if gap is not None:
            info.append(f"gap_ev={gap:.4f}")
        if cell is not None:
            info.insert(1, 'Lattice="' + " ".join(fmt(x, POS_DECIMALS) for x in cell.ravel()) + '"')
            info.append('pbc="T T T"')
        else:
            info.append('pbc="F F F"')
        lines.append(str(n))
        props = "Properties=species:S:1:pos:R:3:forces:R:3"
        if cell is not None:
            props = info[1] + " " + props
            info.pop(1)
        lines.append(props + " " + " ".join(info))
        for s, p, f in zip(symbols, pos, forces):
            lines.append(s + " " + " ".join(fmt(x, POS_DECIMALS) for x in p) + " " +
                         " ".join(fmt(x, FORCE_DECIMALS) for x in f))
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(tmp, a.out)
    with open(a.out + ".skipped", "w") as f:
        f.write("".join(f"{t:.1f}\n" for t in skipped))
    print(f"{a.out}: {labelled} frames" + (f", {len(skipped)} left out" if skipped else ""))


def read_frames(path):
    """Frames of an extended XYZ file as (time_fs, text), verbatim."""
    import gzip
    import re
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        lines = f.read().splitlines(keepends=True)
    frames, i = [], 0
    while i < len(lines):
        n = int(lines[i])
        m = re.search(r"\btime_fs=([-+0-9.eE]+)", lines[i + 1])
        if m is None:
            sys.exit(f"xtb_data.py: {path}: a frame without time_fs")
        frames.append((float(m.group(1)), "".join(lines[i:i + n + 2])))
        i += n + 2
    return frames


def interleave(a):
    frames = sorted((f for path in a.files for f in read_frames(path)), key=lambda f: f[0])
    times = np.array([t for t, _ in frames])
    if len(set(times)) != len(times):
        sys.exit("xtb_data.py: interleave: two frames have the same time_fs")
    pattern = a.pattern.split()
    if set(pattern) - {"train", "valid", "test"} or not pattern:
        sys.exit("xtb_data.py: interleave: the pattern takes train, valid and test")
    dump = np.min(np.diff(times))
    roles, block, run_start = [], 0, 0
    for k in range(len(frames)):
        if k > 0 and times[k] - times[k - 1] > 1.5 * dump:  # a new contiguous run: a new block
            block += 1
            run_start = k
        elif k > run_start and (k - run_start) % a.block == 0:
            block += 1
        roles.append(pattern[block % len(pattern)])
    roles = np.array(roles)
    fit = times[roles != "test"]
    keep = np.ones(len(frames), dtype=bool)
    for k in np.nonzero(roles == "test")[0]:
        keep[k] = fit.size == 0 or np.abs(fit - times[k]).min() > a.margin_fs
    os.makedirs(a.out_dir, exist_ok=True)
    for split in ("train", "valid", "test"):
        chosen = [frames[k][1] for k in range(len(frames)) if roles[k] == split and keep[k]]
        path = os.path.join(a.out_dir, split + ".extxyz")
        with open(path + ".tmp", "w") as f:
            f.write("".join(chosen))
        os.replace(path + ".tmp", path)
        print(f"  {split}: {len(chosen)} frames")


def numerical_stress(a):
    """The `stress` subcommand (needs ASE for the POSCAR files)."""
    import json
    import re
    from ase.io import read, write
    frames = read(a.frames, index=":")
    out = []
    for k, atoms in enumerate(frames):
        if not atoms.pbc.all():
            sys.exit(f"xtb_data.py: stress: frame {k} is not periodic")
        atoms.wrap()
        volume = atoms.get_volume()
        sigma = np.zeros((3, 3))
        for i in range(3):
            for j in range(i, 3):
                e = []
                for sign in (1.0, -1.0):
                    eps = np.zeros((3, 3))
                    eps[i, j] += sign * a.h / 2
                    eps[j, i] += sign * a.h / 2
                    strained = atoms.copy()
                    strained.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
                    work = a.out + f".work/{k}"
                    os.makedirs(work, exist_ok=True)
                    write(os.path.join(work, "POSCAR"), strained, format="vasp", direct=False,
                          sort=False)
                    r = subprocess.run([a.xtb, "POSCAR", "--sp"] + a.xtb_args.split(), cwd=work,
                                       capture_output=True, text=True)
                    m = re.search(r"TOTAL ENERGY\s+([-0-9.]+) Eh", r.stdout)
                    if r.returncode != 0 or m is None:
                        sys.exit(f"xtb_data.py: stress: xtb failed on frame {k}:\n{r.stdout[-800:]}")
                    e.append(float(m.group(1)) * HARTREE_KCAL)
                sigma[i, j] = sigma[j, i] = (e[0] - e[1]) / (2 * a.h) / volume
        out.append({"time_fs": atoms.info.get("time_fs"), "stress": sigma.tolist()})
        print(f"  frame {k}: stress {np.round(sigma.ravel(), 5).tolist()} kcal/mol/A^3", flush=True)
    with open(a.out + ".tmp", "w") as f:
        if a.out.endswith(".json"):
            json.dump(out, f, indent=1)
        else:
            texts = [text for _, text in read_frames(a.frames)]
            if len(texts) != len(out):
                sys.exit(f"xtb_data.py: stress: {a.frames}: ASE read {len(out)} frames, "
                         f"the text {len(texts)}")
            for text, o in zip(texts, out):
                count, comment, rest = text.split("\n", 2)
                if re.search(r"\bstress=", comment):
                    sys.exit(f"xtb_data.py: stress: {a.frames} has a stress already")
                values = " ".join(fmt(x, STRESS_DECIMALS) for x in np.ravel(o["stress"]))
                f.write(f'{count}\n{comment} stress="{values}"\n{rest}')
    os.replace(a.out + ".tmp", a.out)
    import shutil
    shutil.rmtree(a.out + ".work", ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("label")
    q.add_argument("trj")
    q.add_argument("out")
    q.add_argument("--t0-fs", type=float, required=True)
    q.add_argument("--dump-fs", type=float, required=True)
    q.add_argument("--stride", type=int, default=1, help="label every STRIDE-th frame")
    q.add_argument("--cell", type=float, help="cubic cell edge (Angstrom): periodic")
    q.add_argument("--xtb", default="xtb")
    q.add_argument("--xtb-args", default="", help="options of each xtb --grad run")
    q.add_argument("--skip-unconverged", action="store_true",
                   help="leave out frames whose SCC does not converge (listed in OUT.skipped)")
    q.add_argument("--min-gap-ev", type=float,
                   help="leave out frames whose HOMO-LUMO gap is smaller (listed in OUT.skipped); "
                   "the frames kept get gap_ev")
    q = sub.add_parser("interleave")
    q.add_argument("files", nargs="+")
    q.add_argument("--out-dir", required=True)
    q.add_argument("--block", type=int, default=50, help="frames per block")
    q.add_argument("--pattern", default="train test train test valid test test")
    q.add_argument("--margin-fs", type=float, default=100.0,
                   help="test frames at most this far from a train or valid frame are left out")
    q = sub.add_parser("stress")
    q.add_argument("frames")
    q.add_argument("out")
    q.add_argument("--xtb", default="xtb")
    q.add_argument("--xtb-args", default="--gfn 1 --acc 0.01")
    q.add_argument("--h", type=float, default=5e-4, help="strain step")
    a = p.parse_args()
    if a.cmd == "stress":
        if os.path.abspath(a.out) == os.path.abspath(a.frames):
            sys.exit("xtb_data.py: stress: OUT would overwrite the input")
        numerical_stress(a)
        return
    if a.cmd == "interleave":
        if any(os.path.abspath(os.path.join(a.out_dir, s + ".extxyz")) in map(os.path.abspath, a.files)
               for s in ("train", "valid", "test")):
            sys.exit("xtb_data.py: interleave: --out-dir would overwrite an input")
        interleave(a)
        return
    a.xtb_args = a.xtb_args.split()
    label(a)


if __name__ == "__main__":
    main()

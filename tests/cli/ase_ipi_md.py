#!/usr/bin/python3
"""A few steps of ASE molecular dynamics whose forces come from `se3t serve` through the i-PI
socket protocol (ASE's SocketIOCalculator is the server, se3t the driver), checked frame by
frame against `se3t predict --forces` on the same positions. With --periodic the frame's cell
is periodic (serve --periodic) and the stress ASE derives from se3t's virial is checked too.

Usage: ase_ipi_md.py --se3t SE3T --checkpoint CKPT --data FRAMES.extxyz [--frame K] [--periodic]
Exit status 0 on success, 1 on a mismatch, 77 when ASE is missing (the test is skipped)."""
import argparse
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from ase import units
    from ase.calculators.socketio import SocketIOCalculator
    from ase.io import read
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from ase.md.verlet import VelocityVerlet
except ImportError as e:
    print("SKIP: ASE is not importable: {}".format(e))
    sys.exit(77)

KCAL_PER_MOL_IN_EV = 4184.0 / 6.02214076e23 / 1.602176634e-19  # the model's unit, CODATA 2018


def write_frames(path, frames, cell=None):
    """Species and positions, every real printed exactly (repr); a periodic cell when given."""
    header = "Properties=species:S:1:pos:R:3"
    if cell is not None:
        header = 'Lattice="{}" pbc="T T T" '.format(
            " ".join(repr(float(c)) for c in cell.ravel())) + header
    with open(path, "w") as f:
        for symbols, pos in frames:
            f.write("{}\n{}\n".format(len(symbols), header))
            for s, x in zip(symbols, pos):
                f.write("{} {} {} {}\n".format(s, *(repr(float(c)) for c in x)))


def read_predictions(path):
    energies, forces, stresses = [], [], []
    for atoms in read(path, index=":"):
        energies.append(atoms.get_potential_energy())
        forces.append(atoms.get_forces())
        stresses.append(atoms.get_stress() if any(atoms.pbc) else None)
    return energies, forces, stresses


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--se3t", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--frame", type=int, default=0)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--periodic", action="store_true")
    a = p.parse_args()

    atoms = read(a.data, index=a.frame)
    atoms.calc = None
    if a.periodic:
        if atoms.cell.rank != 3:
            print("--periodic needs a frame with a 3D cell")
            return 1
        atoms.pbc = True
    else:
        atoms.pbc = False
    MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.RandomState(3))
    with tempfile.TemporaryDirectory(prefix="ipi_", dir="/tmp") as tmp:
        # ASE opens the socket /tmp/ipi_NAME: tmp is /tmp/ipi_XYZ, so NAME = XYZ/socket puts
        # it inside tmp.
        name = os.path.basename(tmp)[len("ipi_"):] + "/socket"
        seen = []  # (energy, forces, symbols, positions) of every step
        with SocketIOCalculator(unixsocket=name, timeout=120) as calc:
            serve = subprocess.Popen(
                [a.se3t, "serve", "--ipi", "unix:" + name, "--checkpoint", a.checkpoint,
                 "--data", a.data, "--frame", str(a.frame), "--quiet"]
                + (["--periodic"] if a.periodic else []),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            atoms.calc = calc
            dyn = VelocityVerlet(atoms, timestep=0.5 * units.fs)

            def record():
                seen.append((atoms.get_potential_energy(), atoms.get_forces().copy(),
                             atoms.get_chemical_symbols(), atoms.get_positions().copy(),
                             atoms.get_stress().copy() if a.periodic else None))

            dyn.attach(record, interval=1)
            dyn.run(a.steps)
        out, err = serve.communicate(timeout=120)
        if serve.returncode != 0:
            print("se3t serve failed ({}):\n{}".format(serve.returncode, err))
            return 1
        print("se3t serve: " + out.strip())

        frames_path = os.path.join(tmp, "frames.extxyz")
        pred_path = os.path.join(tmp, "predicted.extxyz")
        write_frames(frames_path, [(s, x) for _, _, s, x, _ in seen],
                     atoms.cell.array if a.periodic else None)
        r = subprocess.run([a.se3t, "predict", "--checkpoint", a.checkpoint, "--data",
                            frames_path, "--out", pred_path, "--forces"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("se3t predict failed:\n" + r.stderr)
            return 1
        energies, forces, stresses = read_predictions(pred_path)

    if len(seen) != a.steps + 1:
        print("expected {} frames, got {}".format(a.steps + 1, len(seen)))
        return 1
    moved = np.abs(seen[-1][3] - seen[0][3]).max()
    if not moved > 1e-4:
        print("the atoms did not move ({} A)".format(moved))
        return 1
    worst_e = worst_f = worst_s = 0.0
    for (e, f, _, _, s), e_ref, f_ref, s_ref in zip(seen, energies, forces, stresses):
        # se3t predict speaks the model's unit (kcal/mol); ASE eV. The Bohr and Hartree of
        # ASE (CODATA 2014) and se3t (2018) differ by ~1e-9 relative.
        e_ref *= KCAL_PER_MOL_IN_EV
        f_ref = f_ref * KCAL_PER_MOL_IN_EV
        worst_e = max(worst_e, abs(e - e_ref) / max(abs(e_ref), 1e-3))
        worst_f = max(worst_f, np.abs(f - f_ref).max() / max(np.abs(f_ref).max(), 1e-3))
        if a.periodic:
            if s_ref is None or not np.abs(s).max() > 0:
                print("no stress: ASE {}, se3t predict {}".format(s, s_ref))
                return 1
            s_ref = s_ref * KCAL_PER_MOL_IN_EV  # kcal/mol/A^3 -> eV/A^3, Voigt as ASE's
            worst_s = max(worst_s, np.abs(s - s_ref).max() / max(np.abs(s_ref).max(), 1e-9))
    print("frames {}, moved {:.3g} A, max relative difference: energy {:.3g}, forces {:.3g}"
          ", stress {:.3g}".format(len(seen), moved, worst_e, worst_f, worst_s))
    return 0 if worst_e < 1e-6 and worst_f < 1e-6 and worst_s < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())

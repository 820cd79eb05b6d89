"""The ASE calculator: energies and forces equal `se3t predict` (converted to eV, eV/A),
forces are -dE/dx by finite differences, the stress of periodic atoms is ASE's numerical
stress, and a short VelocityVerlet run conserves energy."""

import numpy as np
import pytest
import torch
from ase import Atoms, units
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
from ase.md.verlet import VelocityVerlet

import se3t
from conftest import SOURCE_DIR
from se3t.ase import ENERGY_UNITS, Calculator


def atoms_of(frame):
    return Atoms(symbols=frame.species, positions=frame.positions.numpy())


def test_properties_and_units(molecule_run, cli, tmp_path):
    from test_io import predict_cli

    run, test_file = molecule_run
    expected = predict_cli(cli, run, test_file, tmp_path / "pred.extxyz")
    calc = Calculator(run / "best_model.pt")
    assert set(Calculator.implemented_properties) >= {"energy", "forces"}
    kcal = units.kcal / units.mol
    assert ENERGY_UNITS["kcal/mol"] == pytest.approx(0.0433641, rel=1e-5)
    for frame in expected[:4]:
        atoms = atoms_of(frame)
        atoms.calc = calc
        e = atoms.get_potential_energy()
        assert e == pytest.approx(frame.number("energy") * kcal, rel=1e-13)
        f = torch.from_numpy(atoms.get_forces())
        torch.testing.assert_close(f, frame.forces * kcal, rtol=1e-12, atol=1e-12)
    ev = Calculator(run / "best_model.pt", energy_unit="eV")
    atoms = atoms_of(expected[0])
    atoms.calc = ev
    assert atoms.get_potential_energy() == pytest.approx(expected[0].number("energy"), rel=1e-13)
    with pytest.raises(ValueError, match="energy_unit"):
        Calculator(run / "best_model.pt", energy_unit="furlong")
    periodic = atoms_of(expected[0])
    periodic.cell = [10, 10, 10]
    periodic.pbc = True
    periodic.calc = calc
    with pytest.raises(ValueError, match="periodic"):
        periodic.get_potential_energy()
    # Two members: the mean and the spread.
    pair = Calculator([run / "best_model.pt", run / "checkpoint.pt"])
    atoms = atoms_of(expected[0])
    atoms.calc = pair
    atoms.get_potential_energy()
    assert pair.results["energy_std"] >= 0


def test_forces_are_minus_the_energy_gradient(molecule_run):
    run, test_file = molecule_run
    atoms = atoms_of(se3t.read_extxyz(str(test_file))[1])
    calc = Calculator(run / "best_model.pt")
    atoms.calc = calc
    analytic = atoms.get_forces()
    numeric = calc.calculate_numerical_forces(atoms, d=1e-3)
    largest, error = float(abs(analytic).max()), float(abs(analytic - numeric).max())
    print(f"max |F| {largest:.3g} eV/A, max difference {error:.3g}")
    # The networks run in float32: central differences of E agree to ~0.2% here.
    assert largest > 1e-4 and error < 0.02 * largest


def test_stress_is_ase_numerical_stress(tmp_path_factory):
    # A float64 model trained on amons molecules put in small periodic boxes (so that atoms see
    # their neighbours' and their own images): its stress equals ASE's own central differences
    # of the energy under strain (calculate_numerical_stress: sign and Voigt order).
    from conftest import MOLECULE_CONFIG

    d = tmp_path_factory.mktemp("periodic")
    amons = SOURCE_DIR / "data" / "amons-forces"
    frames = se3t.read_extxyz(str(amons / "train.extxyz"))[:12]
    for f in frames:
        f.cell = [[6.0, 0.0, 0.0], [0.5, 5.5, 0.0], [-0.3, 0.2, 6.2]]
        f.pbc = True
    for split in ("train", "valid", "test"):
        se3t.write_extxyz(str(d / f"{split}.extxyz"), frames)
    config = MOLECULE_CONFIG.format(dir=d).replace("[model]", "cutoff = 3.5\n[model]")
    config = config.replace("epochs = 2", "epochs = 1\ndtype = \"float64\"")
    (d / "periodic.toml").write_text(config)
    se3t.train(str(d / "periodic.toml"))
    calc = Calculator(d / "run" / "best_model.pt")
    assert "stress" in Calculator.implemented_properties
    atoms = Atoms(symbols=frames[0].species, positions=frames[0].positions.numpy(),
                  cell=frames[0].cell.numpy(), pbc=True)
    atoms.calc = calc
    analytic = atoms.get_stress()
    numeric = calc.calculate_numerical_stress(atoms, d=1e-6)
    largest, error = float(abs(analytic).max()), float(abs(analytic - numeric).max())
    print(f"max |sigma| {largest:.3g} eV/A^3, max difference {error:.3g}")
    assert largest > 1e-8 and error < 1e-5 * largest  # the untrained last layer gives 0
    molecule = Atoms(symbols=frames[0].species, positions=frames[0].positions.numpy())
    molecule.calc = calc
    with pytest.raises(ValueError, match="periodic"):
        molecule.get_stress()


def test_velocity_verlet(molecule_run):
    run, test_file = molecule_run
    atoms = atoms_of(se3t.read_extxyz(str(test_file))[2])
    atoms.calc = Calculator(run / "best_model.pt")
    MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.default_rng(0))
    dyn = VelocityVerlet(atoms, timestep=0.2 * units.fs)
    total, potential = [], []
    dyn.attach(lambda: (total.append(atoms.get_total_energy()),
                        potential.append(atoms.get_potential_energy())), interval=1)
    dyn.run(40)
    assert len(total) == 41
    # Energy moves between kinetic and potential, and the total stays put: the forces are the
    # gradient of the energy, in the same units.
    exchanged = max(potential) - min(potential)
    drift = max(total) - min(total)
    print(f"exchanged {exchanged:.3g} eV, drift {drift:.3g} eV")
    assert exchanged > 1e-4 and drift < 0.05 * exchanged

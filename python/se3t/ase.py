"""An ASE calculator over se3t molecule models: energy and forces in eV and eV/Angstrom.

    from se3t.ase import Calculator
    atoms.calc = Calculator("runs/amons/best_model.pt")            # one model
    atoms.calc = Calculator(["s0/best_model.pt", "s1/best_model.pt"])  # an ensemble (mean)

A model file predicts in the units of the data it was trained on, which it does not record:
give them as ``energy_unit`` (the shipped QM7 and amons sets are in kcal/mol, the default).
Positions are Angstrom, ASE's unit and the data sets'. Forces are -dE/dx of the same model,
so they are conservative. Periodic systems (atoms.pbc, atoms.cell) need a model trained with a
cutoff; their stress (1/V) dE/d(strain) is ASE's: Voigt order, eV/A^3, positive under tension.
"""

import os

from ase import units
from ase.calculators.calculator import Calculator as _AseCalculator
from ase.calculators.calculator import all_changes

from . import _se3t

# eV per unit of energy.
ENERGY_UNITS = {
    "eV": 1.0,
    "kcal/mol": units.kcal / units.mol,
    "kJ/mol": units.kJ / units.mol,
    "Hartree": units.Hartree,
    "meV": 1e-3,
}


class Calculator(_AseCalculator):
    """Energy and forces of se3t molecule model(s) (checkpoint.pt or best_model.pt of a
    `se3t train` molecule run); several files predict their mean, and
    results["energy_std"] holds the members' spread (eV). Periodic atoms also get "stress"."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, checkpoint, energy_unit="kcal/mol", **kwargs):
        super().__init__(**kwargs)
        if isinstance(checkpoint, (str, os.PathLike)):
            paths = [os.fspath(checkpoint)]
        else:
            paths = [os.fspath(p) for p in checkpoint]
        if energy_unit not in ENERGY_UNITS:
            raise ValueError(f"se3t: energy_unit: expected one of {sorted(ENERGY_UNITS)}, "
                             f"got {energy_unit!r}")
        self.checkpoints = paths
        self.energy_unit = energy_unit
        self.ensemble = _se3t.MoleculeEnsemble(paths)
        self._to_ev = ENERGY_UNITS[energy_unit]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        periodic = bool(atoms.pbc.any())
        stress = "stress" in properties
        if stress and not periodic:
            raise ValueError("se3t: stress needs a periodic cell (atoms.pbc)")
        if periodic:
            molecule = _se3t.Molecule([int(z) for z in atoms.numbers], atoms.positions,
                                      cell=atoms.cell.array, pbc=[bool(b) for b in atoms.pbc])
        else:
            molecule = _se3t.Molecule([int(z) for z in atoms.numbers], atoms.positions)
        forces = "forces" in properties
        p = self.ensemble.predict([molecule], forces=forces, stress=stress)
        energy = float(p["energy"][0]) * self._to_ev
        self.results["energy"] = energy
        self.results["free_energy"] = energy
        self.results["energy_std"] = float(p["energy_std"][0]) * self._to_ev
        if forces:
            self.results["forces"] = p["forces"].numpy() * self._to_ev
        else:
            self.results.pop("forces", None)
        if stress:
            self.results["stress"] = p["stress"][0].numpy() * self._to_ev
        else:
            self.results.pop("stress", None)

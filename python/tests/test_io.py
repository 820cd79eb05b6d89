"""Files: model files shared with C++ and the command line, extended XYZ against ASE's own
reader, molecule models and ensembles against `se3t predict`."""

import json
import subprocess

import pytest
import torch

import se3t
from conftest import SOURCE_DIR, cloud, random_features


def test_save_and_load_model(tmp_path):
    for cls in (se3t.SE3Transformer, se3t.TensorFieldNetwork):
        model = cls(fiber_in={0: 1, 1: 1}, fiber_hidden={0: 4, 1: 4}, fiber_out={1: 2},
                    num_layers=2, edge_dim=1).double()
        path = tmp_path / f"{cls.__name__}.pt"
        se3t.save_model(model, path)
        loaded = se3t.load_model(path)
        assert type(loaded) is cls
        assert loaded.options == model.options
        g = cloud(7)
        g.edge_attr = torch.randn(g.num_edges, 1, dtype=torch.float64)
        x = random_features(model.options.fiber_in, 7)
        torch.testing.assert_close(loaded.double()(g, x)[1], model(g, x)[1], rtol=0, atol=0)
    with pytest.raises(ValueError, match="does not exist|cannot|open"):
        se3t.load_model(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="model"):
        se3t.save_model(torch.nn.Linear(2, 2), tmp_path / "x.pt")
    options = se3t.SE3TransformerOptions.from_text(model.options.to_text())
    assert options == model.options and options.edge_dim == 1 and not options.attention


def test_value_layout_options():
    # The paper's layout by default, kept by the options text; text written before the setting
    # existed (no value_layout line) holds the wide layout.
    options = se3t.SE3TransformerOptions(fiber_hidden=se3t.Fiber({0: 4, 1: 4}), num_layers=1)
    assert options.value_layout == "paper"
    old = "".join(l + "\n" for l in options.to_text().splitlines() if not l.startswith("value_layout"))
    assert se3t.SE3TransformerOptions.from_text(old).value_layout == "wide"
    options.value_layout = "wide"
    assert se3t.SE3TransformerOptions.from_text(options.to_text()).value_layout == "wide"
    paper = se3t.SE3Transformer(fiber_hidden=se3t.Fiber({0: 4, 1: 4}), num_layers=1)
    wide = se3t.SE3Transformer(fiber_hidden=se3t.Fiber({0: 4, 1: 4}), num_layers=1,
                               value_layout="wide")
    assert sum(p.numel() for p in paper.parameters()) < sum(p.numel() for p in wide.parameters())
    with pytest.raises(ValueError, match="paper or wide"):
        se3t.SE3TransformerOptions(value_layout="narrow")


def test_extxyz_matches_ase():
    from ase.io import read

    path = SOURCE_DIR / "data" / "amons-forces" / "test.extxyz"
    frames = se3t.read_extxyz(str(path))
    reference = read(str(path), index=":")
    assert len(frames) == len(reference) == 795
    for f, a in zip(frames[:50], reference[:50]):
        assert f.species == a.get_chemical_symbols()
        torch.testing.assert_close(f.positions, torch.from_numpy(a.positions), rtol=0, atol=0)
        torch.testing.assert_close(f.forces, torch.from_numpy(a.arrays["forces"]), rtol=0, atol=0)
        assert f.number("energy") == pytest.approx(a.info["energy"], rel=1e-15)
        assert f.info["name"] == a.info["name"]
    molecules = se3t.load_molecules(str(path))
    assert molecules[0].numbers == list(reference[0].numbers)
    assert molecules[0].energy == frames[0].number("energy")
    with pytest.raises(ValueError, match="missing.extxyz"):
        se3t.read_extxyz("missing.extxyz")


def test_periodic_extxyz_matches_ase(tmp_path):
    # ASE writes the cell, pbc and a stress; se3t reads them in ASE's convention (rows a, b, c;
    # Voigt xx yy zz yz xz xy), and ASE reads what se3t writes back.
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import read, write

    cell = [[4.0, 0.0, 0.0], [1.5, 3.5, 0.0], [-0.5, 0.25, 5.0]]
    atoms = Atoms("OH2", positions=[[0, 0, 0.1], [0.8, 0, -0.5], [-0.8, 0, -0.5]], cell=cell,
                  pbc=[True, True, False])
    voigt = [0.1, -0.2, 0.3, 0.04, -0.05, 0.06]
    atoms.calc = SinglePointCalculator(atoms, energy=-1.5, stress=voigt)
    write(str(tmp_path / "ase.extxyz"), atoms, format="extxyz")
    frame = se3t.read_extxyz(str(tmp_path / "ase.extxyz"))[0]
    torch.testing.assert_close(frame.cell, torch.tensor(cell, dtype=torch.float64), rtol=0, atol=0)
    assert frame.pbc == [True, True, False]
    molecule = se3t.molecules_from_frames([frame])[0]
    assert molecule.stress == pytest.approx(list(read(str(tmp_path / "ase.extxyz")).get_stress()),
                                            rel=1e-12)
    assert molecule.stress == pytest.approx(voigt, rel=1e-12)
    se3t.write_extxyz(str(tmp_path / "se3t.extxyz"), [frame])
    back = read(str(tmp_path / "se3t.extxyz"))
    assert back.cell.array.tolist() == cell and back.pbc.tolist() == [True, True, False]
    frame.cell = None
    frame.pbc = False
    assert frame.cell is None and frame.pbc == [False, False, False]


def test_extxyz_round_trip(tmp_path):
    frame = se3t.Frame(["O", "H", "H"], [[0, 0, 0.1], [0.8, 0, -0.5], [-0.8, 0, -0.5]],
                       forces=torch.randn(3, 3, dtype=torch.float64), info={"energy": "-1.5"})
    se3t.write_extxyz(str(tmp_path / "w.extxyz"), [frame, frame])
    back = se3t.read_extxyz(str(tmp_path / "w.extxyz"))
    assert len(back) == 2 and back[1].species == ["O", "H", "H"]
    torch.testing.assert_close(back[0].forces, frame.forces, rtol=0, atol=0)
    assert back[0].number("energy") == -1.5
    with pytest.raises(ValueError, match="positions"):
        se3t.Frame(["O"], [[0, 0]])


def predict_cli(cli, run, data, out):
    subprocess.run([cli, "predict", "--checkpoint", str(run / "best_model.pt"), "--data", str(data),
                    "--out", str(out), "--forces", "--batch-size", "1", "--threads", "1"],
                   check=True, capture_output=True)
    return se3t.read_extxyz(str(out))


def test_molecule_model_equals_se3t_predict(molecule_run, cli, tmp_path):
    run, test_file = molecule_run
    expected = predict_cli(cli, run, test_file, tmp_path / "pred.extxyz")
    molecules = se3t.load_molecules(str(test_file))
    model = se3t.load_molecule_model(run / "best_model.pt")
    model.eval()
    ensemble = se3t.MoleculeEnsemble([str(run / "best_model.pt")])
    for i, (mol, frame) in enumerate(zip(molecules, expected)):
        e, f = model.energy_and_forces([mol])
        assert float(e[0]) == pytest.approx(frame.number("energy"), rel=1e-14, abs=1e-12)
        torch.testing.assert_close(f, frame.forces, rtol=1e-12, atol=1e-12)
        p = ensemble.predict(molecules, forces=True, indices=[i])
        assert float(p["energy"][0]) == pytest.approx(frame.number("energy"), rel=1e-14, abs=1e-12)
    # The molecule model is a torch module like the others: its network's parameters are in it.
    assert len(list(model.parameters())) == len(model.cpp.named_parameters()) > 10
    assert type(model.cpp.network).__name__ == "SE3Transformer"


def test_train_summary_and_show_config(molecule_run):
    run, _ = molecule_run
    assert (run / "checkpoint.pt").exists() and (run / "metrics.csv").exists()
    metrics = json.loads((run / "test_metrics.json").read_text())
    assert metrics["task"] == "molecules"
    assert "num_layers" in se3t.show_config("molecules")
    assert set(se3t.task_names()) == {"nbody", "molecules"}
    with pytest.raises(ValueError, match="nosuch.toml"):
        se3t.train("nosuch.toml")


PDB = "/usr/share/doc/theseus/examples/ldh/1a5z_A.pdb.gz"


def test_read_pdb_matches_the_columns(tmp_path):
    import gzip
    import os

    if not os.path.exists(PDB):
        pytest.skip("theseus-examples is not installed")
    records = []
    for line in gzip.open(PDB, "rt"):
        if line.startswith("ENDMDL"):
            break
        if line.startswith(("ATOM  ", "HETATM")) and line[16] in " A":
            records.append(line)
    p = se3t.read_pdb(PDB)
    assert len(p["numbers"]) == len(records) > 2000
    expected = torch.tensor([[float(r[30:38]), float(r[38:46]), float(r[46:54])] for r in records],
                            dtype=torch.float64)
    torch.testing.assert_close(p["positions"], expected, rtol=0, atol=0)
    assert p["names"][:2] == [records[0][12:16].strip(), records[1][12:16].strip()]
    polymer = se3t.read_pdb(PDB, skip_hetero=True)
    assert len(polymer["numbers"]) == sum(r.startswith("ATOM") for r in records)
    bad = tmp_path / "bad.pdb"
    bad.write_text("ATOM      1  CA  ALA A   1      xx.xxx   0.000   0.000  1.00  0.00           C\n")
    with pytest.raises(ValueError, match="bad.pdb"):
        se3t.read_pdb(str(bad))


def test_activation_option():
    # ReLU (the paper's) by default and not written, so older files read as ReLU; SiLU (smooth
    # energies, continuous forces) round-trips through the options text.
    options = se3t.SE3TransformerOptions(fiber_hidden=se3t.Fiber({0: 4, 1: 4}), num_layers=1)
    assert options.activation == "relu" and "activation" not in options.to_text()
    options.activation = "silu"
    assert se3t.SE3TransformerOptions.from_text(options.to_text()).activation == "silu"
    model = se3t.SE3Transformer(fiber_hidden=se3t.Fiber({0: 4, 1: 4}), num_layers=1,
                                activation="silu")
    assert model.options.activation == "silu"
    with pytest.raises(ValueError, match='activation must be "relu" or "silu"'):
        se3t.SE3TransformerOptions(activation="gelu")

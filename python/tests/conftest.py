"""Shared fixtures of the Python tests: paths, a tiny molecule run trained by the C++ trainer,
and small float64 helpers. CTest runs these files with PYTHONPATH=<build>/python."""

import os
import pathlib

import pytest
import torch

import se3t

SOURCE_DIR = pathlib.Path(os.environ.get("SE3T_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[2]))


def rel_error(a, b):
    """|a - b| / |b| in Frobenius norm."""
    return float((a - b).norm() / b.norm())


@pytest.fixture(autouse=True)
def one_thread_and_seed():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("SE3T_CLI")
    if not path or not os.path.exists(path):
        pytest.skip("the se3t command line is not built (SE3T_CLI)")
    return path


def cloud(n=12, graphs=1, dtype=torch.float64, scale=1.5):
    """Random points of `graphs` graphs with n nodes each, and their fully connected batch."""
    pos = torch.randn(n * graphs, 3, dtype=dtype) * scale
    graph_id = torch.arange(graphs).repeat_interleave(n)
    return se3t.fully_connected_graph(pos, graph_id, graphs)


def random_features(fiber, n, dtype=torch.float64):
    return {l: torch.randn(n, c, 2 * l + 1, dtype=dtype) for l, c in fiber.to_dict().items()}


def rotate_features(features, R):
    return {l: f @ se3t.wigner_D(l, R).T for l, f in features.items()}


MOLECULE_CONFIG = """task = "molecules"
[data]
format = "extxyz"
train_file = "{dir}/train.extxyz"
valid_file = "{dir}/valid.extxyz"
test_file = "{dir}/test.extxyz"
energy_key = "energy"
[model]
num_layers = 1
num_degrees = 2
num_channels = 4
num_heads = 2
channels_div = 1
radial_hidden = 8
out_channels = 4
mlp_hidden = 8
radial_basis = 4
radial_max = 4.0
[train]
epochs = 2
batch_size = 8
lr = 3e-3
force_weight = 1.0
threads = 1
seed = 5
out_dir = "{dir}/run"
"""


@pytest.fixture(scope="session")
def molecule_run(tmp_path_factory):
    """A tiny energy + force model trained by the C++ trainer on frames of the shipped amons
    set (kcal/mol, kcal/mol/A): (run directory, test file)."""
    d = tmp_path_factory.mktemp("molecules")
    amons = SOURCE_DIR / "data" / "amons-forces"
    for split, count in (("train", 24), ("valid", 8), ("test", 8)):
        frames = se3t.read_extxyz(str(amons / f"{split}.extxyz"))[:count]
        se3t.write_extxyz(str(d / f"{split}.extxyz"), frames)
    config = d / "molecules.toml"
    config.write_text(MOLECULE_CONFIG.format(dir=d))
    result = se3t.train(str(config))
    assert result["epochs"] == 2 and not result["interrupted"]
    return d / "run", d / "test.extxyz"

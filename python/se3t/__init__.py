"""se3t: SE(3)-Transformers and Tensor Field Networks on se3t's C++ engine, as PyTorch modules.

Everything here calls the C++ library: the SO(3) functions, graphs, layers and models are the
ones the ``se3t`` command line runs, tensors cross without copies and autograd flows through
every binding. Model files are shared with the command line and C++ (save_model / load_model).
C++ errors arrive as ValueError (bad input) or RuntimeError with the C++ message.
"""

import contextlib

import torch  # first: torch's types and casters must exist before the extension loads

from . import _se3t
from ._se3t import (
    EdgeGeometry,
    EquivariantBasis,
    Fiber,
    Frame,
    GraphBatch,
    Molecule,
    MoleculeBatch,
    MoleculeEnsemble,
    NBodyBatch,
    NBodyDataset,
    NBodySplit,
    SE3TransformerOptions,
    check_features,
    clebsch_gordan,
    concat_graphs,
    bf16_radial_available,
    default_kernel_path,
    default_radial_precision,
    edge_geometry,
    euler_angles_to_matrix,
    fiber_of,
    flatten_features,
    fully_connected_graph,
    gaussian_radial_basis,
    kernel_from_basis,
    knn_graph,
    load_molecules,
    load_nbody_split,
    load_qm9_directory,
    make_molecule_batch,
    molecules_from_frames,
    nbody_epoch_augmentation,
    nbody_epoch_plan,
    nbody_flip_charges,
    nbody_graph,
    nbody_reverse_time,
    num_basis_J,
    pool_graphs,
    quaternion_to_matrix,
    radius_graph,
    random_rotation,
    read_extxyz,
    read_pdb,
    rotation_x,
    rotation_y,
    rotation_z,
    set_default_kernel_path,
    set_default_radial_precision,
    sh_dim,
    show_config,
    so3_self_check,
    spherical_harmonic,
    spherical_harmonics,
    task_names,
    train,
    triangle,
    unflatten_features,
    wigner_D,
    wigner_D_block,
    wigner_D_from_angles,
    wigner_D_from_quaternion,
    write_extxyz,
)
from .modules import (
    AttentionBlockSE3,
    AttentionSE3,
    AttentiveSelfInteraction,
    ConvSE3,
    CppModule,
    LinearSE3,
    MoleculeModel,
    NormSE3,
    SE3Transformer,
    TensorFieldNetwork,
)
from .modules import _wrap_network

__version__ = "0.1.0"


def load_model(path):
    """The network of a model file (se3t.save_model, C++ save_model, or an N-body checkpoint)
    as an SE3Transformer (or TensorFieldNetwork) module."""
    return _wrap_network(_se3t.load_model(str(path)))


def save_model(model, path):
    """Writes the options and parameters of an SE3Transformer: the file load_model, C++
    se3t::load_model and the command line read."""
    cpp = model.cpp if isinstance(model, CppModule) else model
    if not isinstance(cpp, _se3t.SE3Transformer):
        raise ValueError("se3t: save_model: model: expected an se3t.SE3Transformer or "
                         "TensorFieldNetwork, got " + type(model).__name__)
    _se3t.save_model(cpp, str(path))


def load_molecule_model(path):
    """A molecule run's checkpoint.pt or best_model.pt as a MoleculeModel module."""
    return MoleculeModel._from_cpp(_se3t.load_molecule_model(str(path)))


@contextlib.contextmanager
def kernel_path(path):
    """Runs the block with the process-wide kernel path "fused" or "reference" (the layers
    built with kernel="auto", every model's), restoring the previous one after."""
    previous = default_kernel_path()
    set_default_kernel_path(path)
    try:
        yield
    finally:
        set_default_kernel_path(previous)


@contextlib.contextmanager
def radial_precision(precision):
    """Runs the block with the process-wide radial-weight precision "float32" or "bf16-radial"
    (bfloat16 products with float32 sums on CPUs with AVX512-BF16), restoring the previous one
    after."""
    previous = default_radial_precision()
    set_default_radial_precision(precision)
    try:
        yield
    finally:
        set_default_radial_precision(previous)

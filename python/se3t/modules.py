"""se3t's C++ layers and models as torch.nn.Module objects.

A wrapper holds the C++ module (``.cpp``) and registers the C++ module's own parameter tensors
as its parameters: the Python ``torch.nn.Parameter`` and the tensor the C++ forward reads are one
TensorImpl, so ``torch.optim`` updates the C++ weights in place, gradients accumulate where C++
reads them, and ``state_dict()`` / ``load_state_dict()`` carry the C++ parameter names
(``blocks.0.attention.query.weight_0``, as the C++ ``named_parameters()``). ``train()`` /
``eval()`` set the C++ module's mode; ``to()`` / ``double()`` / ``cuda()`` convert the C++
tensors in place (``tensor.data = ...``, as LibTorch's ``Module::to`` does).

Features are dicts ``{degree: tensor [N, C, 2l+1]}``; graphs are ``se3t.GraphBatch`` objects.
"""

import torch

from . import _se3t

__all__ = [
    "CppModule",
    "LinearSE3",
    "NormSE3",
    "AttentiveSelfInteraction",
    "ConvSE3",
    "AttentionSE3",
    "AttentionBlockSE3",
    "SE3Transformer",
    "TensorFieldNetwork",
    "MoleculeModel",
]


class _Submodule(torch.nn.Module):
    """A node of the C++ module tree: holds the parameters of one C++ submodule."""

    def forward(self, *args, **kwargs):
        raise RuntimeError("se3t: a C++ submodule runs inside its top-level module only")


class CppModule(torch.nn.Module):
    """A torch.nn.Module over a C++ se3t module whose parameters are the C++ tensors."""

    def __init__(self, cpp):
        super().__init__()
        self._bind(cpp)

    @classmethod
    def _from_cpp(cls, cpp):
        module = cls.__new__(cls)
        CppModule.__init__(module, cpp)
        return module

    def _bind(self, cpp):
        self.cpp = cpp
        for dotted, tensor in cpp.named_parameters():
            self._adopt(dotted, tensor, parameter=True)
        for dotted, tensor in cpp.named_buffers():
            self._adopt(dotted, tensor, parameter=False)
        super().train(cpp.training)

    def _adopt(self, dotted, tensor, parameter):
        *path, leaf = dotted.split(".")
        owner = self
        for part in path:
            child = owner._modules.get(part)
            if child is None:
                child = _Submodule()
                owner.add_module(part, child)
            owner = child
        if parameter:
            # The same TensorImpl, now seen by Python as a Parameter (torch.nn.Parameter(t)
            # would detach it into a new TensorImpl the C++ module never reads).
            if not isinstance(tensor, torch.nn.Parameter):
                tensor.__class__ = torch.nn.Parameter
            owner.register_parameter(leaf, tensor)
        else:
            owner.register_buffer(leaf, tensor)

    def _cpp_tensors(self):
        for _, t in self.cpp.named_parameters():
            yield t
        for _, t in self.cpp.named_buffers():
            yield t

    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("se3t: train(mode): expected a bool, got " + type(mode).__name__)
        self.cpp.train(mode)
        return super().train(mode)

    def _apply(self, fn):
        # In place on the C++ tensors (torch.nn.Module._apply would replace buffers, and with
        # overwrite_module_params_on_conversion also parameters, by tensors C++ never sees).
        for t in self._cpp_tensors():
            with torch.no_grad():
                applied = fn(t)
            if not torch._has_compatible_shallow_copy_type(t, applied):
                raise RuntimeError("se3t: cannot convert a C++ module's tensor of type "
                                   f"{t.type()} in place to {applied.type()}")
            t.data = applied
            if t.grad is not None:
                with torch.no_grad():
                    t.grad = fn(t.grad)
        return self

    def __deepcopy__(self, memo):
        raise TypeError("se3t: C++ modules cannot be deep-copied; save_model / load_model (or "
                        "state_dict / load_state_dict into a new module) copy one")

    def __reduce_ex__(self, protocol):
        raise TypeError("se3t: C++ modules cannot be pickled; save their state_dict() or use "
                        "se3t.save_model")


def _geometry(graph, max_degree):
    """The shared edge quantities of a graph (or the EdgeGeometry given)."""
    if isinstance(graph, _se3t.EdgeGeometry):
        return graph
    if not isinstance(graph, _se3t.GraphBatch):
        raise ValueError("se3t: graph: expected a GraphBatch or EdgeGeometry, got "
                         + type(graph).__name__)
    return _se3t.edge_geometry(graph, max_degree)


class _Layer(CppModule):
    """A layer built from keyword arguments of its C++ options."""

    _cpp_type = None

    def __init__(self, *args, **kwargs):
        super().__init__(self._cpp_type(*args, **kwargs))

    @property
    def fiber_in(self):
        return self.cpp.fiber_in

    @property
    def fiber_out(self):
        return self.cpp.fiber_out

    def extra_repr(self):
        return f"{self.cpp.fiber_in} -> {self.cpp.fiber_out}"


class LinearSE3(_Layer):
    """f_out^l = W^l f_in^l per degree (a bias for degree 0 only)."""

    _cpp_type = _se3t.LinearSE3

    def forward(self, features):
        return self.cpp.forward(features)


class NormSE3(_Layer):
    """The norm nonlinearity ReLU(LayerNorm(|f|) + b) f / |f| (the paper's Section 3.4)."""

    _cpp_type = _se3t.NormSE3

    def forward(self, features):
        return self.cpp.forward(features)


class AttentiveSelfInteraction(_Layer):
    """Channel mixing with weights from each node's invariant Gram matrix (Section 3.3)."""

    _cpp_type = _se3t.AttentiveSelfInteraction

    def forward(self, features):
        return self.cpp.forward(features)


class _GraphLayer(_Layer):
    def _max_degree(self):
        return max(self.cpp.fiber_in.max_degree, self.cpp.fiber_out.max_degree)

    def forward(self, features, graph):
        """features {l: [N, C, 2l+1]}; graph a GraphBatch or an EdgeGeometry of it."""
        return self.cpp.forward(features, _geometry(graph, self._max_degree()))


class ConvSE3(_GraphLayer):
    """The Tensor Field Network layer (the paper's eq. 3): kernels W^{lk}(x_ij) on every edge."""

    _cpp_type = _se3t.ConvSE3


class AttentionSE3(_GraphLayer):
    """Multi-head equivariant graph attention (the paper's eq. 10-11)."""

    _cpp_type = _se3t.AttentionSE3

    def forward_with_weights(self, features, graph):
        """(outputs, attention weights alpha [E, num_heads])."""
        return self.cpp.forward_with_weights(features, _geometry(graph, self._max_degree()))


class AttentionBlockSE3(_GraphLayer):
    """Attention (or ConvSE3), skip connection and self-interaction: the paper's GSE3Res."""

    _cpp_type = _se3t.AttentionBlockSE3


class SE3Transformer(CppModule):
    """The SE(3)-Transformer: SE3Transformer(fiber_in=..., fiber_hidden=..., fiber_out=...,
    num_layers=..., ...) with the keywords of se3t.SE3TransformerOptions, or
    SE3Transformer(options). forward(graph, features) returns the output features dict."""

    _attention = True

    def __init__(self, options=None, **kwargs):
        if options is None:
            kwargs.setdefault("attention", self._attention)
            options = _se3t.SE3TransformerOptions(**kwargs)
        elif kwargs:
            raise ValueError("se3t: give either options or keyword settings, not both")
        elif options.attention != self._attention:
            raise ValueError(f"se3t: {type(self).__name__}: options.attention must be "
                             f"{self._attention}")
        super().__init__(_se3t.SE3Transformer(options))

    @property
    def options(self):
        return self.cpp.options

    def forward(self, graph, features):
        return self.cpp.forward(graph, features)

    def extra_repr(self):
        o = self.cpp.options
        return (f"{o.fiber_in} -> {o.fiber_hidden} x {o.num_layers} -> {o.fiber_out}, "
                f"heads {o.num_heads}, edge_dim {o.edge_dim}")


class TensorFieldNetwork(SE3Transformer):
    """The attention-free special case: the same stack with ConvSE3 blocks."""

    _attention = False


def _wrap_network(cpp):
    cls = SE3Transformer if cpp.options.attention else TensorFieldNetwork
    return cls._from_cpp(cpp)


class MoleculeModel(CppModule):
    """A molecule model of a training run (se3t.load_molecule_model): energies in the data's
    units, forces F = -dE/dx."""

    def forward(self, batch):
        """The standardised prediction y [G] of a MoleculeBatch (differentiable)."""
        return self.cpp.forward(batch)

    def batch(self, molecules, indices=None):
        return self.cpp.batch(list(molecules), indices)

    def energy(self, molecules):
        """E [G] float64 of a list of se3t.Molecule (or a MoleculeBatch)."""
        b = molecules if isinstance(molecules, _se3t.MoleculeBatch) else self.batch(molecules)
        return self.cpp.energy(b)

    def energy_and_forces(self, molecules, create_graph=False):
        """(E [G], F [N, 3]) float64; create_graph keeps the graph for a loss on F."""
        b = molecules if isinstance(molecules, _se3t.MoleculeBatch) else self.batch(molecules)
        return self.cpp.energy_and_forces(b, create_graph)

    @property
    def elements(self):
        return self.cpp.elements

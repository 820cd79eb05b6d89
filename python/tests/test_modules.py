"""The C++ layers and models as torch.nn.Modules: parameters are the C++ tensors (optimizer
steps reach the C++ forward), train/eval, to(dtype), state_dict round trips, equivariance of
whole models built from Python, gradients against finite differences, and bad input."""

import copy

import pytest
import torch

import se3t
from conftest import cloud, random_features, rel_error, rotate_features

SMALL = dict(fiber_in={0: 2, 1: 1}, fiber_hidden=se3t.Fiber.uniform(2, 4), fiber_out={0: 1, 1: 2},
             num_layers=2, num_heads=2, channels_div=2, radial_hidden=8)


def small_model(cls=se3t.SE3Transformer, **kw):
    return cls(**{**SMALL, **kw}).double()


def test_parameters_are_the_cpp_tensors():
    model = small_model()
    cpp = dict(model.cpp.named_parameters())
    py = dict(model.named_parameters())
    assert set(py) == set(cpp) and len(py) > 10
    for name, p in py.items():
        assert isinstance(p, torch.nn.Parameter) and p.requires_grad
        assert p is cpp[name]  # one Python object, so one TensorImpl
        assert p._cdata == cpp[name]._cdata
    assert "blocks.0.attention.query.weight_0" in py
    assert set(model.state_dict()) == set(cpp)


def test_optimizer_steps_reach_the_cpp_forward():
    model = small_model()
    g = cloud(10)
    x = random_features(model.options.fiber_in, 10)
    before = model.cpp.forward(g, x)[1].detach().clone()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss = sum(v.square().sum() for v in model(g, x).values())
    loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert all(gr is not None for gr in grads.values())
    # The C++ tensor holds the same gradient (autograd accumulated it where C++ reads).
    for name, t in model.cpp.named_parameters():
        assert t.grad is grads[name]
    opt.step()
    after = model.cpp.forward(g, x)[1].detach()
    assert not torch.allclose(before, after)
    # A user module nesting ours: its parameters include the C++ ones.
    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = small_model()
            self.scale = torch.nn.Parameter(torch.ones((), dtype=torch.float64))

        def forward(self, g, x):
            return self.scale * self.net(g, x)[1]

    head = Head()
    assert len(list(head.parameters())) == len(list(head.net.cpp.named_parameters())) + 1
    head.eval()
    assert not head.net.cpp.training
    head.train()
    assert head.net.cpp.training


def test_train_eval_and_dtype():
    model = se3t.SE3Transformer(**SMALL)
    assert model.training and model.cpp.training
    model.eval()
    assert not model.training and not model.cpp.training
    assert all(not m.training for m in model.modules())
    model.train()
    assert model.cpp.training
    ids = {n: p._cdata for n, p in model.named_parameters()}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    model.to(torch.float64)
    for name, t in model.cpp.named_parameters():
        assert t.dtype == torch.float64 and t._cdata == ids[name]
        assert dict(model.named_parameters())[name] is t
    out = model(cloud(6), random_features(model.options.fiber_in, 6))
    assert out[1].dtype == torch.float64
    out[1].sum().backward()
    model.float()  # gradients convert with their parameters
    p = next(model.parameters())
    assert p.dtype == torch.float32 and p.grad.dtype == torch.float32
    with pytest.raises(TypeError, match="deep-copied"):
        copy.deepcopy(model)


def test_state_dict_round_trip():
    a, b = small_model(), small_model()
    g = cloud(8)
    x = random_features(a.options.fiber_in, 8)
    assert not torch.allclose(a(g, x)[1], b(g, x)[1])
    b.load_state_dict(a.state_dict())
    for k, v in a(g, x).items():
        torch.testing.assert_close(b(g, x)[k], v, rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="Missing key"):
        b.load_state_dict({})


@pytest.mark.parametrize("cls", [se3t.SE3Transformer, se3t.TensorFieldNetwork])
def test_model_equivariance_float64(cls):
    model = small_model(cls, edge_dim=1)
    assert model.options.attention == (cls is se3t.SE3Transformer)
    n = 40
    pos = torch.randn(n, 3, dtype=torch.float64) * 2
    graph_id = torch.arange(2).repeat_interleave(n // 2)
    x = random_features(model.options.fiber_in, n)
    R = se3t.random_rotation(1)[0]
    t = torch.randn(3, dtype=torch.float64)

    def run(p, feats):
        g = se3t.knn_graph(p, 8, graph_id, 2)
        g.edge_attr = (p[g.src] - p[g.dst]).norm(dim=1, keepdim=True).square()
        return model(g, feats)

    out = run(pos, x)
    out_rot = run(pos @ R.T + t, rotate_features(x, R))
    for l, f in rotate_features(out, R).items():
        assert rel_error(out_rot[l], f) < 1e-12, (cls.__name__, l)


def test_layers_as_modules():
    g = cloud(9)
    fin, fout = se3t.Fiber({0: 3, 1: 2}), se3t.Fiber({0: 2, 1: 2, 2: 1})
    x = random_features(fin, 9)
    R = se3t.random_rotation(1)[0]
    g_rot = se3t.fully_connected_graph(g.pos @ R.T)
    layers = [
        se3t.ConvSE3(fin, fout, self_interaction=True),
        se3t.AttentionSE3(fin, fout, num_heads=1, channels_div=1),
        se3t.AttentionBlockSE3(fin, fout, num_heads=1, channels_div=1),
        se3t.AttentionBlockSE3(fin, fout, attention=False, self_interaction="attentive"),
    ]
    for layer in layers:
        layer.double()
        out = layer(x, g)
        assert set(out) == set(fout.degrees)
        assert all(out[l].shape == (9, fout.channels(l), 2 * l + 1) for l in out)
        out_rot = layer(rotate_features(x, R), g_rot)
        for l, f in rotate_features(out, R).items():
            assert rel_error(out_rot[l], f) < 1e-12, type(layer).__name__
        assert len(list(layer.parameters())) == len(layer.cpp.named_parameters())
    out, alpha = layers[1].forward_with_weights(x, g)
    assert alpha.shape == (g.num_edges, 1)
    sums = torch.zeros(9, dtype=torch.float64).index_add_(0, g.dst, alpha[:, 0])
    torch.testing.assert_close(sums, torch.ones(9, dtype=torch.float64))
    # A geometry built once serves several layers.
    geo = se3t.edge_geometry(g, 2)
    torch.testing.assert_close(layers[0](x, geo)[1], layers[0](x, g)[1], rtol=0, atol=0)
    for layer in (se3t.LinearSE3(fin, {0: 4, 1: 1}), se3t.NormSE3(fin),
                  se3t.AttentiveSelfInteraction(fin, {0: 2, 1: 2})):
        layer.double()
        out = layer(x)
        for l, f in rotate_features(out, R).items():
            assert rel_error(layer(rotate_features(x, R))[l], f) < 1e-12
    # LinearSE3 is W^l f^l (+ bias for degree 0): check against its weights.
    lin = se3t.LinearSE3(fin, {0: 4, 1: 1}).double()
    w = dict(lin.named_parameters())
    torch.testing.assert_close(lin(x)[1], torch.einsum("oc,ncm->nom", w["weight_1"], x[1]))
    torch.testing.assert_close(
        lin(x)[0], torch.einsum("oc,ncm->nom", w["weight_0"], x[0]) + w["bias_0"][None, :, None])


def test_kernel_paths_agree():
    model = small_model(edge_dim=1)
    g = cloud(10)
    g.edge_attr = torch.randn(g.num_edges, 1, dtype=torch.float64)
    x = random_features(model.options.fiber_in, 10)
    assert se3t.default_kernel_path() == "fused"
    fused = model(g, x)
    with se3t.kernel_path("reference"):
        assert se3t.default_kernel_path() == "reference"
        reference = model(g, x)
    assert se3t.default_kernel_path() == "fused"
    for l in fused:
        assert rel_error(fused[l], reference[l]) < 1e-12
    conv = se3t.ConvSE3({0: 2, 1: 1}, {0: 1, 1: 1}, kernel="reference").double()
    conv_fused = se3t.ConvSE3({0: 2, 1: 1}, {0: 1, 1: 1}, kernel="fused").double()
    conv_fused.load_state_dict(conv.state_dict())
    y = random_features(se3t.Fiber({0: 2, 1: 1}), 10)
    g.edge_attr = None
    assert rel_error(conv_fused(y, g)[1], conv(y, g)[1]) < 1e-12


def test_bf16_radial_precision():
    # A float32 model with bfloat16 radial weights: rounded by bfloat16's precision, not
    # float32's, where the CPU has AVX512-BF16 (the same numbers elsewhere); still equivariant.
    model = small_model().float()
    g = cloud(12, dtype=torch.float32)
    x = random_features(model.options.fiber_in, 12, dtype=torch.float32)
    exact = model(g, x)
    assert se3t.default_radial_precision() == "float32"
    R = se3t.random_rotation(1, dtype=torch.float64)[0]
    with se3t.radial_precision("bf16-radial"):
        assert se3t.default_radial_precision() == "bf16-radial"
        rounded = model(g, x)
        g_rot = se3t.fully_connected_graph((g.pos.double() @ R.T).float())
        out_rot = model(g_rot, rotate_features(x, R.float()))
    assert se3t.default_radial_precision() == "float32"
    for l in exact:
        err = rel_error(rounded[l], exact[l])
        if se3t.bf16_radial_available():
            assert 1e-6 < err < 3e-2
        else:
            assert err == 0
        assert rel_error(out_rot[l], rotate_features({l: rounded[l]}, R.float())[l]) < 1e-5
    with pytest.raises(ValueError, match="float32 or bf16-radial"):
        se3t.set_default_radial_precision("bf16")


def test_gradients_against_finite_differences():
    model = se3t.SE3Transformer(fiber_in={0: 1, 1: 1}, fiber_hidden={0: 2, 1: 2}, fiber_out={1: 1},
                                num_layers=1, num_heads=1, channels_div=1, radial_hidden=4).double()
    n = 5
    pos = torch.randn(n, 3, dtype=torch.float64, requires_grad=True)
    s = torch.randn(n, 1, 1, dtype=torch.float64, requires_grad=True)
    v = torch.randn(n, 1, 3, dtype=torch.float64, requires_grad=True)

    def f(p, s_, v_):
        return model(se3t.fully_connected_graph(p), {0: s_, 1: v_})[1]

    assert torch.autograd.gradcheck(f, (pos, s, v), atol=1e-6, rtol=1e-5)
    # And with respect to a parameter (through the C++ tensor).
    w = dict(model.named_parameters())["blocks.0.projection.weight_1"]
    g = se3t.fully_connected_graph(pos.detach())
    x = {0: s.detach(), 1: v.detach()}

    def loss():
        return model(g, x)[1].square().sum()

    model.zero_grad()
    loss().backward()
    analytic = w.grad[0, 0].item()
    h = 1e-6
    with torch.no_grad():
        w[0, 0] += h
        up = loss().item()
        w[0, 0] -= 2 * h
        down = loss().item()
        w[0, 0] += h
    assert abs(analytic - (up - down) / (2 * h)) < 1e-6 * max(1.0, abs(analytic))


def test_bad_input_raises_with_the_argument():
    model = small_model()
    g = cloud(6)
    x = random_features(model.options.fiber_in, 6)
    with pytest.raises(ValueError, match="features") as e:
        model(g, {0: x[0]})  # degree 1 missing
    assert "Traceback" not in str(e.value) and "frame #" not in str(e.value)
    with pytest.raises(ValueError, match="features"):
        model(g, {0: x[0], 1: x[1][:, :, :2]})  # wrong 2l+1
    with pytest.raises(ValueError, match="features"):
        model(g, {0: x[0][:5], 1: x[1]})  # wrong row count
    with pytest.raises(ValueError, match="features"):
        model(g, {0: x[0].long(), 1: x[1]})  # integer dtype
    with pytest.raises(ValueError, match="edge"):
        se3t.SE3Transformer(**{**SMALL, "edge_dim": 2}).double()(g, x)
    with pytest.raises(ValueError, match="num_heads|heads"):
        se3t.SE3Transformer(**{**SMALL, "num_heads": 3})
    with pytest.raises(ValueError, match="Fiber|fiber|channel"):
        se3t.Fiber({0: -1})
    with pytest.raises(ValueError, match="aggregation"):
        se3t.ConvSE3({0: 1}, {0: 1}, aggregation="max")
    with pytest.raises(ValueError, match="graph"):
        se3t.ConvSE3({0: 1}, {0: 1})(x, "not a graph")
    # LibTorch's own check (features and weights of different dtypes) arrives as RuntimeError
    # with LibTorch's message and without the C++ backtrace.
    with pytest.raises(RuntimeError, match="expected scalar type") as e:
        se3t.LinearSE3({0: 2}, {0: 1}).double()({0: torch.randn(3, 2, 1, dtype=torch.float32)})
    assert "frame #" not in str(e.value) and "Exception raised from" not in str(e.value)

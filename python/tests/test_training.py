"""A training loop written in Python (torch.optim.Adam over se3t.SE3Transformer) on a small
N-body set against the C++ trainer (`se3t train`) on the same data and seed: the loss falls,
and after the same K steps the parameters are the same."""

import json
import math
import subprocess

import pytest
import torch

import se3t

CONFIG = """task = "nbody"
[data]
protocol = "paper"
dir = "{dir}/data"
num_train = 12
num_test = 4
seed = 3
[model]
num_layers = 1
num_degrees = 2
num_channels = 4
num_heads = 2
channels_div = 1
radial_hidden = 8
[train]
epochs = 3
batch_size = 4
lr = 3e-3
lr_min = 3e-4
seed = 11
threads = 1
out_dir = "{dir}/run"
"""

EPOCHS, BATCH, LR, LR_MIN, SEED = 3, 4, 3e-3, 3e-4, 11


def learning_rate(t):
    """The cosine schedule of [train], stepped every iteration (t in epochs)."""
    x = min(max(t / EPOCHS, 0.0), 1.0)
    return LR_MIN + 0.5 * (LR - LR_MIN) * (1.0 + math.cos(math.pi * x))


def nbody_loss(model, dataset, sims, frames, reversed_=None, flipped=None):
    batch = dataset.batch_at(sims, frames)
    if reversed_ is not None:
        batch = se3t.nbody_reverse_time(batch, reversed_)
    if flipped is not None:
        batch = se3t.nbody_flip_charges(batch, flipped)
    graph = se3t.nbody_graph(batch, torch.float32)
    features = {0: batch.charges.float().view(-1, 1, 1), 1: batch.vel.float().unsqueeze(1)}
    out = model(graph, features)[1]  # [N, 2, 3]: changes of position and velocity
    dpos = (batch.target_pos - batch.pos).float()
    dvel = (batch.target_vel - batch.vel).float()
    return 0.5 * ((out[:, 0] - dpos).square().mean() + (out[:, 1] - dvel).square().mean())


@pytest.mark.parametrize("augment", [False, True], ids=["plain", "augmented"])
def test_python_loop_equals_cpp_trainer(tmp_path, cli, augment):
    config = tmp_path / "nbody.toml"
    extra = "time_reversal = true\ncharge_flip = true\n" if augment else ""
    config.write_text(CONFIG.format(dir=tmp_path) + extra)
    result = se3t.train(str(config))  # generates the data, trains 3 epochs of 3 steps
    assert result["steps"] == EPOCHS * 3
    trained = se3t.load_model(tmp_path / "run" / "checkpoint.pt")

    train = se3t.NBodyDataset(se3t.load_nbody_split(str(tmp_path / "data"), "train"), 0, 5)
    assert len(train) == 12
    torch.set_num_threads(1)
    torch.manual_seed(SEED)  # as the trainer does before it builds the model
    model = se3t.SE3Transformer(fiber_in={0: 1, 1: 1}, fiber_hidden=se3t.Fiber.uniform(1, 4),
                                fiber_out={1: 2}, num_layers=1, num_heads=2, channels_div=1,
                                radial_hidden=8, edge_dim=1)
    assert model.options == trained.options
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    everything = list(range(len(train)))

    def full_loss():
        with torch.no_grad():
            return nbody_loss(model, train, everything, [0] * len(train)).item()

    initial = full_loss()
    steps = math.ceil(len(train) / BATCH)
    model.train()
    for epoch in range(EPOCHS):
        sims, frames = se3t.nbody_epoch_plan(SEED, epoch, train)
        rev, flip = se3t.nbody_epoch_augmentation(SEED, epoch, train, False, augment, augment)
        assert (sum(rev) + sum(flip) > 0) == augment
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = learning_rate(epoch + step / steps)
            begin, end = step * BATCH, min(len(train), (step + 1) * BATCH)
            opt.zero_grad()
            part = slice(begin, end)
            loss = nbody_loss(model, train, sims[part], frames[part],
                              rev[part] if augment else None, flip[part] if augment else None)
            loss.backward()
            opt.step()
    assert full_loss() < initial

    cpp = trained.state_dict()
    worst = 0.0
    for name, p in model.state_dict().items():
        worst = max(worst, float((p - cpp[name]).abs().max()))
    # The same operations in the same order on one thread: bit for bit.
    assert worst == 0.0, f"largest parameter difference {worst:.3g}"

    # The model trained in Python, saved from Python, scored by `se3t eval`: the command line's
    # MSE equals the one computed here from the same predictions.
    se3t.save_model(model, tmp_path / "python_model.pt")
    out = subprocess.run([cli, "eval", "--checkpoint", str(tmp_path / "python_model.pt"),
                          "--data", str(tmp_path / "data"), "--split", "test", "--frames", "fixed",
                          "--rotations", "0", "--batch-size", "4", "--threads", "1"],
                         check=True, capture_output=True, text=True)
    metrics = json.loads(out.stdout)
    test = se3t.NBodyDataset(se3t.load_nbody_split(str(tmp_path / "data"), "test"), 0, 5)
    model.eval()
    se_pos, se_vel, count = 0.0, 0.0, 0
    with torch.no_grad():
        for begin in range(0, len(test), 4):
            batch = test.batch(list(range(begin, min(len(test), begin + 4))))
            graph = se3t.nbody_graph(batch, torch.float32)
            delta = model(graph, {0: batch.charges.float().view(-1, 1, 1),
                                  1: batch.vel.float().unsqueeze(1)})[1].double()
            se_pos += float((batch.pos + delta[:, 0] - batch.target_pos).square().sum())
            se_vel += float((batch.vel + delta[:, 1] - batch.target_vel).square().sum())
            count += batch.pos.numel()
    assert metrics["mse_position"] == pytest.approx(se_pos / count, rel=1e-9)
    assert metrics["mse_velocity"] == pytest.approx(se_vel / count, rel=1e-9)

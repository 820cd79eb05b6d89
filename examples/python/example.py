# An SE(3)-Transformer from Python inside a user's own torch module, trained a few steps with
# torch.optim.Adam; its vector output rotates with the input, f(R x) = R f(x).
import torch

import se3t


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = se3t.SE3Transformer(
            fiber_in={0: 1},                          # one scalar per point
            fiber_hidden=se3t.Fiber.uniform(2, 8),    # degrees 0, 1, 2 with 8 channels each
            fiber_out={1: 1},                         # one vector per point
            num_layers=2)

    def forward(self, pos, scalars):
        graph = se3t.fully_connected_graph(pos)     # one graph, edges j -> i for j != i
        return self.net(graph, {0: scalars})[1]     # {degree: [N, C, 2l+1]} -> [N, 1, 3]


torch.manual_seed(0)
model = Model().double()
pos = torch.randn(16, 3, dtype=torch.float64)
scalars = torch.randn(16, 1, 1, dtype=torch.float64)
target = torch.randn(16, 1, 3, dtype=torch.float64)

optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # the C++ weights, updated in place
for step in range(5):
    optimizer.zero_grad()
    loss = (model(pos, scalars) - target).square().mean()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    R = se3t.random_rotation(1, dtype=torch.float64)[0]
    out = model(pos, scalars)
    error = ((model(pos @ R.T, scalars) - out @ R.T).norm() / out.norm()).item()
print(f"equivariance error {error:.1e}")
se3t.save_model(model.net, "model.pt")  # the file se3t::load_model and the command line read
assert error < 1e-10

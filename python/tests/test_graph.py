"""Graph bindings against brute-force neighbourhoods computed here, GraphBatch fields, errors."""

import pytest
import torch

import se3t


def edges_of(g):
    return sorted(zip(g.src.tolist(), g.dst.tolist()))


def brute_force(pos, graph_id, keep):
    """Edges (j, i), j != i in one graph, for which keep(i, j, sorted distances of i) holds."""
    d = torch.cdist(pos, pos)
    out = []
    for i in range(len(pos)):
        others = [j for j in range(len(pos)) if j != i and graph_id[j] == graph_id[i]]
        ranked = sorted(others, key=lambda j: (float(d[i, j]), j))
        out += [(j, i) for j in ranked if keep(i, j, ranked, d)]
    return sorted(out)


def test_fully_connected():
    pos = torch.randn(7, 3, dtype=torch.float64)
    graph_id = torch.tensor([0, 0, 0, 1, 1, 1, 1])
    g = se3t.fully_connected_graph(pos, graph_id)
    assert g.num_graphs == 2 and g.num_nodes == 7 and g.num_edges == 3 * 2 + 4 * 3
    assert edges_of(g) == brute_force(pos, graph_id, lambda i, j, r, d: True)
    # Sorted by dst, then src; x_ij = x_j - x_i.
    assert torch.all(g.dst[1:] >= g.dst[:-1])
    torch.testing.assert_close(g.relative_positions(), pos[g.src] - pos[g.dst], rtol=0, atol=0)
    assert g.pos is not None and g.edge_attr is None
    assert g.graph_sizes().tolist() == [3, 4]
    single = se3t.fully_connected_graph(pos)
    assert single.num_graphs == 1 and single.num_edges == 42


def test_knn_and_radius():
    pos = torch.rand(30, 3, dtype=torch.float64) * 3
    graph_id = torch.tensor([0] * 12 + [1] * 18)
    g = se3t.knn_graph(pos, 4, graph_id, 2)
    assert edges_of(g) == brute_force(pos, graph_id, lambda i, j, r, d: j in r[:4])
    g = se3t.radius_graph(pos, 1.2, graph_id)
    assert edges_of(g) == brute_force(pos, graph_id, lambda i, j, r, d: float(d[i, j]) < 1.2)
    g = se3t.radius_graph(pos, 1.2, graph_id, max_neighbours=2)
    assert edges_of(g) == brute_force(
        pos, graph_id, lambda i, j, r, d: float(d[i, j]) < 1.2 and j in r[:2])


def test_periodic_radius_graph():
    # A skewed triclinic cell thinner than 2 r, periodic along a and b only: every image within
    # r, brute force over replicated cells computed here.
    cell = torch.tensor([[3.0, 0.0, 0.0], [1.0, 2.8, 0.0], [-0.5, 0.4, 3.2]], dtype=torch.float64)
    pbc = torch.tensor([True, True, False])
    pos = torch.rand(6, 3, dtype=torch.float64) @ cell
    r = 3.1  # beyond |a| = 3 and |b| = 2.97: atoms see their own images
    g = se3t.radius_graph(pos, r, cell=cell, pbc=pbc)
    assert g.periodic and g.cell.shape == (1, 3, 3) and g.edge_image.shape == (g.num_edges, 3)
    expected = []
    for i in range(6):
        for j in range(6):
            for a in range(-3, 4):
                for b in range(-3, 4):
                    if i == j and a == 0 and b == 0:
                        continue
                    x = (pos[j] - pos[i]) + (a * cell[0] + b * cell[1])
                    if float((x * x).sum()) < r * r:
                        expected.append((i, j, a, b, 0))
    got = [(d, s, *n) for d, s, n in zip(g.dst.tolist(), g.src.tolist(), g.edge_image.tolist())]
    assert got == sorted(expected)
    assert any(d == s for d, s, *_ in got)  # images of the atom itself
    x = pos[g.src] + g.edge_image.double() @ cell - pos[g.dst]
    torch.testing.assert_close(g.relative_positions(), x, rtol=0, atol=1e-14)
    # Default pbc: all three directions; a frame's cell and pbc from extended XYZ.
    assert se3t.radius_graph(pos, r, cell=cell).num_edges > g.num_edges
    with pytest.raises(ValueError, match="pbc needs a cell"):
        se3t.radius_graph(pos, r, pbc=pbc)
    with pytest.raises(ValueError, match="max_neighbours"):
        se3t.radius_graph(pos, r, cell=cell, max_neighbours=2)
    with pytest.raises(ValueError, match="singular"):
        se3t.radius_graph(pos, r, cell=torch.zeros(3, 3, dtype=torch.float64))


def test_graph_batch_fields_are_the_tensors():
    pos = torch.randn(4, 3, dtype=torch.float64)
    src = torch.tensor([1, 0, 3, 2])
    dst = torch.tensor([0, 1, 2, 3])
    attr = torch.randn(4, 2, dtype=torch.float64)
    g = se3t.GraphBatch(pos, src, dst, torch.tensor([0, 0, 1, 1]), 2, edge_attr=attr)
    assert g.pos.data_ptr() == pos.data_ptr() and g.edge_attr.data_ptr() == attr.data_ptr()
    assert g.edge_attr_dim == 2
    g.edge_attr = None
    assert g.edge_attr is None and g.edge_attr_dim == 0
    both = se3t.concat_graphs([g, g])
    assert both.num_graphs == 4 and both.src.tolist() == [1, 0, 3, 2, 5, 4, 7, 6]
    assert g.to(dtype=torch.float32).pos.dtype == torch.float32


def test_graph_errors_name_the_field():
    pos = torch.randn(3, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="pos"):
        se3t.knn_graph(torch.randn(3, 2), 2)
    with pytest.raises(ValueError, match="k"):
        se3t.knn_graph(pos, 0)
    with pytest.raises(ValueError, match="self"):
        se3t.GraphBatch(pos, torch.tensor([0]), torch.tensor([0]))
    with pytest.raises(ValueError, match="src"):
        se3t.GraphBatch(pos, torch.tensor([5]), torch.tensor([0]))
    with pytest.raises(ValueError, match="graph_id"):
        se3t.fully_connected_graph(pos, torch.tensor([1, 0, 0]), 2)
    with pytest.raises(ValueError, match="pos"):
        se3t.fully_connected_graph(torch.tensor([[0.0, 0, float("nan")]] * 2))

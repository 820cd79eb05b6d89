#include "se3t/bench/workloads.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <fstream>

#include "se3t/data/pdb.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/util/check.h"
#include "se3t/util/memory.h"
#include "se3t/util/profiler.h"
#include "se3t/util/text.h"

namespace se3t::bench {

namespace {

at::Generator generator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

// The protein model: degrees 0-2, 16 channels, 4 heads, 4 layers (docs/design.md, Benchmarks).
SE3TransformerOptions protein_options(int64_t in_channels, int64_t num_layers) {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, in_channels}};
  o.fiber_hidden = Fiber::uniform(2, 16);
  o.fiber_out = Fiber{{0, 1}};
  o.num_layers = num_layers;
  o.num_heads = 4;
  o.channels_div = 2;
  o.value_layout = ValueLayout::kPaper;  // NVIDIA's network (docs/design.md, Benchmarks)
  return o;
}

// `count` graphs of `size` nodes each: positions ~ N(0, spread^2), graph ids in blocks.
void fill_batch(Workload& w, int64_t count, int64_t size, double spread, at::Generator& g) {
  w.num_graphs = count;
  w.pos = at::randn({count * size, 3}, g, at::kFloat) * spread;
  w.graph_id = at::arange(count, at::kLong).repeat_interleave(size);
}

}  // namespace

GraphBatch Workload::build_graph() const {
  SE3T_PROFILE_PHASE(kGraph);
  GraphBatch g = knn > 0 ? knn_graph(pos, graph_id, num_graphs, knn)
                         : fully_connected_graph(pos, graph_id, num_graphs);
  if (options.edge_dim == 1) {
    SE3T_CHECK(charges.defined(), "Workload ", name, ": edge_dim 1 needs node charges");
    g.edge_attr = (charges.index_select(0, g.src) * charges.index_select(0, g.dst)).unsqueeze(1);
  }
  return g;
}

std::vector<std::string> workload_names() {
  return {"qm9", "nbody", "protein"};
}

Workload qm9_workload(int64_t molecules, uint64_t seed) {
  SE3T_CHECK(molecules >= 1, "qm9 workload: need at least one molecule, got ", molecules);
  Workload w;
  w.name = "qm9";
  w.description = "7 attention layers, degrees 0-3, 32 channels, 8 heads; " +
                  std::to_string(molecules) + " molecules x 18 atoms, fully connected";
  auto& o = w.options;
  o.fiber_in = Fiber{{0, 6}};  // one-hot of H, C, N, O, F plus a scalar, as QM9 inputs
  o.fiber_hidden = Fiber::uniform(3, 32);
  o.fiber_out = Fiber{{0, 1}};
  o.num_layers = 7;
  o.num_heads = 8;
  o.channels_div = 2;
  o.value_layout = ValueLayout::kPaper;
  o.pooling = Pooling::kMax;
  at::Generator g = generator(seed);
  fill_batch(w, molecules, 18, 1.5, g);
  w.features[0] = at::randn({w.num_nodes(), 6, 1}, g, at::kFloat);
  return w;
}

Workload nbody_workload(int64_t systems, uint64_t seed) {
  SE3T_CHECK(systems >= 1, "nbody workload: need at least one system, got ", systems);
  Workload w;
  w.name = "nbody";
  w.description = "4 attention layers, degrees 0-3, 16 channels, 2 heads; " +
                  std::to_string(systems) +
                  " systems x 5 particles, fully connected, edge attribute q_i q_j";
  auto& o = w.options;
  o.fiber_in = Fiber{{0, 1}, {1, 1}};  // charge, velocity
  o.fiber_hidden = Fiber::uniform(3, 16);
  o.fiber_out = Fiber{{1, 2}};
  o.num_layers = 4;
  o.num_heads = 2;
  o.channels_div = 2;
  o.value_layout = ValueLayout::kPaper;
  o.edge_dim = 1;
  at::Generator g = generator(seed);
  fill_batch(w, systems, 5, 2.0, g);
  const int64_t n = w.num_nodes();
  w.charges = at::bernoulli(at::full({n}, 0.5), g).mul(2).sub(1);  // +-1
  w.features[0] = w.charges.view({n, 1, 1});
  w.features[1] = at::randn({n, 1, 3}, g, at::kFloat);
  return w;
}

Workload protein_workload(const std::string& pdb_path, uint64_t seed) {
  SE3T_CHECK(std::ifstream(pdb_path).good(), "protein workload: cannot read '", pdb_path,
             "'; install Debian's theseus-examples (apt-get install theseus-examples) or pass "
             "another structure with --pdb FILE");
  PdbReadOptions read;
  read.skip_hetero = true;
  const PdbStructure s = read_pdb(pdb_path, read);
  const int64_t n = static_cast<int64_t>(s.atoms.size());
  Workload w;
  w.name = "protein";
  w.description = "4 attention layers, degrees 0-2, 16 channels, 4 heads; " + std::to_string(n) +
                  " atoms of " + pdb_path + ", k = 16 nearest neighbours";
  w.options = protein_options(5, 4);
  std::vector<float> xyz;
  xyz.reserve(3 * n);
  at::Tensor onehot = at::zeros({n, 5, 1}, at::kFloat);
  auto oh = onehot.accessor<float, 3>();
  for (int64_t i = 0; i < n; ++i) {
    for (double c : s.atoms[i].position) xyz.push_back(static_cast<float>(c));
    const int z = s.atoms[i].atomic_number;
    oh[i][z == 6 ? 0 : z == 7 ? 1 : z == 8 ? 2 : z == 16 ? 3 : 4][0] = 1;  // C, N, O, S, other
  }
  w.pos = at::from_blob(xyz.data(), {n, 3}, at::kFloat).clone();
  w.graph_id = at::zeros({n}, at::kLong);
  w.num_graphs = 1;
  w.knn = 16;
  w.features[0] = onehot;
  (void)seed;  // the structure fixes every input
  return w;
}

Workload synthetic_workload(int64_t target_edges, int64_t num_layers, uint64_t seed) {
  SE3T_CHECK(target_edges >= 17, "synthetic workload: need at least 17 edges, got ", target_edges);
  const int64_t n = (target_edges + 15) / 16;
  Workload w;
  w.name = "synthetic";
  w.description = "protein model cut to " + std::to_string(num_layers) + " layer(s); " +
                  std::to_string(n) + " random points, k = 16 nearest neighbours";
  w.options = protein_options(5, num_layers);
  at::Generator g = generator(seed);
  // A cube holding n points at 0.05 per cubic angstrom, like a protein's heavy atoms.
  const double side = std::cbrt(static_cast<double>(n) / 0.05);
  w.pos = at::rand({n, 3}, g, at::kFloat) * side;
  w.graph_id = at::zeros({n}, at::kLong);
  w.num_graphs = 1;
  w.knn = 16;
  const at::Tensor element = at::randint(5, {n}, g, at::kLong);
  w.features[0] = at::one_hot(element, 5).to(at::kFloat).unsqueeze(-1);
  return w;
}

Workload make_workload(const std::string& name, const std::string& pdb_path, int64_t batch,
                       uint64_t seed) {
  SE3T_CHECK(batch >= 0, "bench: batch must be >= 0 (0: the workload's own), got ", batch);
  // Fully connected graphs of `atoms` nodes: check the graph fits before it is built. Building
  // one takes ~70 bytes per edge at its peak (index pairs, relative positions, the
  // construction's temporaries; measured with bench qm9 --batch 20000): 64 is the estimate.
  const auto check_batch = [&](int64_t graphs, int64_t atoms) {
    const double edges = static_cast<double>(graphs) * static_cast<double>(atoms * (atoms - 1));
    check_fits_in_memory(edges * 64.0,
                         "bench " + name + " --batch " + std::to_string(graphs) + " (" +
                             format("%.3g", edges) + " edges)",
                         "lower --batch");
  };
  if (name == "qm9") {
    check_batch(batch > 0 ? batch : 32, 18);
    return qm9_workload(batch > 0 ? batch : 32, seed);
  }
  if (name == "nbody") {
    check_batch(batch > 0 ? batch : 100, 5);
    return nbody_workload(batch > 0 ? batch : 100, seed);
  }
  if (name == "protein") return protein_workload(pdb_path, seed);
  SE3T_CHECK(false, "bench: unknown workload '", name,
             "'; expected one of qm9, nbody, protein (or all)");
  return {};
}

}  // namespace se3t::bench

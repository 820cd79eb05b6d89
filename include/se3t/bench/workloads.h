// Named benchmark workloads shared by `se3t bench` and bench/bench_models.cpp (docs/design.md,
// Benchmarks): a model configuration plus the inputs of one step, from which a step rebuilds
// its graph. qm9, nbody and protein are the networks of NVIDIA's SE3Transformer on the same
// graphs (channels_div 2, the paper's value layout); the parameter counts differ only as
// docs/design.md, Benchmarks, explains.
//   qm9:     7 attention layers, degrees 0-3, 32 channels, 8 heads; 32 molecules x 18 atoms,
//            fully connected (32 * 18 * 17 = 9,792 edges)
//   nbody:   4 layers, degrees 0-3, 16 channels, 2 heads; 100 systems x 5 particles, fully
//            connected (2,000 edges), edge attribute q_i q_j
//   protein: 4 layers, degrees 0-2, 16 channels, 4 heads; the atoms of a PDB file, k = 16
//            nearest neighbours (16 N edges)
//   synthetic (the scaling run): the protein model over uniform random points, k = 16.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "se3t/graph/graph_batch.h"
#include "se3t/models/se3_transformer.h"
#include "se3t/nn/features.h"

namespace se3t::bench {

// Theseus's example lactate dehydrogenase chain (2,415 atoms), Debian package theseus-examples.
inline constexpr const char* kDefaultPdb = "/usr/share/doc/theseus/examples/ldh/1a5z_A.pdb.gz";

struct Workload {
  std::string name;
  std::string description;  // one line: model and inputs
  SE3TransformerOptions options;
  at::Tensor pos;       // [N, 3] float32
  at::Tensor graph_id;  // [N] int64
  int64_t num_graphs = 1;
  int64_t knn = 0;     // 0: fully connected graphs; k >= 1: k nearest neighbours
  at::Tensor charges;  // [N] when options.edge_dim == 1: the edge attribute is q_i q_j
  Features features;   // node features of options.fiber_in

  int64_t num_nodes() const { return pos.size(0); }
  // Builds this step's graph (neighbourhood and edge attributes), charged to the profiler's
  // graph phase.
  GraphBatch build_graph() const;
};

// The named workloads, in the order `se3t bench all` runs them.
std::vector<std::string> workload_names();  // {"qm9", "nbody", "protein"}

// The default batches are 32 molecules and 100 systems; others scale the same model.
Workload qm9_workload(int64_t molecules = 32, uint64_t seed = 0);
Workload nbody_workload(int64_t systems = 100, uint64_t seed = 0);
// The ATOM records of a PDB file (the polymer; ligands and waters dropped); fiber_in one-hot of
// the element among C, N, O, S and other. Throws se3t::Error (suggesting theseus-examples or --pdb)
// when the file is missing.
Workload protein_workload(const std::string& pdb_path = kDefaultPdb, uint64_t seed = 0);
// num_nodes = ceil(target_edges / 16) uniform random points at protein heavy-atom density (0.05
// atoms per cubic angstrom) with the protein model cut to num_layers layers.
Workload synthetic_workload(int64_t target_edges, int64_t num_layers = 1, uint64_t seed = 0);

// By name ("qm9", "nbody", "protein"); throws se3t::Error listing the names otherwise. batch:
// graphs per step for qm9 and nbody (0: the default 32 and 100); the protein is one graph.
Workload make_workload(const std::string& name, const std::string& pdb_path = kDefaultPdb,
                       int64_t batch = 0, uint64_t seed = 0);

}  // namespace se3t::bench

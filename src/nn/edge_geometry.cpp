#include "se3t/nn/edge_geometry.h"

#include <ATen/ATen.h>

#include "se3t/nn/cutoff_envelope.h"
#include "se3t/util/check.h"
#include "se3t/util/profiler.h"

namespace se3t {

EdgeGeometry edge_geometry(const GraphBatch& graph, int64_t max_degree, double smooth_cutoff) {
  SE3T_PROFILE_PHASE(kBasis);
  graph.validate();
  SE3T_CHECK(max_degree >= 0, "edge_geometry: max_degree must be >= 0, got ", max_degree);
  EdgeGeometry g;
  g.src = graph.src;
  g.dst = graph.dst;
  g.num_nodes = graph.num_nodes();
  const at::Tensor x = graph.relative_positions();
  // |x| with a masked square root: exact 0 and zero gradient for coincident points.
  const at::Tensor n2 = (x * x).sum(-1, /*keepdim=*/true);
  const at::Tensor nonzero = n2 > 0;
  g.distance = at::where(nonzero, n2, at::ones_like(n2)).sqrt() * nonzero.to(n2.scalar_type());
  g.radial_input = graph.edge_attr.defined()
                       ? at::cat({g.distance, graph.edge_attr.to(x.scalar_type())}, 1)
                       : g.distance;
  g.basis = EquivariantBasis(x, max_degree, max_degree);
  if (smooth_cutoff > 0) g.envelope = polynomial_envelope(g.distance, smooth_cutoff);
  return g;
}

}  // namespace se3t

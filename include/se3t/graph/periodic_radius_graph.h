// Radius neighbourhoods under periodic boundary conditions (docs/design.md, Conventions):
// every image of every atom of a graph's infinite crystal that lies within the cutoff.
//
// The edge from the image n of node j to node i has x_ij = x_j + n . cell - x_i (cell rows
// a, b, c); it exists when |x_ij| < r, for every integer n along the periodic directions (n = 0
// along the others) except j = i with n = 0. A cell thinner than 2r gives several images of one
// neighbour (and of the atom itself); nothing is folded into a minimum image, which would lose
// them. A cell list over the fractional coordinates (bins at least r wide, perpendicular to each
// pair of lattice vectors) makes the search O(N) in the number of atoms, for any triclinic cell.
//
// Contract as the other builders (graph/neighbourhood.h): edges sorted by dst, then src, then
// image (lexicographically); distances compared as squared distances in float64, computed as
// (dx*dx + dy*dy) + dz*dz with d = (x_j - x_i) + n . cell; the search runs on the CPU and the
// result comes back on pos's device.
#pragma once
#include <ATen/core/Tensor.h>

#include "se3t/graph/graph_batch.h"

namespace se3t {

// pos [N, 3], graph_id [N] and num_graphs as for radius_graph; cell [num_graphs, 3, 3] (rows
// a, b, c, floating, finite); pbc [num_graphs, 3] bool, periodicity along a, b, c. A graph
// periodic in some direction needs a non-singular cell; one with pbc all false is searched as
// a molecule (its cell is ignored for the search and may be zero). Requires r > 0 finite. The
// result holds cell (in pos's dtype) and edge_image [E, 3].
GraphBatch periodic_radius_graph(const at::Tensor& pos, const at::Tensor& graph_id,
                                 int64_t num_graphs, const at::Tensor& cell, const at::Tensor& pbc,
                                 double r);

}  // namespace se3t

#include "se3t/graph/neighbourhood.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <nanoflann.hpp>
#include <vector>

#include "se3t/util/check.h"
#include "se3t/util/profiler.h"

namespace se3t {

namespace {

// nanoflann dataset adaptor over the rows [start, start + n) of a contiguous [N, 3] float64 array.
struct Cloud {
  const double* pts = nullptr;
  size_t n = 0;
  size_t kdtree_get_point_count() const { return n; }
  double kdtree_get_pt(size_t i, size_t d) const { return pts[3 * i + d]; }
  template <class Box>
  bool kdtree_get_bbox(Box&) const {
    return false;
  }
};

// L2_Simple computes ((0 + dx^2) + dy^2) + dz^2, the documented distance.
using Tree = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, Cloud>, Cloud,
                                                 3, size_t>;

struct Candidate {
  double d2;
  size_t idx;
  bool operator<(const Candidate& o) const { return d2 < o.d2 || (d2 == o.d2 && idx < o.idx); }
};

// nanoflann result set: points other than `self` with squared distance < r2, keeping the `cap`
// smallest by (distance, index) when cap > 0. The bound reported to nanoflann is inflated a
// little, so that rounding in its incremental pruning distances never drops a tied point; the
// exact test happens here.
class NeighbourSet {
 public:
  NeighbourSet(size_t self, size_t cap, double r2) : self_(self), cap_(cap), r2_(r2) {}

  bool addPoint(double d2, size_t idx) {
    if (idx == self_ || !(d2 < r2_)) return true;
    const Candidate c{d2, idx};
    if (cap_ == 0) {
      items_.push_back(c);
      return true;
    }
    if (items_.size() == cap_) {
      if (!(c < items_.front())) return true;
      std::pop_heap(items_.begin(), items_.end());
      items_.pop_back();
    }
    items_.push_back(c);
    std::push_heap(items_.begin(), items_.end());  // max-heap: front is the worst kept
    return true;
  }

  double worstDist() const {
    double bound = r2_;
    if (cap_ > 0 && items_.size() == cap_) bound = std::min(bound, items_.front().d2);
    if (std::isinf(bound)) return bound;
    return std::nextafter(bound * (1.0 + 1e-9), std::numeric_limits<double>::infinity());
  }

  bool full() const { return cap_ > 0 && items_.size() == cap_; }

  // Local indices of the kept neighbours, ascending.
  std::vector<size_t> sorted_indices() const {
    std::vector<size_t> out(items_.size());
    for (size_t i = 0; i < items_.size(); ++i) out[i] = items_[i].idx;
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  size_t self_;
  size_t cap_;
  double r2_;
  std::vector<Candidate> items_;
};

// One k-d tree per graph over CPU float64 positions; answers neighbour queries per node.
class Forest {
 public:
  Forest(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs) {
    pos_ = pos.to(at::kCPU, at::kDouble).contiguous();
    const at::Tensor gid = graph_id.to(at::kCPU).contiguous();
    const int64_t n = pos_.size(0);
    const int64_t* g = gid.data_ptr<int64_t>();
    node_graph_.assign(g, g + n);
    start_.assign(static_cast<size_t>(num_graphs) + 1, 0);
    for (int64_t i = 0; i < n; ++i) ++start_[static_cast<size_t>(g[i]) + 1];
    for (size_t b = 0; b < static_cast<size_t>(num_graphs); ++b) start_[b + 1] += start_[b];
    const double* p = pos_.data_ptr<double>();
    clouds_.resize(static_cast<size_t>(num_graphs));
    trees_.resize(static_cast<size_t>(num_graphs));
    for (size_t b = 0; b < clouds_.size(); ++b) {
      const size_t size = static_cast<size_t>(start_[b + 1] - start_[b]);
      if (size == 0) continue;
      clouds_[b] = std::make_unique<Cloud>(Cloud{p + 3 * start_[b], size});
      trees_[b] =
          std::make_unique<Tree>(3, *clouds_[b], nanoflann::KDTreeSingleIndexAdaptorParams(16));
    }
  }

  int64_t num_nodes() const { return static_cast<int64_t>(node_graph_.size()); }
  // Global indices of node i's neighbours, ascending (see NeighbourSet for cap and r2).
  std::vector<int64_t> query(int64_t i, size_t cap, double r2) const {
    const size_t b = static_cast<size_t>(node_graph_[static_cast<size_t>(i)]);
    const int64_t s = start_[b];
    NeighbourSet set(static_cast<size_t>(i - s), cap, r2);
    trees_[b]->findNeighbors(set, pos_.data_ptr<double>() + 3 * i, nanoflann::SearchParams());
    const std::vector<size_t> local = set.sorted_indices();
    std::vector<int64_t> out(local.size());
    for (size_t t = 0; t < local.size(); ++t) out[t] = s + static_cast<int64_t>(local[t]);
    return out;
  }

 private:
  at::Tensor pos_;
  std::vector<int64_t> node_graph_;
  std::vector<int64_t> start_;
  std::vector<std::unique_ptr<Cloud>> clouds_;
  std::vector<std::unique_ptr<Tree>> trees_;
};

GraphBatch make_batch(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs,
                      at::Tensor src, at::Tensor dst) {
  GraphBatch out;
  out.pos = pos;
  out.graph_id = graph_id;
  out.num_graphs = num_graphs;
  out.src = src.to(pos.device());
  out.dst = dst.to(pos.device());
  return out;
}

// Builds edges from per-node neighbour lists (global indices, ascending), dst-major.
GraphBatch from_lists(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs,
                      const std::vector<std::vector<int64_t>>& lists) {
  int64_t e = 0;
  for (const auto& l : lists) e += static_cast<int64_t>(l.size());
  at::Tensor src = at::empty({e}, at::TensorOptions().dtype(at::kLong));
  at::Tensor dst = at::empty({e}, at::TensorOptions().dtype(at::kLong));
  int64_t* s = src.data_ptr<int64_t>();
  int64_t* d = dst.data_ptr<int64_t>();
  int64_t at_edge = 0;
  for (size_t i = 0; i < lists.size(); ++i) {
    for (int64_t j : lists[i]) {
      s[at_edge] = j;
      d[at_edge] = static_cast<int64_t>(i);
      ++at_edge;
    }
  }
  return make_batch(pos, graph_id, num_graphs, src, dst);
}

std::vector<std::vector<int64_t>> query_all(const Forest& forest, size_t cap, double r2) {
  std::vector<std::vector<int64_t>> lists(static_cast<size_t>(forest.num_nodes()));
  at::parallel_for(0, forest.num_nodes(), 256, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) lists[static_cast<size_t>(i)] = forest.query(i, cap, r2);
  });
  return lists;
}

}  // namespace

GraphBatch fully_connected_graph(const at::Tensor& pos, const at::Tensor& graph_id,
                                 int64_t num_graphs) {
  SE3T_PROFILE_PHASE(kGraph);
  check_nodes(pos, graph_id, num_graphs, "fully_connected_graph: ");
  // Node i of a graph with n nodes starting at node s gets sources s + t + (t >= i - s) for
  // t = 0..n-2: every other node of its graph, ascending. Vectorised over the whole batch.
  const at::Tensor sizes =
      at::zeros({num_graphs}, graph_id.options()).index_add_(0, graph_id, at::ones_like(graph_id));
  const at::Tensor starts = sizes.cumsum(0) - sizes;
  const at::Tensor degree = (sizes - 1).clamp_min(0).index_select(0, graph_id);  // [N]
  const at::Tensor dst = at::repeat_interleave(degree);
  const at::Tensor row_start = degree.cumsum(0) - degree;
  const at::Tensor t = at::arange(dst.size(0), graph_id.options()) - row_start.index_select(0, dst);
  const at::Tensor start_of_dst = starts.index_select(0, graph_id.index_select(0, dst));
  const at::Tensor local_dst = dst - start_of_dst;
  const at::Tensor src = start_of_dst + t + t.ge(local_dst).to(at::kLong);
  return make_batch(pos, graph_id, num_graphs, src, dst);
}

GraphBatch knn_graph(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs,
                     int64_t k) {
  SE3T_PROFILE_PHASE(kGraph);
  SE3T_CHECK(k >= 1, "knn_graph: k: expected k >= 1, got ", k);
  check_nodes(pos, graph_id, num_graphs, "knn_graph: ");
  const Forest forest(pos, graph_id, num_graphs);
  return from_lists(
      pos, graph_id, num_graphs,
      query_all(forest, static_cast<size_t>(k), std::numeric_limits<double>::infinity()));
}

GraphBatch radius_graph(const at::Tensor& pos, const at::Tensor& graph_id, int64_t num_graphs,
                        double r, int64_t max_neighbours) {
  SE3T_PROFILE_PHASE(kGraph);
  SE3T_CHECK(std::isfinite(r) && r > 0, "radius_graph: r: expected a finite r > 0, got ", r);
  SE3T_CHECK(max_neighbours == -1 || max_neighbours >= 1,
             "radius_graph: max_neighbours: expected -1 (no cap) or >= 1, got ", max_neighbours);
  check_nodes(pos, graph_id, num_graphs, "radius_graph: ");
  const double r2 = r * r;
  SE3T_CHECK(std::isfinite(r2), "radius_graph: r: r*r overflows float64, got r = ", r);
  const Forest forest(pos, graph_id, num_graphs);
  const size_t cap = max_neighbours < 0 ? 0 : static_cast<size_t>(max_neighbours);
  return from_lists(pos, graph_id, num_graphs, query_all(forest, cap, r2));
}

}  // namespace se3t

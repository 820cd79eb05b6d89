#include "se3t/graph/periodic_radius_graph.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <vector>

#include "se3t/util/check.h"
#include "se3t/util/profiler.h"
#include "se3t/util/tensor_checks.h"

namespace se3t {

namespace {

using Mat3 = std::array<std::array<double, 3>, 3>;
using Vec3 = std::array<double, 3>;

// Bounds the search: a cell much thinner than the cutoff needs (2K+1)^3 image offsets per atom.
constexpr int64_t kMaxImageOffsets = 1000000;

double det3(const Mat3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

Vec3 cross(const Vec3& u, const Vec3& v) {
  return {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
}

double norm(const Vec3& v) {
  return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

struct Edge {
  int64_t src;
  std::array<int64_t, 3> image;
};

// The edges of one graph, nodes [begin, end) of p (float64 rows), appended in the contract's
// order to dst_out / src_out / image_out. `where` prefixes errors.
void search_graph(const double* p, int64_t begin, int64_t end, const Mat3& cell,
                  const std::array<bool, 3>& pbc, double r, int64_t graph,
                  std::vector<int64_t>& dst_out, std::vector<int64_t>& src_out,
                  std::vector<int64_t>& image_out) {
  const int64_t n = end - begin;
  if (n == 0) return;
  const bool periodic = pbc[0] || pbc[1] || pbc[2];
  // A molecule is searched in Cartesian bins (the identity frame); its cell is not used.
  Mat3 h = cell;
  if (!periodic) h = Mat3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  const double det = det3(h);
  const double norms = norm(h[0]) * norm(h[1]) * norm(h[2]);
  SE3T_CHECK(std::abs(det) > 1e-9 * norms, "periodic_radius_graph: cell of graph ", graph,
             " is singular (volume ", det, ", |a| |b| |c| = ", norms,
             "); a periodic graph needs three independent lattice vectors");
  // Inverse of h (rows a, b, c): s = x h^-1 are the fractional coordinates.
  Mat3 inv{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      const int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
      inv[j][i] = (h[i1][j1] * h[i2][j2] - h[i1][j2] * h[i2][j1]) / det;
    }
  }
  // Perpendicular width of the cell along each fractional axis: V / |b x c| for a, etc.
  Vec3 width{};
  for (int k = 0; k < 3; ++k)
    width[k] = std::abs(det) / norm(cross(h[(k + 1) % 3], h[(k + 2) % 3]));

  // Fractional coordinates, wrapped into [0, 1) along periodic axes (wrap w: x = (s + w) h).
  std::vector<Vec3> s(n);
  std::vector<std::array<int64_t, 3>> wrap(n, {0, 0, 0});
  Vec3 lo{}, hi{};
  for (int64_t a = 0; a < n; ++a) {
    const double* x = p + 3 * (begin + a);
    for (int k = 0; k < 3; ++k) {
      double v = x[0] * inv[0][k] + x[1] * inv[1][k] + x[2] * inv[2][k];
      if (pbc[k]) {
        const double f = std::floor(v);
        wrap[a][k] = static_cast<int64_t>(f);
        v -= f;
      }
      s[a][k] = v;
      lo[k] = a == 0 ? v : std::min(lo[k], v);
      hi[k] = a == 0 ? v : std::max(hi[k], v);
    }
  }
  // Bins at least r_bin wide (perpendicular) along each axis; r_bin a hair above r so that
  // rounding in the fractional coordinates never hides a pair at distance just below r.
  const double r_bin = r * (1 + 1e-9) + 1e-12;
  std::array<int64_t, 3> bins{}, reach{};
  Vec3 origin{}, span{};
  for (int k = 0; k < 3; ++k) {
    origin[k] = pbc[k] ? 0.0 : lo[k];
    span[k] = pbc[k] ? 1.0 : hi[k] - lo[k];
    const double extent = span[k] * width[k];
    bins[k] = std::max<int64_t>(1, static_cast<int64_t>(std::min(extent / r_bin, 1e6)));
  }
  // No more bins than atoms need: a sparse box would otherwise allocate empty bins.
  while (bins[0] * bins[1] * bins[2] > 2 * n + 8) {
    const int k = static_cast<int>(std::max_element(bins.begin(), bins.end()) - bins.begin());
    bins[k] = (bins[k] + 1) / 2;
  }
  int64_t offsets = 1;
  for (int k = 0; k < 3; ++k) {
    // A periodic axis thinner than r needs images beyond the neighbouring bins.
    reach[k] = pbc[k] ? static_cast<int64_t>(std::ceil(r_bin / (width[k] / bins[k]))) : 1;
    offsets *= 2 * reach[k] + 1;
    SE3T_CHECK(offsets <= kMaxImageOffsets, "periodic_radius_graph: the cell of graph ", graph,
               " is too thin for r = ", r, ": width ", width[k], " along lattice vector ", "abc"[k],
               " needs ", 2 * reach[k] + 1, " images in that direction alone");
  }
  auto bin_of = [&](const Vec3& f, int k) {
    const double t = span[k] > 0 ? (f[k] - origin[k]) / span[k] : 0.0;
    return std::clamp<int64_t>(static_cast<int64_t>(std::floor(t * bins[k])), 0, bins[k] - 1);
  };
  // Counting sort of the atoms into bins (CSR), atoms in index order within a bin.
  const int64_t num_bins = bins[0] * bins[1] * bins[2];
  std::vector<std::array<int64_t, 3>> atom_bin(n);
  std::vector<int64_t> start(num_bins + 1, 0), order(n);
  auto linear = [&](const std::array<int64_t, 3>& b) {
    return (b[0] * bins[1] + b[1]) * bins[2] + b[2];
  };
  for (int64_t a = 0; a < n; ++a) {
    for (int k = 0; k < 3; ++k) atom_bin[a][k] = bin_of(s[a], k);
    ++start[linear(atom_bin[a]) + 1];
  }
  for (int64_t b = 0; b < num_bins; ++b) start[b + 1] += start[b];
  {
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t a = 0; a < n; ++a) order[fill[linear(atom_bin[a])]++] = a;
  }

  const double r2 = r * r;
  std::vector<Edge> found;
  for (int64_t i = 0; i < n; ++i) {
    found.clear();
    const double* xi = p + 3 * (begin + i);
    std::array<int64_t, 3> o{};
    for (o[0] = -reach[0]; o[0] <= reach[0]; ++o[0]) {
      for (o[1] = -reach[1]; o[1] <= reach[1]; ++o[1]) {
        for (o[2] = -reach[2]; o[2] <= reach[2]; ++o[2]) {
          // The bin atom_bin[i] + o, folded into the cell with the image it came from.
          std::array<int64_t, 3> b{}, image{};
          bool inside = true;
          for (int k = 0; k < 3; ++k) {
            const int64_t t = atom_bin[i][k] + o[k];
            if (pbc[k]) {
              image[k] = floor_div(t, bins[k]);
              b[k] = t - image[k] * bins[k];
            } else {
              inside = inside && t >= 0 && t < bins[k];
              b[k] = t;
            }
          }
          if (!inside) continue;
          const int64_t bin = linear(b);
          for (int64_t q = start[bin]; q < start[bin + 1]; ++q) {
            const int64_t j = order[q];
            // Image relative to the unwrapped positions: x_j + n h - x_i.
            std::array<int64_t, 3> nj{};
            for (int k = 0; k < 3; ++k) nj[k] = image[k] - wrap[j][k] + wrap[i][k];
            if (j == i && nj[0] == 0 && nj[1] == 0 && nj[2] == 0) continue;
            const double* xj = p + 3 * (begin + j);
            Vec3 d{};
            for (int c = 0; c < 3; ++c) {
              const double shift =
                  (static_cast<double>(nj[0]) * h[0][c] + static_cast<double>(nj[1]) * h[1][c]) +
                  static_cast<double>(nj[2]) * h[2][c];
              d[c] = (xj[c] - xi[c]) + (periodic ? shift : 0.0);
            }
            if ((d[0] * d[0] + d[1] * d[1]) + d[2] * d[2] < r2) found.push_back({j, nj});
          }
        }
      }
    }
    std::sort(found.begin(), found.end(), [](const Edge& u, const Edge& v) {
      return std::tie(u.src, u.image) < std::tie(v.src, v.image);
    });
    for (const Edge& e : found) {
      dst_out.push_back(begin + i);
      src_out.push_back(begin + e.src);
      image_out.insert(image_out.end(), e.image.begin(), e.image.end());
    }
  }
}

}  // namespace

GraphBatch periodic_radius_graph(const at::Tensor& pos, const at::Tensor& graph_id,
                                 int64_t num_graphs, const at::Tensor& cell, const at::Tensor& pbc,
                                 double r) {
  SE3T_PROFILE_PHASE(kGraph);
  const std::string where = "periodic_radius_graph: ";
  SE3T_CHECK(std::isfinite(r) && r > 0, where, "r: expected a finite r > 0, got ", r);
  SE3T_CHECK(std::isfinite(r * r), where, "r: r*r overflows float64, got r = ", r);
  check_nodes(pos, graph_id, num_graphs, where);
  check_floating(cell, where + "cell");
  check_shape(cell, {num_graphs, 3, 3}, where + "cell");
  check_finite(cell, where + "cell");
  SE3T_CHECK(pbc.defined() && pbc.scalar_type() == at::kBool, where,
             "pbc: expected a bool tensor [num_graphs, 3], got ",
             pbc.defined() ? describe(pbc) : std::string("an undefined tensor"));
  check_shape(pbc, {num_graphs, 3}, where + "pbc");

  const at::Tensor p = pos.detach().to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor c = cell.detach().to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor periodic = pbc.to(at::kCPU).contiguous();
  const at::Tensor gid = graph_id.to(at::kCPU).contiguous();
  const double* pp = p.data_ptr<double>();
  const double* cp = c.data_ptr<double>();
  const bool* bp = periodic.data_ptr<bool>();
  const int64_t* gp = gid.data_ptr<int64_t>();
  const int64_t n = p.size(0);

  std::vector<int64_t> dst, src, image;
  int64_t begin = 0;
  for (int64_t g = 0; g < num_graphs; ++g) {
    int64_t end = begin;
    while (end < n && gp[end] == g) ++end;
    Mat3 h{};
    for (int i = 0; i < 3; ++i) {
      for (int k = 0; k < 3; ++k) h[i][k] = cp[(g * 3 + i) * 3 + k];
    }
    const std::array<bool, 3> flags = {bp[g * 3], bp[g * 3 + 1], bp[g * 3 + 2]};
    search_graph(pp, begin, end, h, flags, r, g, dst, src, image);
    begin = end;
  }

  const int64_t e = static_cast<int64_t>(dst.size());
  const auto to_tensor = [&](const std::vector<int64_t>& v, std::vector<int64_t> shape) {
    at::Tensor t = at::empty(shape, at::kLong);
    std::copy(v.begin(), v.end(), t.data_ptr<int64_t>());
    return t.to(pos.device());
  };
  GraphBatch out;
  out.pos = pos;
  out.graph_id = graph_id;
  out.num_graphs = num_graphs;
  out.dst = to_tensor(dst, {e});
  out.src = to_tensor(src, {e});
  out.edge_image = to_tensor(image, {e, 3});
  out.cell = cell.to(pos.options());
  return out;
}

}  // namespace se3t

#include "nn/nn_testing.h"

#include <gtest/gtest.h>

#include "common/testing.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/so3/wigner_d.h"

namespace se3t::testing {

GraphBatch random_graphs(const std::vector<int64_t>& sizes, at::ScalarType dtype,
                         at::Generator& gen, double scale, int64_t edge_dim) {
  std::vector<at::Tensor> ids;
  int64_t total = 0;
  for (size_t g = 0; g < sizes.size(); ++g) {
    ids.push_back(at::full({sizes[g]}, static_cast<int64_t>(g), at::kLong));
    total += sizes[g];
  }
  const at::Tensor pos = (at::randn({total, 3}, gen, at::kDouble) * scale).to(dtype);
  GraphBatch b = fully_connected_graph(pos, at::cat(ids), static_cast<int64_t>(sizes.size()));
  if (edge_dim > 0) {
    b.edge_attr = at::randn({b.num_edges(), edge_dim}, gen, at::kDouble).to(dtype);
  }
  return b;
}

Features random_features(const Fiber& fiber, int64_t rows, at::ScalarType dtype,
                         at::Generator& gen) {
  Features f;
  for (const auto& [l, c] : fiber.entries()) {
    f[l] = at::randn({rows, c, 2 * l + 1}, gen, at::kDouble).to(dtype);
  }
  return f;
}

Features rotate_features(const Features& f, const at::Tensor& R) {
  Features out;
  for (const auto& [l, t] : f) {
    out[l] = at::matmul(t, wigner_D(l, R.to(t.scalar_type())).transpose(0, 1));
  }
  return out;
}

GraphBatch transform_graph(const GraphBatch& g, const at::Tensor& R, const at::Tensor& t) {
  GraphBatch out = g;
  out.pos =
      at::matmul(g.pos, R.to(g.pos.scalar_type()).transpose(0, 1)) + t.to(g.pos.scalar_type());
  return out;
}

double features_error(const Features& a, const Features& b) {
  EXPECT_EQ(a.size(), b.size());
  double err = 0;
  for (const auto& [l, t] : b) {
    auto it = a.find(l);
    EXPECT_TRUE(it != a.end()) << "missing degree " << l;
    if (it == a.end()) return 1e300;
    EXPECT_TRUE(at::isfinite(it->second).all().item<bool>()) << "non-finite degree " << l;
    err = std::max(err, relative_error(it->second, t));
  }
  return err;
}

Features permute_rows(const Features& f, const at::Tensor& perm) {
  Features out;
  for (const auto& [l, t] : f) out[l] = at::empty_like(t).index_copy(0, perm, t);
  return out;
}

GraphBatch permute_graph(const GraphBatch& g, const at::Tensor& perm) {
  GraphBatch out = g;
  out.pos = at::empty_like(g.pos).index_copy(0, perm, g.pos);
  out.graph_id = at::empty_like(g.graph_id).index_copy(0, perm, g.graph_id);
  out.src = perm.index_select(0, g.src);
  out.dst = perm.index_select(0, g.dst);
  return out;
}

SE3TransformerOptions small_model_options(bool attention) {
  SE3TransformerOptions o;
  o.fiber_in = Fiber{{0, 2}, {1, 1}};
  o.fiber_hidden = Fiber::uniform(3, 4);
  o.fiber_out = Fiber::uniform(3, 2);
  o.num_layers = 2;
  o.num_heads = 2;
  o.edge_dim = 1;
  o.attention = attention;
  return o;
}

}  // namespace se3t::testing

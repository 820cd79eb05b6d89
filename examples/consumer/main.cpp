// A small SE(3)-Transformer in float64 on a random point cloud: its vector output rotates
// with the input, f(R x) = R f(x), up to rounding.
#include <se3t/se3t.h>

#include <cstdio>

int main() {
  se3t::SE3TransformerOptions opt;
  opt.fiber_in = se3t::Fiber{{0, 1}};             // one scalar per point
  opt.fiber_hidden = se3t::Fiber::uniform(2, 8);  // degrees 0, 1, 2 with 8 channels each
  opt.fiber_out = se3t::Fiber{{1, 1}};            // one vector per point
  opt.num_layers = 2;
  se3t::SE3Transformer model(opt);
  model->to(torch::kFloat64);
  torch::NoGradGuard no_grad;

  const int64_t n = 16;
  const torch::Tensor pos = torch::randn({n, 3}, torch::kFloat64);         // [N, 3]
  const torch::Tensor graph_id = torch::zeros({n}, torch::kLong);          // one graph
  const se3t::Features in{{0, torch::randn({n, 1, 1}, torch::kFloat64)}};  // [N, C, 2l+1]
  auto f = [&](const torch::Tensor& x) {
    return model->forward(se3t::fully_connected_graph(x, graph_id, 1), in).at(1);  // [N, 1, 3]
  };

  // Degree-1 features are Cartesian vectors (Y^1(v) = sqrt(3) v / |v|): they rotate by R.
  const torch::Tensor R = se3t::random_rotation(1, torch::kFloat64)[0];
  const torch::Tensor out = f(pos);
  const torch::Tensor out_rotated = f(pos.matmul(R.t()));
  const double error = ((out_rotated - out.matmul(R.t())).norm() / out.norm()).item<double>();
  std::printf("equivariance error %.1e\n", error);
  return error < 1e-10 ? 0 : 1;
}

// Benchmark workloads and runner: shapes of the named workloads, JSON output, the phase split
// adding up to the forward time, an explicit FLOP count checked by hand, error paths.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "se3t/bench/runner.h"
#include "se3t/bench/workloads.h"
#include "se3t/graph/neighbourhood.h"
#include "se3t/nn/conv_se3.h"
#include "se3t/nn/edge_geometry.h"
#include "se3t/nn/kernel_path.h"
#include "se3t/util/check.h"

namespace se3t::bench {
namespace {

TEST(Workloads, NamedShapes) {
  const Workload q = qm9_workload();
  EXPECT_EQ(q.num_nodes(), 32 * 18);
  EXPECT_EQ(q.build_graph().num_edges(), 32 * 18 * 17);  // 9,792
  EXPECT_EQ(q.options.num_layers, 7);
  EXPECT_EQ(q.options.num_heads, 8);
  EXPECT_EQ(q.options.fiber_hidden, Fiber::uniform(3, 32));

  // Other batches scale the same model.
  const Workload q8 = make_workload("qm9", kDefaultPdb, 8);
  EXPECT_EQ(q8.build_graph().num_edges(), 8 * 18 * 17);
  EXPECT_EQ(q8.options.to_text(), q.options.to_text());
  EXPECT_NE(q8.description.find("8 molecules"), std::string::npos);
  EXPECT_EQ(make_workload("nbody", kDefaultPdb, 7).num_nodes(), 35);
  EXPECT_THROW(make_workload("qm9", kDefaultPdb, -1), Error);

  const Workload n = nbody_workload();
  const GraphBatch g = n.build_graph();
  EXPECT_EQ(n.num_nodes(), 500);
  EXPECT_EQ(g.num_edges(), 100 * 5 * 4);  // 2,000
  EXPECT_EQ(n.options.num_layers, 4);
  EXPECT_EQ(n.options.num_heads, 2);
  EXPECT_EQ(n.options.fiber_hidden, Fiber::uniform(3, 16));
  // The edge attribute is the product of the two charges, each +-1.
  ASSERT_EQ(g.edge_attr_dim(), 1);
  const at::Tensor expected = n.charges.index_select(0, g.src) * n.charges.index_select(0, g.dst);
  EXPECT_TRUE(at::equal(g.edge_attr.squeeze(1), expected));
  EXPECT_TRUE(at::equal(n.charges.abs(), at::ones_like(n.charges)));

  const Workload s = synthetic_workload(1000, 2);
  EXPECT_EQ(s.num_nodes(), 63);  // ceil(1000 / 16)
  EXPECT_EQ(s.build_graph().num_edges(), 63 * 16);
  EXPECT_EQ(s.options.num_layers, 2);
  EXPECT_EQ(s.options.fiber_hidden, Fiber::uniform(2, 16));
}

TEST(Workloads, ProteinFromTheseus) {
  if (!std::filesystem::exists(kDefaultPdb)) GTEST_SKIP() << kDefaultPdb << " not installed";
  const Workload p = protein_workload();
  EXPECT_EQ(p.num_nodes(), 2415);
  EXPECT_EQ(p.build_graph().num_edges(), 2415 * 16);
  EXPECT_EQ(p.options.num_layers, 4);
  EXPECT_EQ(p.options.num_heads, 4);
  EXPECT_EQ(p.options.fiber_hidden, Fiber::uniform(2, 16));
  // One-hot element features: every atom has exactly one.
  EXPECT_TRUE(at::equal(p.features.at(0).sum(1).squeeze(-1), at::ones({2415})));
}

TEST(Workloads, Errors) {
  try {
    make_workload("qm10");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown workload 'qm10'"), std::string::npos);
  }
  try {
    protein_workload("/nonexistent/1abc.pdb");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("theseus-examples"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--pdb"), std::string::npos) << e.what();
  }
}

// The CLI, when the test runs from the build directory where it lives (as under CTest).
TEST(Workloads, CliRejectsUnknownWorkload) {
  if (!std::filesystem::exists("se3t")) GTEST_SKIP() << "no ./se3t in the working directory";
  FILE* pipe = popen("./se3t bench qm10 2>&1", "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof(buf), pipe)) out += buf;
  const int status = pclose(pipe);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("unknown workload 'qm10'"), std::string::npos) << out;
}

TEST(Runner, JsonAndPhaseSplit) {
  set_default_kernel_path(KernelPath::kReference);
  BenchOptions o;
  o.steps = 2;
  o.warmup = 1;
  const BenchResult r = run_benchmark(synthetic_workload(400, 2), o);
  ASSERT_TRUE(r.skipped.empty()) << r.skipped;
  ASSERT_TRUE(r.backward_measured) << r.backward_skipped;
  EXPECT_EQ(r.edges, 25 * 16);
  EXPECT_GT(r.parameters, 0);
  // Exclusive phases cover the forward pass: their sum is its mean wall time.
  double sum = 0;
  for (double ms : r.phase_ms) sum += ms;
  EXPECT_NEAR(sum, r.forward_mean_ms, 0.05 * r.forward_mean_ms + 0.5);
  EXPECT_GT(r.contraction_flops, 0);
  EXPECT_GT(r.radial_flops, 0);
  // The same for the backward call: each autograd node is charged to the phase of the forward
  // scope that recorded it, the engine's time between nodes to "other".
  double backward_sum = 0;
  for (double ms : r.backward_phase_ms) backward_sum += ms;
  EXPECT_GT(r.backward_call_mean_ms, 0);
  EXPECT_NEAR(backward_sum, r.backward_call_mean_ms, 0.05 * r.backward_call_mean_ms + 0.5);
  for (const auto phase :
       {profiler::Phase::kRadial, profiler::Phase::kContraction, profiler::Phase::kAttention}) {
    EXPECT_GT(r.backward_phase_ms[static_cast<size_t>(phase)], 0) << profiler::phase_name(phase);
  }
  // The positions need no gradient: the graph and basis record no autograd nodes.
  EXPECT_EQ(r.backward_phase_ms[static_cast<size_t>(profiler::Phase::kGraph)], 0);
  EXPECT_EQ(r.backward_phase_ms[static_cast<size_t>(profiler::Phase::kBasis)], 0);

  const nlohmann::json j = nlohmann::json::parse(to_json({r}, nullptr));
  ASSERT_EQ(j.at("results").size(), 1u);
  const auto& x = j.at("results")[0];
  EXPECT_EQ(x.at("workload"), "synthetic");
  EXPECT_EQ(x.at("path"), "reference");
  for (const char* key :
       {"nodes", "edges", "parameters", "threads", "steps", "graph_ms", "forward_ms",
        "forward_mean_ms", "forward_backward_ms", "backward_ms", "edges_per_s", "train_edges_per_s",
        "contraction_flops", "contraction_gflops_per_s", "radial_flops", "radial_gflops_per_s",
        "peak_rss_mb", "rss_increase_mb", "process_peak_rss_mb"}) {
    EXPECT_TRUE(x.at(key).is_number()) << key;
  }
  EXPECT_EQ(x.at("edges").get<int64_t>(), 400);
  EXPECT_NEAR(x.at("contraction_flops").get<double>(), r.contraction_flops,
              1e-9 * r.contraction_flops);
  for (const char* phase : {"basis", "radial", "contraction", "attention", "other"}) {
    EXPECT_TRUE(x.at("phases_ms").at(phase).is_number()) << phase;
    EXPECT_TRUE(x.at("backward_phases_ms").at(phase).is_number()) << phase;
  }
  EXPECT_NEAR(x.at("backward_call_mean_ms").get<double>(), r.backward_call_mean_ms,
              1e-6 * r.backward_call_mean_ms + 1e-9);
}

TEST(Runner, ScalingJsonAndMemorySkip) {
  ScalingOptions so;
  so.min_edges = 100;
  so.max_edges = 300;
  so.num_layers = 1;
  so.bench.steps = 1;
  so.bench.warmup = 0;
  so.bench.backward = false;
  const ScalingResult s = run_scaling(so);
  ASSERT_EQ(s.rows.size(), 2u);  // 100, 300
  EXPECT_EQ(s.rows[1].result.edges, 19 * 16);
  const nlohmann::json j = nlohmann::json::parse(to_json({}, &s));
  EXPECT_EQ(j.at("scaling").at("rows").size(), 2u);
  EXPECT_TRUE(j.at("scaling").at("forward_ratio").is_number());
  EXPECT_TRUE(j.at("scaling").at("rows")[0].at("result").at("forward_ms").is_number());

  // With (almost) no memory allowed every size is skipped, and says why.
  so.bench.memory_fraction = 1e-12;
  so.max_edges = 3000;
  const ScalingResult none = run_scaling(so);
  ASSERT_EQ(none.rows.size(), 4u);
  for (const auto& row : none.rows) EXPECT_TRUE(row.skipped);
  EXPECT_NE(none.rows[0].reason.find("MiB available"), std::string::npos) << none.rows[0].reason;
  EXPECT_NE(none.rows[3].reason.find("larger than a skipped size"), std::string::npos);
}

// ConvSE3 fiber {0: 2, 1: 3} -> {0: 1, 1: 2}, radial width 8, no edge attributes; counted by
// hand with nJ(k, l) = 2 min(k, l) + 1 and 2 FLOPs per multiply-add:
//   l = 0: W_0 = 2*1 + 3*1 = 5 columns; weights 2*1*5*1 = 10; basis k=0 2*2*1*1*1 = 4,
//          k=1 2*3*3*1*1 = 18                                            -> 32 per edge
//   l = 1: W_1 = 2*1 + 3*3 = 11; weights 2*2*11*3 = 132; basis k=0 2*2*1*1*3 = 12,
//          k=1 2*3*3*3*3 = 162                                           -> 306 per edge
//   contraction 338 per edge; radial MLP 1 -> 8 -> 8 -> (1*5 + 2*11 = 27):
//   2 (8*1 + 8*8 + 8*27) = 576 per edge.
TEST(Runner, ConvFlopCountMatchesHandCount) {
  set_default_kernel_path(KernelPath::kReference);
  at::manual_seed(3);
  ConvSE3 conv(ConvSE3Options(Fiber{{0, 2}, {1, 3}}, Fiber{{0, 1}, {1, 2}}).radial_hidden(8));
  const at::Tensor pos = at::randn({5, 3});
  const GraphBatch g = fully_connected_graph(pos, at::zeros({5}, at::kLong), 1);
  const int64_t E = g.num_edges();
  ASSERT_EQ(E, 20);
  const EdgeGeometry geo = edge_geometry(g, 1);
  const Features f{{0, at::randn({5, 2, 1})}, {1, at::randn({5, 3, 3})}};
  profiler::set_enabled(true);
  profiler::reset();
  conv->forward(f, geo);
  const profiler::Totals t = profiler::totals();
  profiler::set_enabled(false);
  EXPECT_DOUBLE_EQ(t.flops[static_cast<size_t>(profiler::Phase::kContraction)], 338.0 * E);
  EXPECT_DOUBLE_EQ(t.flops[static_cast<size_t>(profiler::Phase::kRadial)], 576.0 * E);
}

}  // namespace
}  // namespace se3t::bench

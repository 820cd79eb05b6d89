// The N-body model shipped in models/nbody-egnn is the network its config describes, with the
// residual interval of the EGNN protocol, and reproduces the test errors recorded beside it
// (test_metrics.json, `se3t train`'s test of the validation-selected epoch) on the test split
// simulated here again from the protocol's seed.
#include <gtest/gtest.h>

#include "common/testing.h"
#include "se3t/data/nbody_files.h"
#include "se3t/data/nbody_simulator.h"
#include "se3t/tasks/nbody_evaluate.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/util/text.h"

namespace se3t {
namespace {

TEST(ShippedNBodyModel, IsItsConfigsNetworkWithItsRecordedTestError) {
  const std::string root = testing::source_dir() + "/";
  const NBodyConfig config = NBodyConfig::load(root + "configs/nbody_egnn_cpu.toml");
  NBodyModel model = load_nbody_model(root + "models/nbody-egnn/model.pt");
  model->eval();
  EXPECT_EQ(model->options().to_text(), nbody_network(config.model).to_text());
  const NBodyOptions o = config.data.nbody_options();
  const double t = nbody_interval(o, config.data.input_frame, config.data.target_frame);
  EXPECT_TRUE(config.head.residual);
  EXPECT_EQ(model->residual_interval(), t);

  // The protocol's test split: simulations after the training and validation ones.
  const NBodySplit test =
      generate_nbody_dataset(o, o.num_test, config.data.seed, o.num_train + o.num_valid);
  const NBodyDataset data(test, config.data.input_frame, config.data.target_frame);
  EvalOptions eo;
  eo.rotations = 2;
  const NBodyMetrics m = evaluate_nbody(model_predictor(model), data, eo);
  const std::string json = read_text(root + "models/nbody-egnn/test_metrics.json");
  EXPECT_NEAR(m.mse_position, testing::json_number_field(json, "mse_position"),
              1e-5 * m.mse_position);
  EXPECT_NEAR(m.mse_velocity, testing::json_number_field(json, "mse_velocity"),
              1e-5 * m.mse_velocity);
  EXPECT_LT(m.mse_position, 0.0071);  // EGNN's figure on this protocol
  EXPECT_LT(m.equivariance_error_position, 1e-5);
  std::printf("models/nbody-egnn: test MSE position %.5g, velocity %.4g, equivariance %.2g\n",
              m.mse_position, m.mse_velocity, m.equivariance_error_position);
}

}  // namespace
}  // namespace se3t

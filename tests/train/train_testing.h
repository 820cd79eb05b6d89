// Helpers of the training tests: a tiny N-body config (and the common TempDir).
#pragma once
#include <string>

#include "common/temp_dir.h"
#include "se3t/train/config.h"

namespace se3t::testing {

// A config that trains in about a second: 24 training and 8 test simulations, a one-layer
// SE(3)-Transformer with degrees 0-1 and 4 channels.
inline Config tiny_config(const std::string& data_dir, const std::string& out_dir) {
  Config c;
  c.data.protocol = "paper";
  c.data.dir = data_dir;
  c.data.num_train = 24;
  c.data.num_valid = 0;
  c.data.num_test = 8;
  c.data.seed = 3;
  c.model.num_layers = 1;
  c.model.num_degrees = 2;
  c.model.num_channels = 4;
  c.model.num_heads = 2;
  c.model.channels_div = 1;
  c.model.radial_hidden = 8;
  c.train.epochs = 4;
  c.train.batch_size = 8;
  c.train.lr = 3e-3;
  c.train.threads = 1;
  c.train.seed = 11;
  c.train.out_dir = out_dir;
  c.validate("tiny");
  return c;
}

}  // namespace se3t::testing

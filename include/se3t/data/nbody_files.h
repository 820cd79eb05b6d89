// N-body data sets on disk: generation in the NRI / EGNN .npy layout, a small description file
// beside them, and the datasets a training run needs.
//
// Layout of a data directory (as NRI's and EGNN's generate_dataset.py write it):
//   loc_<split>_<tag>.npy      [sims, frames, 3, n] float64
//   vel_<split>_<tag>.npy      [sims, frames, 3, n]
//   charges_<split>_<tag>.npy  [sims, n, 1]
//   se3t_nbody.txt             protocol, seed, simulator settings and split sizes (se3t only;
//                              written last, so its presence marks a complete data set)
// with split train / valid / test and tag "charged5" (paper / NRI) or "charged5_initvel1small"
// (EGNN). Data sets from elsewhere (no se3t_nbody.txt) are read if each split has exactly one
// loc_<split>_*.npy file.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "se3t/data/nbody_dataset.h"
#include "se3t/data/nbody_simulator.h"
#include "se3t/util/fields.h"

namespace se3t {

struct NBodyDataInfo {
  std::string protocol = "paper";
  uint64_t seed = 0;
  NBodyOptions options;  // simulator settings, split sizes, input/target frames
  std::string tag;       // file name tag, e.g. "charged5"

  void visit(FieldVisitor& v);
  // key = value text (se3t/util/fields.h); every key is required.
  std::string to_text() const;
  static NBodyDataInfo from_text(const std::string& text, const std::string& source);
};

// "paper" -> NBodyOptions::paper(), "egnn" -> NBodyOptions::egnn(); throws otherwise.
NBodyOptions nbody_protocol_options(const std::string& protocol);
// "charged<n>" for the paper protocol, "charged<n>_initvel1small" for EGNN's.
std::string nbody_file_tag(const std::string& protocol, const NBodyOptions& options);

// The description in dir/se3t_nbody.txt, if there is one.
std::optional<NBodyDataInfo> read_nbody_info(const std::string& dir);

// Simulates the protocol's three splits (simulation indices as generate_nbody_splits: train
// 0.., valid after train, test after valid) and writes them and se3t_nbody.txt to dir (created
// if missing). progress(split, done, total) is called as simulations finish. A directory that
// already holds a data set (.npy files or se3t_nbody.txt) is refused unless `overwrite`.
using NBodyProgress = std::function<void(const std::string& split, int64_t done, int64_t total)>;
NBodyDataInfo generate_nbody_data(const std::string& dir, const std::string& protocol,
                                  const NBodyOptions& options, uint64_t seed,
                                  const NBodyProgress& progress = {}, bool overwrite = false);

// Reads one split ("train" | "valid" | "test") of a data directory.
NBodySplit load_nbody_split(const std::string& dir, const std::string& split);

// The first `count` simulations of a split (throws if it has fewer).
NBodySplit take_simulations(const NBodySplit& split, int64_t count, const std::string& where);

// Simulator settings of a data directory: from se3t_nbody.txt, else the protocol's defaults.
NBodyOptions nbody_data_options(const std::string& dir, const std::string& fallback_protocol);

// The data of a training run. validation is the valid split, or the test split when the
// protocol has none (the paper's: 5,000 train / 1,000 test).
struct NBodyData {
  NBodyOptions options;
  std::optional<NBodyDataset> train, validation, test;
  std::string validation_split;  // "valid" or "test"
};

// What a training run asks of a data directory.
struct NBodyDataRequest {
  std::string dir;
  std::string protocol = "paper";
  uint64_t seed = 0;     // simulation seed
  NBodyOptions options;  // the protocol's simulator with the run's split sizes and frames
};

// Generates config.dir if it holds no data set, checks that an existing se3t data set was made
// with the config's protocol, seed and split sizes, and loads the splits. Logs to `log`.
NBodyData prepare_nbody_data(const NBodyDataRequest& config, std::ostream* log,
                             const NBodyProgress& progress = {});

}  // namespace se3t

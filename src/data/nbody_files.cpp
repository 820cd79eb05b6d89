#include "se3t/data/nbody_files.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"
#include "se3t/util/fields.h"
#include "se3t/util/text.h"

namespace se3t {
namespace fs = std::filesystem;

namespace {

constexpr const char* kInfoFile = "se3t_nbody.txt";

// Simulations [first, first + count) in chunks, so progress can be reported.
NBodySplit generate_split(const NBodyOptions& o, int64_t count, uint64_t seed, int64_t first,
                          const std::string& name, const NBodyProgress& progress) {
  const int64_t chunk = 250;
  if (count <= chunk) {
    NBodySplit s = generate_nbody_dataset(o, count, seed, first);
    if (progress) progress(name, count, count);
    return s;
  }
  std::vector<at::Tensor> loc, vel, charges;
  for (int64_t done = 0; done < count;) {
    const int64_t k = std::min(chunk, count - done);
    NBodySplit s = generate_nbody_dataset(o, k, seed, first + done);
    loc.push_back(s.loc);
    vel.push_back(s.vel);
    charges.push_back(s.charges);
    done += k;
    if (progress) progress(name, done, count);
  }
  return {at::cat(loc), at::cat(vel), at::cat(charges)};
}

// The unique loc_<split>[_*].npy of a directory without se3t_nbody.txt.
std::string find_suffix(const std::string& dir, const std::string& split) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string head = "loc_" + split;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0 &&
        name.compare(0, head.size(), head) == 0 &&
        (name.size() == head.size() + 4 || name[head.size()] == '_')) {
      found.push_back(name.substr(4, name.size() - 8));
    }
  }
  SE3T_CHECK(!ec, "N-body data: cannot list directory ", dir, ": ", ec.message());
  SE3T_CHECK(!found.empty(), "N-body data: no loc_", split, "_*.npy in ", dir,
             " (generate a data set with `se3t nbody generate`)");
  std::sort(found.begin(), found.end());
  SE3T_CHECK(found.size() == 1, "N-body data: ", found.size(), " candidate files loc_", split,
             "_*.npy in ", dir, " (e.g. loc_", found[0], ".npy and loc_", found[1],
             ".npy); keep one data set per directory");
  return found[0];
}

}  // namespace

void NBodyDataInfo::visit(FieldVisitor& v) {
  NBodyOptions& o = options;
  v.field("protocol", protocol, "paper or egnn", {"paper", "egnn"});
  v.field("seed", seed, "simulation seed");
  v.field("tag", tag, "file name tag");
  v.field("num_particles", o.num_particles, "particles per system");
  v.field("dt", o.dt, "integration step");
  v.field("sample_freq", o.sample_freq, "steps between recorded frames");
  v.field("num_frames", o.num_frames, "recorded frames");
  v.field("box_size", o.box_size, "walls at +-box_size");
  v.field("walls_every_step", o.walls_every_step, "walls reflect at every step");
  v.field("clip_forces", o.clip_forces, "forces clipped");
  v.field("max_force", o.max_force, "force clip");
  v.field("loc_std", o.loc_std, "initial position spread");
  v.field("vel_norm", o.vel_norm, "initial speed");
  v.field("input_frame", o.input_frame, "input frame");
  v.field("target_frame", o.target_frame, "target frame");
  v.field("num_train", o.num_train, "training simulations");
  v.field("num_valid", o.num_valid, "validation simulations");
  v.field("num_test", o.num_test, "test simulations");
}

std::string NBodyDataInfo::to_text() const {
  NBodyDataInfo copy = *this;
  return "# N-body data set written by se3t nbody generate\n" +
         to_key_value([&copy](FieldVisitor& v) { copy.visit(v); });
}

NBodyDataInfo NBodyDataInfo::from_text(const std::string& text, const std::string& source) {
  const KeyValueText t = KeyValueText::parse(text, source);
  NBodyDataInfo info;
  info.protocol = t.get("protocol");
  info.options = nbody_protocol_options(info.protocol);
  from_key_value(
      t, [&info](FieldVisitor& v) { info.visit(v); }, /*require_all=*/true);
  info.options.validate_protocol();
  return info;
}

NBodyOptions nbody_protocol_options(const std::string& protocol) {
  if (protocol == "paper") return NBodyOptions::paper();
  if (protocol == "egnn") return NBodyOptions::egnn();
  SE3T_CHECK(false, "unknown N-body protocol '", protocol, "' (expected paper or egnn)");
  return {};
}

std::string nbody_file_tag(const std::string& protocol, const NBodyOptions& options) {
  const std::string base = "charged" + std::to_string(options.num_particles);
  return protocol == "egnn" ? base + "_initvel1small" : base;
}

std::optional<NBodyDataInfo> read_nbody_info(const std::string& dir) {
  const std::string path = (fs::path(dir) / kInfoFile).string();
  if (!fs::exists(path)) return std::nullopt;
  return NBodyDataInfo::from_text(read_text(path), path);
}

NBodyDataInfo generate_nbody_data(const std::string& dir, const std::string& protocol,
                                  const NBodyOptions& options, uint64_t seed,
                                  const NBodyProgress& progress, bool overwrite) {
  (void)nbody_protocol_options(protocol);
  options.validate_protocol();
  std::error_code ec;
  if (!overwrite && fs::is_directory(dir, ec)) {
    std::string found;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (e.path().extension() == ".npy" || name == kInfoFile) {
        found = name;
        break;
      }
    }
    SE3T_CHECK(found.empty(), "N-body data directory ", dir, " already holds a data set (", found,
               "): pass --overwrite to replace it, or choose another directory");
  }
  fs::create_directories(dir, ec);
  SE3T_CHECK(!ec, "cannot create directory ", dir, ": ", ec.message());
  // A data set being replaced must not look complete half-way through.
  fs::remove(fs::path(dir) / kInfoFile, ec);
  NBodyDataInfo info;
  info.protocol = protocol;
  info.seed = seed;
  info.options = options;
  info.tag = nbody_file_tag(protocol, options);
  const int64_t sizes[3] = {options.num_train, options.num_valid, options.num_test};
  const char* names[3] = {"train", "valid", "test"};
  int64_t first = 0;
  for (int k = 0; k < 3; ++k) {
    if (sizes[k] > 0) {
      const NBodySplit s = generate_split(options, sizes[k], seed, first, names[k], progress);
      write_nbody_split(dir, std::string(names[k]) + "_" + info.tag, s);
    }
    first += sizes[k];
  }
  write_file_atomic((fs::path(dir) / kInfoFile).string(), info.to_text());
  return info;
}

NBodySplit load_nbody_split(const std::string& dir, const std::string& split) {
  SE3T_CHECK(split == "train" || split == "valid" || split == "test", "unknown split '", split,
             "' (expected train, valid or test)");
  SE3T_CHECK(fs::is_directory(dir), "N-body data: ", dir, " is not a directory");
  const auto info = read_nbody_info(dir);
  if (info) return read_nbody_split(dir, split + "_" + info->tag);
  return read_nbody_split(dir, find_suffix(dir, split));
}

NBodySplit take_simulations(const NBodySplit& split, int64_t count, const std::string& where) {
  SE3T_CHECK(split.num_sims() >= count, where, ": ", count, " simulations requested but the files",
             " hold ", split.num_sims());
  if (split.num_sims() == count) return split;
  return {split.loc.narrow(0, 0, count).contiguous(), split.vel.narrow(0, 0, count).contiguous(),
          split.charges.narrow(0, 0, count).contiguous()};
}

NBodyOptions nbody_data_options(const std::string& dir, const std::string& fallback_protocol) {
  const auto info = read_nbody_info(dir);
  return info ? info->options : nbody_protocol_options(fallback_protocol);
}

NBodyData prepare_nbody_data(const NBodyDataRequest& config, std::ostream* log,
                             const NBodyProgress& progress) {
  const NBodyOptions& wanted = config.options;
  auto info = read_nbody_info(config.dir);
  bool external = false;
  if (!info) {
    std::error_code ec;
    const bool has_files = fs::is_directory(config.dir, ec) && [&] {
      for (const auto& e : fs::directory_iterator(config.dir, ec)) {
        if (e.path().extension() == ".npy") return true;
      }
      return false;
    }();
    if (has_files) {
      external = true;
      if (log)
        *log << "N-body data: using the .npy files in " << config.dir
             << " (no se3t_nbody.txt: simulator settings of the '" << config.protocol
             << "' protocol assumed)\n";
    } else {
      if (log)
        *log << "N-body data: generating " << config.protocol << " protocol (" << wanted.num_train
             << " train / " << wanted.num_valid << " valid / " << wanted.num_test
             << " test simulations, seed " << config.seed << ") in " << config.dir << "\n";
      info = generate_nbody_data(config.dir, config.protocol, wanted, config.seed, progress);
    }
  }
  if (info) {
    const NBodyOptions& o = info->options;
    SE3T_CHECK(info->protocol == config.protocol && info->seed == config.seed &&
                   o.num_train == wanted.num_train && o.num_valid == wanted.num_valid &&
                   o.num_test == wanted.num_test,
               "N-body data in ", config.dir, " was generated with protocol ", info->protocol,
               ", seed ", info->seed, " and ", o.num_train, "/", o.num_valid, "/", o.num_test,
               " train/valid/test simulations, but the config asks for protocol ", config.protocol,
               ", seed ", config.seed, " and ", wanted.num_train, "/", wanted.num_valid, "/",
               wanted.num_test, "; point [data].dir elsewhere or delete the directory");
  }
  NBodyData data;
  data.options = info ? info->options : wanted;
  data.options.input_frame = wanted.input_frame;
  data.options.target_frame = wanted.target_frame;
  auto load = [&](const std::string& split, int64_t count) {
    NBodySplit s = load_nbody_split(config.dir, split);
    if (external) s = take_simulations(s, count, "N-body data " + config.dir + " (" + split + ")");
    return NBodyDataset(std::move(s), wanted.input_frame, wanted.target_frame);
  };
  data.train = load("train", wanted.num_train);
  if (wanted.num_test > 0) data.test = load("test", wanted.num_test);
  if (wanted.num_valid > 0) {
    data.validation = load("valid", wanted.num_valid);
    data.validation_split = "valid";
  } else if (data.test) {
    data.validation = data.test;
    data.validation_split = "test";
    if (log) *log << "N-body data: the protocol has no validation split; validating on test\n";
  }
  return data;
}

}  // namespace se3t

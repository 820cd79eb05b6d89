#include "se3t/tasks/molecule_task.h"

#include <torch/serialize/archive.h>

#include <random>

#include "se3t/data/qm9_xyz.h"
#include "se3t/util/check.h"
#include "se3t/util/text.h"

namespace se3t {
namespace {

std::vector<Molecule> take(const std::vector<Molecule>& all, const std::vector<int64_t>& idx) {
  std::vector<Molecule> out;
  out.reserve(idx.size());
  for (int64_t i : idx) out.push_back(all[i]);
  return out;
}

}  // namespace

void MoleculeDataConfig::visit(FieldVisitor& v) {
  v.field("format", format, "extxyz file, or qm9 (a directory of dsgdb9nsd_*.xyz)",
          {"extxyz", "qm9"});
  v.field("file", file, "the data, split at random into train / valid / test");
  v.field("num_train", num_train, "training molecules", Range::at_least(1));
  v.field("num_valid", num_valid, "validation molecules", Range::at_least(0));
  v.field("num_test", num_test, "test molecules (-1: the rest)", Range::at_least(-1));
  v.field("split_seed", split_seed, "seed of the random split");
  v.field("train_file", train_file, "or three files used as they are: training");
  v.field("valid_file", valid_file, "validation file (with train_file)");
  v.field("test_file", test_file, "test file (with train_file)");
  v.field("train_every", train_every,
          "with train_file: train on every n-th frame of it only (frames 0, n, 2n, ...; learning "
          "curves)",
          Range::at_least(1));
  v.field("energy_key", energy_key, "frame key of the target energy (QM9: a property name)");
  v.field("fit_reference", fit_reference, "per-element reference energies by least squares");
  v.field("cutoff", cutoff, "radius graph cutoff (A); <= 0: fully connected molecules");
}

MoleculeConfig::MoleculeConfig() {
  model = head.backbone;  // the molecule defaults of the backbone
  train.batch_size = 32;
  train.out_dir = "runs/molecules";
}

ConfigSections MoleculeConfig::sections() {
  return {{"data", [this](FieldVisitor& v) { data.visit(v); }},
          {"model",
           [this](FieldVisitor& v) {
             model.visit(v);
             head.visit_head(v);
           }},
          {"train", [this](FieldVisitor& v) {
             train.visit(v);
             loss.visit(v);
           }}};
}

MoleculeModelOptions MoleculeConfig::model_options() const {
  MoleculeModelOptions o = head;
  o.backbone = model;
  o.cutoff = data.cutoff;
  return o;
}

void MoleculeConfig::check(const std::string& where) const {
  ExperimentConfig::check(where);
  if (data.train_file.empty()) {
    SE3T_CHECK(!data.file.empty(), where, "[data].file (or train_file) must be set");
    SE3T_CHECK(data.train_every == 1, where,
               "[data].train_every needs train_file (a random split takes num_train molecules)");
  } else {
    SE3T_CHECK(data.format == "extxyz", where,
               "[data].train_file needs format \"extxyz\" (QM9 is split from one directory)");
  }
  SE3T_CHECK(model.type != "linear", where,
             "[model].type must be \"se3_transformer\" or "
             "\"tfn\" for molecules (\"linear\" is the N-body baseline)");
  SE3T_CHECK(head.radial_basis == 0 || head.radial_basis >= 2, where,
             "[model].radial_basis must be 0 (raw distance) or >= 2, got ", head.radial_basis);
  SE3T_CHECK(model.skip != "add" || model.num_layers == 0, where,
             "[model].skip = \"add\" needs equal fibers in and out of every block, but the input "
             "is the one-hot; use \"cat\"");
  try {
    (void)model_options().network(1);
  } catch (const Error& e) {
    SE3T_CHECK(false, where, "[model]: ", e.message());
  }
  SE3T_CHECK(loss.energy_weight > 0.0 || loss.force_weight > 0.0 || loss.stress_weight > 0.0, where,
             "[train].energy_weight, force_weight and stress_weight are all 0: nothing to train");
  SE3T_CHECK(!loss.stress() || data.cutoff > 0.0, where,
             "[train].stress_weight > 0 needs periodic frames, which need [data].cutoff > 0");
}

MoleculeSplits load_molecule_splits(const MoleculeDataConfig& c) {
  MoleculeSplits s;
  if (!c.train_file.empty()) {
    s.train = load_molecules(c.train_file, c.energy_key);
    if (c.train_every > 1) {
      std::vector<Molecule> kept;
      for (size_t i = 0; i < s.train.size(); i += size_t(c.train_every))
        kept.push_back(std::move(s.train[i]));
      s.train = std::move(kept);
    }
    if (!c.valid_file.empty()) s.valid = load_molecules(c.valid_file, c.energy_key);
    if (!c.test_file.empty()) s.test = load_molecules(c.test_file, c.energy_key);
    return s;
  }
  const std::vector<Molecule> all = c.format == "qm9" ? load_qm9_directory(c.file, c.energy_key)
                                                      : load_molecules(c.file, c.energy_key);
  const int64_t n = static_cast<int64_t>(all.size());
  const int64_t rest = n - c.num_train - c.num_valid;
  SE3T_CHECK(rest >= 0, c.file, " holds ", n,
             " molecules, fewer than num_train + num_valid = ", c.num_train + c.num_valid);
  const int64_t num_test = c.num_test < 0 ? rest : c.num_test;
  const auto parts = random_split(n, {c.num_train, c.num_valid, num_test}, c.split_seed);
  s.train = take(all, parts[0]);
  s.valid = take(all, parts[1]);
  s.test = take(all, parts[2]);
  return s;
}

MoleculeTask::MoleculeTask(MoleculeConfig config) : config_(std::move(config)) {}

std::string MoleculeTask::resume_fingerprint_of(const std::string& config_toml,
                                                const std::string& source) const {
  return MoleculeConfig::parse(config_toml, source + " (stored config)").resume_fingerprint();
}

void MoleculeTask::load_data(std::ostream*) {
  data_ = load_molecule_splits(config_.data);
  SE3T_CHECK(!data_.train.empty(), "no training molecules");
  if (config_.loss.forces()) {
    for (const auto* split : {&data_.train, &data_.valid, &data_.test}) {
      for (const Molecule& m : *split) {
        SE3T_CHECK(m.has_forces(), "[train].force_weight > 0 but molecule ", m.name,
                   " has no forces");
      }
    }
  }
  if (config_.loss.stress()) {
    for (const auto* split : {&data_.train, &data_.valid, &data_.test}) {
      for (const Molecule& m : *split) {
        SE3T_CHECK(m.stress.has_value(), "[train].stress_weight > 0 but frame ", m.name,
                   " has no stress (a periodic frame with stress=\"...\")");
      }
    }
  }
  const ElementVocabulary vocab = ElementVocabulary::of(data_.train);
  vocab.check_known(data_.valid, "validation split");
  vocab.check_known(data_.test, "test split");
  num_elements_ = vocab.size();
  std::vector<int64_t> all_train(data_.train.size());
  for (size_t i = 0; i < all_train.size(); ++i) all_train[i] = static_cast<int64_t>(i);
  stats_ = fit_energy_stats(data_.train, all_train, vocab, config_.data.fit_reference);
}

std::string MoleculeTask::describe() const {
  return "molecules, " + std::to_string(data_.train.size()) + " train / " +
         std::to_string(data_.valid.size()) + " valid / " + std::to_string(data_.test.size()) +
         " test, " + std::to_string(num_elements_) + " elements, residual mean " +
         format("%.4g", stats_.mean) + " std " + format("%.4g", stats_.std) +
         (config_.loss.forces() ? ", energy + forces" : ", energy") +
         (config_.loss.stress() ? " + stress" : "");
}

void MoleculeTask::build_model() {
  model_ = MoleculeModel(config_.model_options(), stats_);
}

void MoleculeTask::begin_epoch(uint64_t seed, int64_t epoch) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(epoch), static_cast<uint32_t>(epoch >> 32), 0x3017u};
  const uint64_t s = std::mt19937_64(seq)();
  const int64_t n = num_train();
  order_ = random_split(n, {n}, s)[0];
}

at::Tensor MoleculeTask::batch_loss(int64_t begin, int64_t end, int64_t batch_begin,
                                    int64_t batch_end) {
  const std::vector<int64_t> idx(order_.begin() + begin, order_.begin() + end);
  const MoleculeBatch batch = model_->batch(data_.train, idx);
  MoleculeLossShare share;
  if (begin != batch_begin || end != batch_end) {
    int64_t atoms = 0, batch_atoms = 0;
    for (int64_t i = batch_begin; i < batch_end; ++i) {
      const int64_t n = data_.train[order_[i]].size();
      batch_atoms += n;
      if (i >= begin && i < end) atoms += n;
    }
    share.molecules =
        static_cast<double>(end - begin) / static_cast<double>(batch_end - batch_begin);
    share.atoms = static_cast<double>(atoms) / static_cast<double>(batch_atoms);
  }
  return molecule_loss(*model_, batch, config_.loss, config_.loss.derivatives(), share);
}

std::vector<std::string> MoleculeTask::metric_names() const {
  if (config_.loss.stress()) return {"energy_mae", "force_mae", "stress_mae"};
  return {"energy_mae", "force_mae"};
}

const std::vector<Molecule>& MoleculeTask::split_data(Split split) const {
  return split == Split::kTrain ? data_.train : split == Split::kValid ? data_.valid : data_.test;
}

int64_t MoleculeTask::eval_batches(Split split) {
  return molecule_eval_batches(static_cast<int64_t>(split_data(split).size()));
}

std::vector<double> MoleculeTask::eval_batch(Split split, int64_t batch) {
  return molecule_batch_sums(*model_, split_data(split), batch, config_.loss,
                             config_.loss.derivatives());
}

Metrics MoleculeTask::eval_metrics(Split split, const std::vector<std::vector<double>>& rows) {
  const MoleculeMetrics m =
      molecule_metrics(rows, static_cast<int64_t>(split_data(split).size()), config_.loss.forces());
  Metrics out;
  out.loss = m.loss;
  out.values = {m.energy_mae, m.force_mae};
  if (config_.loss.stress()) out.values.push_back(m.stress_mae);
  out.json = m.to_json();
  out.count = m.num_molecules;
  return out;
}

void MoleculeTask::write_model(torch::serialize::OutputArchive& archive) {
  write_molecule_model(*model_, archive);
}

void MoleculeTask::read_model(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue options, stats;
  SE3T_CHECK(archive.try_read("se3t_molecule_options", options) && options.isString() &&
                 archive.try_read("se3t_energy_stats", stats) && stats.isString(),
             "'", path, "' is not a molecule model file");
  SE3T_CHECK(MoleculeModelOptions::from_text(options.toStringRef()).to_text() ==
                 model_->options().to_text(),
             "'", path, "' holds a different molecule model:\n", options.toStringRef(),
             "but the config builds:\n", model_->options().to_text());
  SE3T_CHECK(stats.toStringRef() == model_->stats().to_text(), "'", path,
             "' was trained with other energy statistics (data changed?)");
  model_->load(archive);
}

}  // namespace se3t

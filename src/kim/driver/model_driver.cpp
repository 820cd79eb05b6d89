// The se3t KIM model driver (docs/design.md, LAMMPS through KIM): a portable model's parameter
// files (se3t/kim/portable_model.h) name a molecule model, whose per-atom energies
// E_i = e_el(i) + std * y_i are the KIM particle energies. The simulator hands over
// contributing and padding (ghost) particles; the graph is built here, with the model's radius
// cutoff, over those closer than the influence distance to a contributing particle
// (influence_region.h), the partial energy sums E_i over contributing particles only, and
// its gradient gives partial forces on every particle (the simulator adds the padding
// particles' forces to their owners). Every exception stops at the C boundary as a KIM error
// return with a LOG_ERROR message.
#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "KIM_LogMacros.hpp"
#include "KIM_ModelDriverHeaders.hpp"
#include "influence_region.h"
#include "se3t/data/elements.h"
#include "se3t/kim/portable_model.h"
#include "se3t/md/units.h"
#include "se3t/models/molecule_model.h"
#include "se3t/util/check.h"
#include "se3t/util/runtime.h"

namespace {

using se3t::kim::kDriverName;

// LOG_ERROR writes to KIM's log (kim.log); the simulator usually shows only that the call
// failed, so the message goes to stderr as well.
#define KIM_LOGGER_OBJECT_NAME logger
template <typename Logger>
int report_error(Logger* logger, const std::string& message) {
  const std::string text = std::string("se3t KIM driver ") + kDriverName + ": " + message;
  LOG_ERROR(text);
  std::cerr << text << std::endl;
  return 1;
}
#undef KIM_LOGGER_OBJECT_NAME

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SE3T_CHECK(in, "cannot read parameter file '", path, "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class Se3tKimModel {
 public:
  Se3tKimModel(KIM::ModelDriverCreate* create, KIM::LengthUnit length, KIM::EnergyUnit energy,
               KIM::ChargeUnit charge, KIM::TemperatureUnit temperature, KIM::TimeUnit time) {
    int files = 0;
    create->GetNumberOfParameterFiles(&files);
    const std::string* dir = nullptr;
    create->GetParameterFileDirectoryName(&dir);
    SE3T_CHECK(dir != nullptr, "no parameter file directory");
    std::vector<std::string> names;
    for (int i = 0; i < files; ++i) {
      const std::string* name = nullptr;
      SE3T_CHECK(create->GetParameterFileBasename(i, &name) == 0 && name != nullptr,
                 "cannot get the name of parameter file ", i);
      names.push_back(*name);
    }
    auto path_of = [&](const std::string& name) {
      for (const auto& n : names) {
        if (n == name) return *dir + "/" + n;
      }
      SE3T_CHECK(false, "the portable model has no parameter file '", name,
                 "' (it was not written by se3t export-kim?)");
      return std::string();
    };
    const std::string params_path = path_of(se3t::kim::kParameterFileName);
    const auto params = se3t::kim::PortableModelParameters::from_text(
        read_file(params_path), std::string("parameter file ") + se3t::kim::kParameterFileName);
    model_ = se3t::load_molecule_model(path_of(params.model_file));
    model_->eval();
    se3t::kim::check_kim_model(*model_, "model file " + params.model_file);

    // The parameter file's species are the model's elements, in any order; the species code
    // of each is its index in the parameter file.
    const auto& vocab = model_->vocabulary();
    const auto& stats = model_->stats();
    SE3T_CHECK(static_cast<int64_t>(params.species.size()) == vocab.size(), "the parameter file ",
               "lists ", params.species.size(), " species, the model has ", vocab.size(),
               " elements");
    for (const auto& symbol : params.species) {
      const int z = se3t::atomic_number(symbol);
      const int64_t column = vocab.index(z);  // throws naming an element the model lacks
      numbers_.push_back(z);
      reference_.push_back(stats.reference.at(static_cast<size_t>(column)));
    }

    // Native units: Angstrom and the model's energy unit (through eV).
    double length_factor = 1.0, ev_factor = 1.0;
    SE3T_CHECK(KIM::ModelDriverCreate::ConvertUnit(
                   KIM::LENGTH_UNIT::A, KIM::ENERGY_UNIT::eV, KIM::CHARGE_UNIT::e,
                   KIM::TEMPERATURE_UNIT::K, KIM::TIME_UNIT::ps, length, energy, charge,
                   temperature, time, 1.0, 0.0, 0.0, 0.0, 0.0, &length_factor) == 0 &&
                   KIM::ModelDriverCreate::ConvertUnit(
                       KIM::LENGTH_UNIT::A, KIM::ENERGY_UNIT::eV, KIM::CHARGE_UNIT::e,
                       KIM::TEMPERATURE_UNIT::K, KIM::TIME_UNIT::ps, length, energy, charge,
                       temperature, time, 0.0, 1.0, 0.0, 0.0, 0.0, &ev_factor) == 0,
               "cannot convert A and eV to the requested units");
    length_factor_ = length_factor;
    energy_factor_ = se3t::md::energy_unit_in_ev(params.energy_unit) * ev_factor;
    SE3T_CHECK(create->SetUnits(length, energy, KIM::CHARGE_UNIT::unused,
                                KIM::TEMPERATURE_UNIT::unused, KIM::TIME_UNIT::unused) == 0,
               "cannot set the units");
    SE3T_CHECK(create->SetModelNumbering(KIM::NUMBERING::zeroBased) == 0,
               "cannot set zero-based numbering");
    for (size_t code = 0; code < params.species.size(); ++code) {
      const KIM::SpeciesName species(params.species[code]);
      SE3T_CHECK(species.Known(), "KIM does not know the species '", params.species[code], "'");
      SE3T_CHECK(create->SetSpeciesCode(species, static_cast<int>(code)) == 0,
                 "cannot set the species code of ", params.species[code]);
    }

    // The influence distance is (num_layers + 1) r_c (se3t/kim/portable_model.h). One
    // neighbour list of cutoff r_c, never asked for padding particles: the driver builds the
    // graph over all the particles it is given, so the list is only KIM's required handshake
    // and the simulator builds the cheapest one.
    influence_distance_ = se3t::kim::influence_distance(model_->options()) * length_factor_;
    cutoff_ = model_->options().cutoff * length_factor_;
    create->SetInfluenceDistancePointer(&influence_distance_);
    create->SetNeighborListPointers(1, &cutoff_, &will_not_request_padding_neighbours_);

    int threads = static_cast<int>(params.threads);
    if (const char* env = std::getenv("SE3T_KIM_THREADS"); env != nullptr && *env != '\0') {
      char* end = nullptr;
      const long n = std::strtol(env, &end, 10);
      SE3T_CHECK(end != env && *end == '\0' && n >= 1 && n <= 4096,
                 "SE3T_KIM_THREADS must be a positive integer, got '", env, "'");
      threads = static_cast<int>(n);
    }
    se3t::configure_runtime(threads);

    // No Refresh routine: KIM requires one only of models that publish parameters.
    KIM::ModelDestroyFunction* destroy = &Se3tKimModel::destroy;
    KIM::ModelComputeFunction* compute = &Se3tKimModel::compute;
    KIM::ModelComputeArgumentsCreateFunction* args_create = &Se3tKimModel::arguments_create;
    KIM::ModelComputeArgumentsDestroyFunction* args_destroy = &Se3tKimModel::arguments_destroy;
    SE3T_CHECK(
        create->SetRoutinePointer(KIM::MODEL_ROUTINE_NAME::Destroy, KIM::LANGUAGE_NAME::cpp, true,
                                  reinterpret_cast<KIM::Function*>(destroy)) == 0 &&
            create->SetRoutinePointer(KIM::MODEL_ROUTINE_NAME::Compute, KIM::LANGUAGE_NAME::cpp,
                                      true, reinterpret_cast<KIM::Function*>(compute)) == 0 &&
            create->SetRoutinePointer(KIM::MODEL_ROUTINE_NAME::ComputeArgumentsCreate,
                                      KIM::LANGUAGE_NAME::cpp, true,
                                      reinterpret_cast<KIM::Function*>(args_create)) == 0 &&
            create->SetRoutinePointer(KIM::MODEL_ROUTINE_NAME::ComputeArgumentsDestroy,
                                      KIM::LANGUAGE_NAME::cpp, true,
                                      reinterpret_cast<KIM::Function*>(args_destroy)) == 0,
        "cannot register the model routines");
  }

  static int destroy(KIM::ModelDestroy* const kim) {
    Se3tKimModel* self = nullptr;
    kim->GetModelBufferPointer(reinterpret_cast<void**>(&self));
    delete self;
    return 0;
  }

  static int arguments_create(KIM::ModelCompute const* const,
                              KIM::ModelComputeArgumentsCreate* const kim) {
    const KIM::ComputeArgumentName outputs[] = {KIM::COMPUTE_ARGUMENT_NAME::partialEnergy,
                                                KIM::COMPUTE_ARGUMENT_NAME::partialForces,
                                                KIM::COMPUTE_ARGUMENT_NAME::partialParticleEnergy,
                                                KIM::COMPUTE_ARGUMENT_NAME::partialVirial};
    for (const auto& name : outputs) {
      if (kim->SetArgumentSupportStatus(name, KIM::SUPPORT_STATUS::optional) != 0) {
        return report_error(kim, "cannot declare the compute arguments");
      }
    }
    return 0;
  }

  static int arguments_destroy(KIM::ModelCompute const* const,
                               KIM::ModelComputeArgumentsDestroy* const) {
    return 0;
  }

  static int compute(KIM::ModelCompute const* const kim,
                     KIM::ModelComputeArguments const* const args) {
    Se3tKimModel* self = nullptr;
    kim->GetModelBufferPointer(reinterpret_cast<void**>(&self));
    try {
      self->compute(args);
      return 0;
    } catch (const se3t::Error& e) {
      return report_error(kim, e.message());
    } catch (const c10::Error& e) {
      return report_error(kim, std::string("LibTorch: ") + e.what_without_backtrace());
    } catch (const std::exception& e) {
      return report_error(kim, e.what());
    } catch (...) {
      return report_error(kim, "unknown exception in Compute");
    }
  }

 private:
  void compute(KIM::ModelComputeArguments const* const args) {
    const int* count = nullptr;
    const int* codes = nullptr;
    const int* contributing = nullptr;
    const double* coordinates = nullptr;
    double* energy = nullptr;
    double* particle_energy = nullptr;
    double* forces = nullptr;
    double* virial = nullptr;
    SE3T_CHECK(
        args->GetArgumentPointer(KIM::COMPUTE_ARGUMENT_NAME::numberOfParticles, &count) == 0 &&
            args->GetArgumentPointer(KIM::COMPUTE_ARGUMENT_NAME::particleSpeciesCodes, &codes) ==
                0 &&
            args->GetArgumentPointer(KIM::COMPUTE_ARGUMENT_NAME::particleContributing,
                                     &contributing) == 0 &&
            args->GetArgumentPointer(KIM::COMPUTE_ARGUMENT_NAME::coordinates, &coordinates) == 0 &&
            args->GetArgumentPointer(KIM::COMPUTE_ARGUMENT_NAME::partialEnergy, &energy) == 0 &&
            args->GetArgumentPointer(KIM::COMPUTE_ARGUMENT_NAME::partialParticleEnergy,
                                     &particle_energy) == 0 &&
            args->GetArgumentPointer(KIM::COMPUTE_ARGUMENT_NAME::partialForces, &forces) == 0 &&
            args->GetArgumentPointer(KIM::COMPUTE_ARGUMENT_NAME::partialVirial, &virial) == 0,
        "cannot get the compute arguments");
    const int64_t n = *count;
    if (energy) *energy = 0.0;
    if (particle_energy) std::fill(particle_energy, particle_energy + n, 0.0);
    if (forces) std::fill(forces, forces + 3 * n, 0.0);
    if (virial) std::fill(virial, virial + 6, 0.0);

    for (int64_t i = 0; i < n; ++i) {
      SE3T_CHECK(codes[i] >= 0 && codes[i] < static_cast<int>(numbers_.size()), "particle ", i,
                 " has species code ", codes[i], ", not one of this model's 0..",
                 numbers_.size() - 1);
    }
    // The graph over the particles that can matter, in the model's units (A). Non-periodic:
    // the simulator's padding particles are the periodic images.
    const std::vector<int64_t> kept =
        se3t::kim::influence_region(coordinates, contributing, n, influence_distance_);
    if (kept.empty()) return;  // e.g. an MPI rank whose domain holds no atom
    const int64_t k = static_cast<int64_t>(kept.size());
    se3t::Molecule m;
    m.numbers.resize(static_cast<size_t>(k));
    m.positions.resize(static_cast<size_t>(k));
    std::vector<double> mask(static_cast<size_t>(k)), reference(static_cast<size_t>(k));
    for (int64_t a = 0; a < k; ++a) {
      const int64_t i = kept[a];
      m.numbers[a] = numbers_[codes[i]];
      for (int d = 0; d < 3; ++d) m.positions[a][d] = coordinates[3 * i + d] / length_factor_;
      mask[a] = contributing[i] ? 1.0 : 0.0;
      reference[a] = reference_[codes[i]];
    }

    const se3t::MoleculeBatch batch = model_->batch({m}, {0});
    const bool gradient = forces != nullptr || virial != nullptr;
    const at::Tensor pos = batch.graph.pos.to(model_->dtype()).detach().requires_grad_(gradient);
    at::Tensor y;
    {
      std::unique_ptr<torch::NoGradGuard> no_grad;
      if (!gradient) no_grad = std::make_unique<torch::NoGradGuard>();
      y = model_->atom_outputs_at(batch, pos);  // [k], the model's dtype
    }
    const at::Tensor c = at::tensor(mask, at::kDouble);
    const at::Tensor yd = y.detach().to(at::kDouble);
    const double s = model_->stats().std;
    // E_i = e_el(i) + std * y_i in the model's unit, then the simulator's.
    const at::Tensor atom_energy =
        (at::tensor(reference, at::kDouble) + s * yd) * c * energy_factor_;
    SE3T_CHECK(at::isfinite(atom_energy).all().item<bool>(), "the model's energy is not finite");
    if (energy) *energy = atom_energy.sum().item<double>();
    if (particle_energy) {
      const double* e = atom_energy.data_ptr<double>();
      for (int64_t a = 0; a < k; ++a) particle_energy[kept[a]] = e[a];
    }
    if (!gradient) return;
    const at::Tensor cy = (y * c.to(y.scalar_type())).sum();
    const at::Tensor grad = torch::autograd::grad({cy}, {pos})[0].to(at::kDouble);
    // F = -dE/dx: model units per A, then the simulator's energy per its length.
    const at::Tensor f = (-s * energy_factor_ / length_factor_) * grad;  // [k, 3]
    SE3T_CHECK(at::isfinite(f).all().item<bool>(), "the model's forces are not finite");
    const at::Tensor fc = f.contiguous();
    const double* fp = fc.data_ptr<double>();
    if (forces) {
      for (int64_t a = 0; a < k; ++a) std::copy(fp + 3 * a, fp + 3 * a + 3, forces + 3 * kept[a]);
    }
    if (virial) {
      // KIM's partial virial V = -sum_i f_i (x) r_i over all particles (the dropped ones have
      // f_i = 0), in the order 11 22 33 23 31 12 (KIM API docs, theory: partial virial).
      double v[6] = {0, 0, 0, 0, 0, 0};
      for (int64_t a = 0; a < k; ++a) {
        const double* fi = fp + 3 * a;
        const double* r = coordinates + 3 * kept[a];
        v[0] -= fi[0] * r[0];
        v[1] -= fi[1] * r[1];
        v[2] -= fi[2] * r[2];
        v[3] -= fi[1] * r[2];
        v[4] -= fi[2] * r[0];
        v[5] -= fi[0] * r[1];
      }
      std::copy(v, v + 6, virial);
    }
  }

  se3t::MoleculeModel model_{nullptr};
  std::vector<int> numbers_;         // atomic number of each species code
  std::vector<double> reference_;    // e_el of each species code, model units
  double length_factor_ = 1.0;       // simulator length units per A
  double energy_factor_ = 1.0;       // simulator energy units per model energy unit
  double influence_distance_ = 0.0;  // simulator length units
  double cutoff_ = 0.0;
  int will_not_request_padding_neighbours_ = 1;
};

}  // namespace

extern "C" int se3t_kim_model_driver_create(KIM::ModelDriverCreate* const create,
                                            KIM::LengthUnit const length,
                                            KIM::EnergyUnit const energy,
                                            KIM::ChargeUnit const charge,
                                            KIM::TemperatureUnit const temperature,
                                            KIM::TimeUnit const time) {
  try {
    auto model = std::make_unique<Se3tKimModel>(create, length, energy, charge, temperature, time);
    create->SetModelBufferPointer(model.release());
    return 0;
  } catch (const se3t::Error& e) {
    return report_error(create, e.message());
  } catch (const c10::Error& e) {
    return report_error(create, std::string("LibTorch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return report_error(create, e.what());
  } catch (...) {
    return report_error(create, "unknown exception while creating the model");
  }
}

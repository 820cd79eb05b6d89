#include "se3t/md/trajectory.h"

#include <ATen/ATen.h>

#include <cmath>

#include "se3t/util/check.h"
#include "se3t/util/fields.h"
#include "se3t/util/text.h"

namespace se3t::md {

namespace {

constexpr const char* kSettingPrefix = "md_";

std::vector<std::string> per_atom_text(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  std::vector<std::string> out;
  out.reserve(c.numel());
  for (int64_t k = 0; k < c.numel(); ++k) out.push_back(format_real(c.data_ptr<double>()[k]));
  return out;
}

std::vector<std::array<double, 3>> rows_of(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  std::vector<std::array<double, 3>> out(c.size(0));
  for (int64_t i = 0; i < c.size(0); ++i) {
    for (int d = 0; d < 3; ++d) out[i][d] = c.data_ptr<double>()[3 * i + d];
  }
  return out;
}

at::Tensor tensor_of(const std::vector<std::array<double, 3>>& rows) {
  at::Tensor t = at::empty({static_cast<int64_t>(rows.size()), 3}, at::kDouble);
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int d = 0; d < 3; ++d) t.data_ptr<double>()[3 * i + d] = rows[i][d];
  }
  return t;
}

}  // namespace

MdState state_from_frame(const Frame& frame, const std::string& source, bool* has_velocities) {
  SE3T_CHECK(frame.size() >= 1, source, ": the frame has no atoms");
  MdState state = make_state(frame.species, tensor_of(frame.positions), cell_of_frame(frame));
  bool found = false;
  for (const AtomProperty& p : frame.atom_properties) {
    if (p.name != "velocities") continue;
    SE3T_CHECK(p.type == 'R' && p.columns == 3, source,
               ": the velocities column must be velocities:R:3 (A/fs)");
    double* v = state.velocities.data_ptr<double>();
    for (size_t k = 0; k < p.values.size(); ++k) {
      SE3T_CHECK(parse_real(p.values[k], v[k]), source, ": atom ", k / 3 + 1, ": velocity '",
                 p.values[k], "' is not a finite real");
    }
    found = true;
  }
  if (has_velocities) *has_velocities = found;
  return state;
}

Frame trajectory_frame(const MdState& state, const Thermo& thermo) {
  Frame f;
  f.species = state.species;
  f.positions = rows_of(state.positions);
  if (state.forces.defined()) f.forces = rows_of(state.forces);
  f.atom_properties.push_back({"velocities", 'R', 3, per_atom_text(state.velocities)});
  if (state.cell) set_frame_cell(f, *state.cell);
  f.info["step"] = std::to_string(thermo.step);
  f.info["time_fs"] = format_real(thermo.time_fs);
  f.info["energy"] = format_real(thermo.potential);
  f.info["kinetic_energy"] = format_real(thermo.kinetic);
  f.info["temperature"] = format_real(thermo.temperature_k);
  return f;
}

Frame restart_frame(const MdState& state, const MdSettings& settings) {
  SE3T_CHECK(state.forces.defined(), "restart: the forces of the state are not evaluated");
  Frame f = trajectory_frame(state, thermo(state, settings));
  MdSettings s = settings;
  const KeyValueText kv =
      KeyValueText::parse(to_key_value([&s](FieldVisitor& v) { s.visit(v); }), "md settings");
  for (const auto& [key, value] : kv.entries()) f.info[kSettingPrefix + key] = value;
  return f;
}

Restart read_restart(const std::string& path) {
  const std::vector<Frame> frames = read_extxyz(path);
  SE3T_CHECK(!frames.empty(), "restart file ", path, " holds no frames");
  const Frame& f = frames.back();
  const std::string source = "restart file " + path;
  Restart r;
  bool has_velocities = false;
  r.state = state_from_frame(f, source, &has_velocities);
  SE3T_CHECK(has_velocities, source, ": no velocities:R:3 column");
  SE3T_CHECK(f.has_forces(), source, ": no forces column");
  r.state.forces = tensor_of(f.forces);
  const std::optional<double> energy = f.number("energy");
  SE3T_CHECK(energy && std::isfinite(*energy), source, ": no finite energy");
  r.state.potential_energy = *energy;
  const auto step = f.info.find("step");
  int64_t s = -1;
  SE3T_CHECK(step != f.info.end() && parse_integer(step->second, s) && s >= 0, source,
             ": no step (a non-negative integer)");
  r.state.step = s;
  KeyValueText kv = KeyValueText::parse("", source);
  for (const auto& [key, value] : f.info) {
    if (key.rfind(kSettingPrefix, 0) == 0) kv.put(key.substr(3), value);
  }
  from_key_value(
      kv, [&r](FieldVisitor& v) { r.settings.visit(v); }, /*require_all=*/true);
  r.settings.validate();
  return r;
}

}  // namespace se3t::md

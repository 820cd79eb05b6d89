// `se3t serve --ipi`: a trained molecule model as the force engine of an i-PI server (i-PI,
// ASE's SocketIOCalculator) over the i-PI socket protocol (se3t/md/ipi_driver.h).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "se3t/data/extxyz.h"
#include "se3t/md/ipi_driver.h"
#include "se3t/md/molecule_potential.h"
#include "se3t/md/units.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"
#include "se3t/util/threads.h"

namespace se3t::cli {

void add_serve_command(CLI::App& app) {
  struct Options {
    std::vector<std::string> checkpoints;
    std::string ipi, data, energy_unit = "kcal/mol";
    int64_t frame = 0, threads = 1;
    bool periodic = false, quiet = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve a trained molecule model's energies and forces to an i-PI server.");
  cmd->footer(
      "Connects to the i-PI server at --ipi (unix:NAME is the socket /tmp/ipi_NAME that i-PI\n"
      "and ASE's SocketIOCalculator(unixsocket=NAME) open; HOST:PORT a TCP one) and answers\n"
      "its positions with the energy, forces F = -dE/dx and virial of the molecule model of\n"
      "--checkpoint (several: their ensemble mean),\n"
      "until the server ends the session. The protocol sends no elements: they are those of\n"
      "the frame --frame of --data, in order. Energies are converted from --energy-unit to\n"
      "Hartree, lengths are Bohr on the wire. The system is isolated and the cell the server\n"
      "sends ignored (virial zero), unless --periodic: then the server's cell is periodic and\n"
      "the virial is -V sigma, sigma the model's stress (dE/d strain / V; models trained with\n"
      "a cutoff; fully connected ones refuse a periodic cell). Prints a JSON summary.");
  cmd->add_option("--ipi", opts->ipi, "server address: unix:NAME or HOST:PORT")->required();
  cmd->add_option("--checkpoint", opts->checkpoints,
                  "molecule model (from se3t train); repeat for an ensemble")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", opts->data, "a frame with the elements of the system (.extxyz)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--frame", opts->frame, "index of that frame in --data (-1: the last)")
      ->capture_default_str();
  cmd->add_option("--energy-unit", opts->energy_unit, "unit of the model's energies")
      ->capture_default_str()
      ->check(CLI::IsMember(md::energy_unit_names()));
  cmd->add_flag("--periodic", opts->periodic, "the server's cell is periodic");
  cmd->add_flag("--quiet", opts->quiet, "no connection messages on stderr");
  cmd->add_option("--threads", opts->threads, "intra-op threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  cmd->callback([opts] {
    run_guarded("serve", [&] {
      const Options& o = *opts;
      const md::IpiAddress address = md::parse_ipi_address(o.ipi);
      configure_threads(o.threads);
      const std::vector<Frame> frames = read_extxyz(o.data);
      const int64_t n = static_cast<int64_t>(frames.size());
      SE3T_CHECK(n > 0, o.data, " holds no frames");
      const int64_t k = o.frame < 0 ? n + o.frame : o.frame;
      SE3T_CHECK(k >= 0 && k < n, "--frame ", o.frame, " is out of range: ", o.data, " holds ", n,
                 " frames");
      md::MoleculePotential potential(load_molecule_ensemble(o.checkpoints), frames[k].species,
                                      o.energy_unit);
      const md::IpiSession s =
          md::run_ipi_driver(address, potential, static_cast<int64_t>(frames[k].size()), o.periodic,
                             o.quiet ? nullptr : &std::cerr);
      std::printf("{\"ipi\": %s, \"potential\": %s, \"atoms\": %lld, \"evaluations\": %lld}\n",
                  json_string(o.ipi).c_str(), json_string(potential.describe()).c_str(),
                  static_cast<long long>(frames[k].size()), static_cast<long long>(s.evaluations));
      return 0;
    });
  });
}

}  // namespace se3t::cli

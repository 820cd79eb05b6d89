// The client ("driver") side of the i-PI socket protocol (Kapil et al., Comput. Phys. Commun.
// 236, 214 (2019)), the one i-PI and ASE's SocketIOCalculator speak: the server runs the
// dynamics and sends positions, the driver answers with energy, forces and virial.
//
// Messages are 12-byte ASCII headers padded with spaces; numbers are float64 and int32 in the
// machine's byte order (little-endian on every platform se3t builds on); lengths in Bohr,
// energies in Hartree. Matrices travel transposed: a cell whose rows are the lattice vectors
// is sent as its transpose (lattice vectors as columns), row after row, and so is the virial.
//   STATUS   -> the driver answers READY, or HAVEDATA once it holds a result
//   INIT     <- int32 bead index, int32 n, n bytes (ignored)
//   POSDATA  <- cell (9 float64), inverse cell (9 float64), int32 N, positions (3N float64)
//   GETFORCE -> FORCEREADY, float64 E, int32 N, forces (3N float64), virial (9 float64),
//               int32 n, n bytes of extra data (one zero byte)
//   EXIT, or the server closing the socket, ends the session.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

#include "se3t/md/potential.h"

namespace se3t::md {

struct IpiAddress {
  bool unix_socket = true;
  std::string path;  // unix: the socket file
  std::string host;  // inet
  int port = 0;
};

// "unix:NAME" (the socket /tmp/ipi_NAME, the convention of i-PI and ASE; unix:/PATH is the
// socket PATH) or "HOST:PORT". Throws se3t::Error with the accepted forms otherwise.
IpiAddress parse_ipi_address(const std::string& text);

struct IpiSession {
  int64_t evaluations = 0;  // POSDATA messages answered
};

// Connects to the server at `address` and answers its requests with `potential` for a system
// of `num_atoms` atoms until EXIT or the server closes the connection. `periodic`: the cell the
// server sends is a periodic cell; otherwise the system is isolated and the cell is ignored.
// Throws se3t::Error for a failed connection, a protocol violation (an unknown message, another
// atom count) or a potential that fails.
IpiSession run_ipi_driver(const IpiAddress& address, Potential& potential, int64_t num_atoms,
                          bool periodic, std::ostream* log = nullptr);

}  // namespace se3t::md

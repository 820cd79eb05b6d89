#include "se3t/md/ipi_driver.h"

#include <ATen/ATen.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "se3t/md/units.h"
#include "se3t/util/check.h"

namespace se3t::md {

namespace {

constexpr size_t kHeader = 12;

class Socket {
 public:
  explicit Socket(const IpiAddress& a) {
    if (a.unix_socket) {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      SE3T_CHECK(a.path.size() < sizeof(addr.sun_path), "i-PI socket path ", a.path,
                 " is too long (at most ", sizeof(addr.sun_path) - 1, " characters)");
      std::memcpy(addr.sun_path, a.path.c_str(), a.path.size() + 1);
      fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
      SE3T_CHECK(fd_ >= 0, "cannot create a unix socket: ", std::strerror(errno));
      SE3T_CHECK(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
                 "cannot connect to the i-PI server at unix socket ", a.path, ": ",
                 std::strerror(errno), " (is the server running?)");
      where_ = "unix socket " + a.path;
      return;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(a.host.c_str(), std::to_string(a.port).c_str(), &hints, &found);
    SE3T_CHECK(rc == 0, "cannot resolve i-PI host ", a.host, ": ", ::gai_strerror(rc));
    int error = 0;
    for (addrinfo* p = found; p; p = p->ai_next) {
      fd_ = ::socket(p->ai_family, p->ai_socktype, p->ai_protocol);
      if (fd_ < 0) continue;
      if (::connect(fd_, p->ai_addr, p->ai_addrlen) == 0) break;
      error = errno;
      ::close(fd_);
      fd_ = -1;
    }
    ::freeaddrinfo(found);
    where_ = a.host + ":" + std::to_string(a.port);
    SE3T_CHECK(fd_ >= 0, "cannot connect to the i-PI server at ", where_, ": ",
               std::strerror(error), " (is the server running?)");
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // False when the server closed the connection before the first byte.
  bool read(void* data, size_t size, bool eof_ok = false) {
    char* p = static_cast<char*>(data);
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::recv(fd_, p + done, size - done, 0);
      if (n < 0 && errno == EINTR) continue;
      SE3T_CHECK(n >= 0, "i-PI ", where_, ": read failed: ", std::strerror(errno));
      if (n == 0) {
        SE3T_CHECK(eof_ok && done == 0, "i-PI ", where_,
                   ": the server closed the connection in the middle of a message");
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }
  void write(const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::send(fd_, p + done, size - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      SE3T_CHECK(n > 0, "i-PI ", where_, ": write failed: ", std::strerror(errno));
      done += static_cast<size_t>(n);
    }
  }
  void header(const std::string& h) {
    std::string padded = h;
    padded.resize(kHeader, ' ');
    write(padded.data(), kHeader);
  }
  template <typename T>
  T value() {
    T x{};
    read(&x, sizeof x);
    return x;
  }
  template <typename T>
  void put(T x) {
    write(&x, sizeof x);
  }
  const std::string& where() const { return where_; }

 private:
  int fd_ = -1;
  std::string where_;
};

// 9 float64 of a transposed matrix on the wire -> the matrix, times `scale`.
at::Tensor read_matrix(Socket& s, double scale) {
  at::Tensor m = at::empty({3, 3}, at::kDouble);
  s.read(m.data_ptr<double>(), 9 * sizeof(double));
  return (m.t() * scale).contiguous();
}

}  // namespace

IpiAddress parse_ipi_address(const std::string& text) {
  IpiAddress a;
  const std::string forms = " (expected unix:NAME for the socket /tmp/ipi_NAME, or HOST:PORT)";
  if (text.rfind("unix:", 0) == 0) {
    const std::string name = text.substr(5);
    SE3T_CHECK(!name.empty(), "--ipi ", text, ": empty socket name", forms);
    a.path = name[0] == '/' ? name : "/tmp/ipi_" + name;
    return a;
  }
  const size_t colon = text.rfind(':');
  SE3T_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < text.size(), "--ipi ", text,
             ": not an address", forms);
  a.unix_socket = false;
  a.host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  SE3T_CHECK(port.find_first_not_of("0123456789") == std::string::npos && port.size() <= 5 &&
                 std::stoi(port) >= 1 && std::stoi(port) <= 65535,
             "--ipi ", text, ": the port must be a number in 1 .. 65535", forms);
  a.port = std::stoi(port);
  return a;
}

IpiSession run_ipi_driver(const IpiAddress& address, Potential& potential, int64_t num_atoms,
                          bool periodic, std::ostream* log) {
  Socket s(address);
  if (log) *log << "se3t serve: connected to the i-PI server at " << s.where() << "\n";
  IpiSession session;
  bool have_data = false;
  PotentialOutput result;
  for (;;) {
    char raw[kHeader];
    if (!s.read(raw, kHeader, /*eof_ok=*/true)) break;  // ASE closes without EXIT
    std::string msg(raw, kHeader);
    msg.erase(msg.find_last_not_of(' ') + 1);
    if (msg == "STATUS") {
      s.header(have_data ? "HAVEDATA" : "READY");
    } else if (msg == "INIT") {
      s.value<int32_t>();  // bead index
      const int32_t n = s.value<int32_t>();
      SE3T_CHECK(n >= 0 && n < (1 << 24), "i-PI ", s.where(), ": INIT with ", n, " bytes");
      std::vector<char> bytes(static_cast<size_t>(n));
      if (n > 0) s.read(bytes.data(), bytes.size());
    } else if (msg == "POSDATA") {
      SE3T_CHECK(!have_data, "i-PI ", s.where(), ": POSDATA before the last forces were taken");
      const at::Tensor cell = read_matrix(s, kAngstromPerBohr);
      read_matrix(s, 1.0);  // the inverse cell: recomputed where needed
      const int32_t n = s.value<int32_t>();
      SE3T_CHECK(n == num_atoms, "i-PI ", s.where(), ": the server sent ", n,
                 " atoms, the structure has ", num_atoms);
      at::Tensor pos = at::empty({num_atoms, 3}, at::kDouble);
      s.read(pos.data_ptr<double>(), static_cast<size_t>(3 * num_atoms) * sizeof(double));
      SE3T_CHECK(at::isfinite(pos).all().item<bool>() && at::isfinite(cell).all().item<bool>(),
                 "i-PI ", s.where(), ": non-finite positions or cell");
      pos = pos * kAngstromPerBohr;
      std::optional<SimulationCell> c;
      if (periodic) {
        c = SimulationCell{};
        for (int r = 0; r < 3; ++r) {
          for (int k = 0; k < 3; ++k) c->vectors[r][k] = cell[r][k].item<double>();
        }
        check_cell(c->vectors, "i-PI " + s.where() + ": --periodic, but the server's cell: ");
      }
      result = potential.compute(pos, c ? &*c : nullptr);
      SE3T_CHECK(std::isfinite(result.energy) && at::isfinite(result.forces).all().item<bool>(),
                 "i-PI ", s.where(), ": the potential gave a non-finite energy or force");
      have_data = true;
      ++session.evaluations;
    } else if (msg == "GETFORCE") {
      SE3T_CHECK(have_data, "i-PI ", s.where(), ": GETFORCE before POSDATA");
      s.header("FORCEREADY");
      s.put<double>(result.energy / kEvPerHartree);
      s.put<int32_t>(static_cast<int32_t>(num_atoms));
      const at::Tensor f =
          (result.forces.to(at::kDouble) * (kAngstromPerBohr / kEvPerHartree)).contiguous();
      s.write(f.data_ptr<double>(), static_cast<size_t>(f.numel()) * sizeof(double));
      const at::Tensor virial =
          result.virial.defined() ? (result.virial.to(at::kDouble) / kEvPerHartree).t().contiguous()
                                  : at::zeros({3, 3}, at::kDouble);
      s.write(virial.data_ptr<double>(), 9 * sizeof(double));
      s.put<int32_t>(1);  // one zero byte of extra data: an empty message reads as a close
      s.put<char>(0);
      have_data = false;
    } else if (msg == "EXIT") {
      break;
    } else {
      SE3T_CHECK(false, "i-PI ", s.where(), ": unknown message '", msg, "'");
    }
  }
  if (log) *log << "se3t serve: " << session.evaluations << " evaluations, session ended\n";
  return session;
}

}  // namespace se3t::md

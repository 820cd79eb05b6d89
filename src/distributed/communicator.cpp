#include "se3t/distributed/communicator.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <exception>

#include "se3t/util/check.h"

namespace se3t::distributed {
namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

}  // namespace

struct Communicator::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::chrono::milliseconds timeout{0};
};

Communicator::Communicator(const World& world, double timeout_s)
    : world_(world), timeout_s_(timeout_s), impl_(std::make_unique<Impl>()) {
  SE3T_CHECK(world.size >= 1 && world.rank >= 0 && world.rank < world.size, "distributed: rank ",
             world.rank, " is outside a world of ", world.size);
  SE3T_CHECK(timeout_s > 0, "distributed: the collective timeout must be > 0 s");
  impl_->timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000.0));
  const std::string where = "rank " + std::to_string(world.rank) + " of " +
                            std::to_string(world.size) + ", rendezvous at " + world.master_addr +
                            ":" + std::to_string(world.master_port);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(world.master_port);
    so.isServer = world.rank == 0;
    so.numWorkers = static_cast<size_t>(world.size);
    so.waitWorkers = true;
    so.timeout = impl_->timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(world.master_addr, so);
    auto options = c10d::ProcessGroupGloo::Options::create(impl_->timeout);
    // The interface Gloo's connections use: GLOO_SOCKET_IFNAME (as in PyTorch), the loopback
    // for a job on one machine, else the interface of this machine's hostname.
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname != '\0') {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (is_loopback(world.master_addr)) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    impl_->group =
        c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, world.rank, world.size, options);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    SE3T_CHECK(false, "distributed (", where, "): the processes did not all meet within ",
               timeout_s, " s: ", e.what());
  }
}

Communicator::~Communicator() = default;

namespace {

// Waits for a collective; a failure (a peer gone, the timeout passed) becomes an se3t::Error.
void wait_for(const c10::intrusive_ptr<c10d::Work>& work, const char* what, int rank, int size,
              double timeout_s) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    SE3T_CHECK(false, "distributed: ", what, " failed on rank ", rank, " of ", size,
               " (another process ended or did not answer within ", timeout_s, " s): ", e.what());
  }
}

}  // namespace

void Communicator::broadcast(at::Tensor& tensor, int root) {
  std::vector<at::Tensor> tensors{tensor};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  o.timeout = impl_->timeout;
  wait_for(impl_->group->broadcast(tensors, o), "broadcast", rank(), size(), timeout_s_);
}

void Communicator::all_reduce_sum(at::Tensor& tensor) {
  std::vector<at::Tensor> tensors{tensor};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  o.timeout = impl_->timeout;
  wait_for(impl_->group->allreduce(tensors, o), "all-reduce", rank(), size(), timeout_s_);
}

void Communicator::barrier() {
  c10d::BarrierOptions o;
  o.timeout = impl_->timeout;
  wait_for(impl_->group->barrier(o), "barrier", rank(), size(), timeout_s_);
}

}  // namespace se3t::distributed

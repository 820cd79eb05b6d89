// The collectives of a data-parallel job, on LibTorch's c10d: a TCPStore rendezvous (rank 0
// serves it at MASTER_ADDR:MASTER_PORT) and a Gloo process group over TCP. Every collective is
// blocking and gives up after the job's timeout ([train].collective_timeout_s), so a process
// that died or hangs ends the others with an error instead of a hang. Tensors live on the CPU
// for Gloo; CUDA builds of LibTorch offer NCCL behind the same c10d interface (README,
// "Data-parallel training").
#pragma once
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "se3t/distributed/world.h"

namespace se3t::distributed {

class Communicator {
 public:
  // Joins the rendezvous of `world` (size > 1) within timeout_s seconds.
  Communicator(const World& world, double timeout_s);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return world_.rank; }
  int size() const { return world_.size; }
  double timeout_s() const { return timeout_s_; }

  // In place: every process's `tensor` becomes root's.
  void broadcast(at::Tensor& tensor, int root = 0);
  // In place: every process's `tensor` becomes the element-wise sum over processes.
  void all_reduce_sum(at::Tensor& tensor);
  void barrier();

 private:
  struct Impl;
  World world_;
  double timeout_s_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace se3t::distributed

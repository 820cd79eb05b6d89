// Memory checks before large allocations: a model or a batch that cannot fit is refused with
// its estimate and what to lower, instead of failing deep inside LibTorch (or being killed).
#pragma once
#include <cstdint>
#include <string>

namespace se3t {

// Physical memory of this machine in bytes (0 if unknown).
int64_t physical_memory_bytes();

// Memory available to a new allocation without swapping (MemAvailable), in bytes.
int64_t available_memory_bytes();

// "37.3 GiB", "512 MiB", ...
std::string format_bytes(double bytes);

// Throws se3t::Error when `bytes`, an estimate of what `what` needs, exceeds the available
// memory: "<what> needs at least 37.3 GiB, more than the 23.4 GiB ... available: <lower>".
void check_fits_in_memory(double bytes, const std::string& what, const std::string& lower);

}  // namespace se3t

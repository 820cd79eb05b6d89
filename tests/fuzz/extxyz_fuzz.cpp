// libFuzzer target for the molecule parsers (extended XYZ and QM9). Built by
// scripts/run-fuzz.sh with clang's -fsanitize=fuzzer,address,undefined from the parser sources
// alone. se3t::Error is the documented outcome of malformed input; any other exception, a
// crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "se3t/data/elements.h"
#include "se3t/data/extxyz.h"
#include "se3t/data/qm9_xyz.h"
#include "se3t/util/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  // Extended XYZ: read every frame; whatever parses must also write and read back the same.
  std::vector<se3t::Frame> frames;
  try {
    std::istringstream in(text);
    se3t::ExtxyzReader reader(in, "fuzz");
    se3t::Frame frame;
    while (reader.next(frame)) frames.push_back(frame);
  } catch (const se3t::Error&) {
  }
  for (const se3t::Frame& frame : frames) {
    std::ostringstream out;
    try {
      se3t::write_extxyz(out, frame);
    } catch (const se3t::Error&) {
      continue;  // e.g. a quoted key with a space: readable but not writable
    }
    std::istringstream back_in(out.str());
    const std::vector<se3t::Frame> back = se3t::read_extxyz(back_in, "fuzz-roundtrip");
    if (back.size() != 1 || back[0].species != frame.species ||
        back[0].positions != frame.positions || back[0].forces != frame.forces ||
        back[0].info != frame.info || back[0].cell != frame.cell || back[0].pbc != frame.pbc) {
      __builtin_trap();  // the writer produced something that does not read back the same
    }
    try {
      se3t::element_types({frame});
    } catch (const se3t::Error&) {
    }
  }

  // QM9 raw record; a parsed one must always be writable as extended XYZ (outside the try,
  // so that a writer error is a finding).
  se3t::Frame qm9;
  try {
    std::istringstream in(text);
    qm9 = se3t::read_qm9_xyz(in, "fuzz");
  } catch (const se3t::Error&) {
    return 0;
  }
  std::ostringstream out;
  se3t::write_extxyz(out, qm9);
  return 0;
}

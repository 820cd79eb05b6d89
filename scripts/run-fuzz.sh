#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the molecule parsers (tests/fuzz/extxyz_fuzz.cpp).
#
#   scripts/run-fuzz.sh [seconds] [build-dir]
#
# seconds    how long to fuzz (default 20, or $SE3T_FUZZ_SECONDS)
# build-dir  where the binary, working corpus and crash artifacts go
#            (default $SE3T_FUZZ_BUILD_DIR, else build-fuzz/ at the repo root)
# $CXX_FUZZ  the clang++ to use (default: clang++, else clang++-14 .. clang++-19)
#
# The parsers are std-only, so only their sources are compiled: no LibTorch, no CMake build.
# Exit status: 0 clean, 1 a finding (crash, sanitizer report, leak, timeout, uncaught non-se3t
# exception) or a build error, 77 skipped (no clang with libFuzzer here).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-${SE3T_FUZZ_SECONDS:-20}}"
build="${2:-${SE3T_FUZZ_BUILD_DIR:-$root/build-fuzz}}"
case "$seconds" in
  '' | *[!0-9]*) echo "run-fuzz.sh: seconds must be a positive integer, got '$seconds'" >&2; exit 1 ;;
esac

cxx="${CXX_FUZZ:-}"
if [ -z "$cxx" ]; then
  for candidate in clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
    if command -v "$candidate" >/dev/null 2>&1; then cxx="$candidate"; break; fi
  done
fi
if [ -z "$cxx" ]; then
  echo "run-fuzz.sh: skipped: no clang++ found (libFuzzer needs clang; set CXX_FUZZ)"
  exit 77
fi

mkdir -p "$build/corpus" "$build/artifacts"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)

# A missing libFuzzer runtime (e.g. no libclang-rt-dev) is a skip, not a finding.
probe="$build/probe.cpp"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe"
if ! "$cxx" "${flags[@]}" "$probe" -o "$build/probe" >"$build/probe.log" 2>&1; then
  echo "run-fuzz.sh: skipped: $cxx cannot link a libFuzzer target (is libclang-rt-dev installed?)"
  cat "$build/probe.log"
  exit 77
fi

echo "run-fuzz.sh: building $build/extxyz_fuzz with $cxx"
"$cxx" "${flags[@]}" -Wall -Wextra -I "$root/include" \
  "$root/tests/fuzz/extxyz_fuzz.cpp" "$root/src/data/extxyz.cpp" "$root/src/data/qm9_xyz.cpp" \
  "$root/src/data/elements.cpp" "$root/src/util/text.cpp" "$root/src/util/atomic_file.cpp" \
  -o "$build/extxyz_fuzz"

# New inputs go to the working corpus in the build folder; the committed seeds stay untouched.
echo "run-fuzz.sh: fuzzing for ${seconds}s"
status=0
(cd "$build" && ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  ./extxyz_fuzz "$build/corpus" "$root/tests/fuzz/corpus" \
  -dict="$root/tests/fuzz/extxyz.dict" -max_total_time="$seconds" -rss_limit_mb=2048 \
  -max_len=4096 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/") ||
  status=$?
if [ "$status" -ne 0 ]; then
  echo "run-fuzz.sh: FINDING (libFuzzer exit status $status); reproducer(s) in $build/artifacts:" >&2
  ls -l "$build/artifacts" >&2 || true
  exit 1
fi
echo "run-fuzz.sh: no findings in ${seconds}s"

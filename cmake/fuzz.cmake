# CTest test `fuzz_extxyz`: builds and runs the libFuzzer target of the molecule parsers
# (tests/fuzz) through scripts/run-fuzz.sh, bounded in time. Included from the top-level
# CMakeLists.txt with include(cmake/fuzz.cmake). The target is built by the script with clang
# (-fsanitize=fuzzer,address,undefined), not by this build: the parsers are std-only.
if(NOT SE3T_BUILD_TESTS)
  return()
endif()
enable_testing()

set(SE3T_FUZZ_SECONDS 20 CACHE STRING "Seconds the fuzz_extxyz test fuzzes for")
find_program(SE3T_FUZZ_CXX NAMES clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15
                                 clang++-14
             DOC "clang++ with libFuzzer, for the fuzz_extxyz test")
find_program(SE3T_BASH NAMES bash)

# 77 = skipped: no clang at configure time, or (decided by the script) no libFuzzer runtime.
if(SE3T_FUZZ_CXX AND SE3T_BASH)
  add_test(NAME fuzz_extxyz
           COMMAND ${SE3T_BASH} ${CMAKE_CURRENT_LIST_DIR}/../scripts/run-fuzz.sh
                   ${SE3T_FUZZ_SECONDS} ${CMAKE_BINARY_DIR}/fuzz)
  # Compiling with sanitizers takes about a minute on 2 cores, on top of the fuzzing.
  math(EXPR _se3t_fuzz_timeout "${SE3T_FUZZ_SECONDS} + 600")
  set_tests_properties(fuzz_extxyz PROPERTIES
    ENVIRONMENT "CXX_FUZZ=${SE3T_FUZZ_CXX}"
    SKIP_RETURN_CODE 77
    LABELS fuzz
    TIMEOUT ${_se3t_fuzz_timeout})
else()
  message(STATUS "fuzz_extxyz: no clang++ (or bash) found, the test will report itself skipped")
  add_test(NAME fuzz_extxyz
           COMMAND sh -c
                   "echo 'fuzz_extxyz skipped: no clang++ found at configure time (libFuzzer needs clang; install clang and libclang-rt-dev, or set SE3T_FUZZ_CXX)'; exit 77")
  set_tests_properties(fuzz_extxyz PROPERTIES SKIP_RETURN_CODE 77 LABELS fuzz)
endif()

# CTest test `install_consumer` (cmake -P script): installs the already-built se3t library into a
# prefix under the build directory, then configures, builds and runs examples/consumer against
# it through find_package(se3t), exactly as a user's project would. The consumer is compiled
# with -Wall -Wextra -Werror. Everything it writes lies in <build dir>/install_consumer.
#
# Variables (-D): BUILD_DIR, SOURCE_DIR, LIBRARY (the built library file), GENERATOR,
# BUILD_TYPE, CXX_COMPILER; optional MAKE_PROGRAM, Torch_DIR.
cmake_minimum_required(VERSION 3.18)
foreach(var BUILD_DIR SOURCE_DIR LIBRARY GENERATOR BUILD_TYPE CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_consumer: ${var} is not set")
  endif()
endforeach()

set(work ${BUILD_DIR}/install_consumer)
set(prefix ${work}/prefix)
set(consumer_build ${work}/build)
# A fresh install and a fresh consumer build each time: nothing stale can hide a broken package.
file(REMOVE_RECURSE ${work})

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install_consumer: ${what} failed (${rc}):\n${out}")
  endif()
endfunction()

if(NOT EXISTS ${LIBRARY})
  message(FATAL_ERROR "install_consumer: the se3t library is not built (no ${LIBRARY}); "
                      "build it first: cmake --build ${BUILD_DIR} --target se3t")
endif()
run_step("cmake --install (component library)"
         ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component library
         --config ${BUILD_TYPE})

# The exported package must not point back into the source or build tree (the private src/
# include, the precompiled header): it would work here and nowhere else.
file(GLOB_RECURSE package_files ${prefix}/*.cmake)
if(NOT package_files)
  message(FATAL_ERROR "install_consumer: no CMake package files were installed under ${prefix}")
endif()
foreach(file ${package_files})
  file(READ ${file} text)
  foreach(tree ${SOURCE_DIR} ${BUILD_DIR})
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "install_consumer: ${file} refers to ${tree}: the installed package "
                          "depends on the tree it was built in")
    endif()
  endforeach()
endforeach()

# se3t::se3t must carry its installed include directory, or no consumer finds the headers.
file(GLOB_RECURSE targets_file ${prefix}/se3tTargets.cmake)
if(NOT targets_file)
  message(FATAL_ERROR "install_consumer: no se3tTargets.cmake was installed under ${prefix}")
endif()
file(STRINGS "${targets_file}" include_dirs REGEX "INTERFACE_INCLUDE_DIRECTORIES")
if(NOT include_dirs MATCHES "\"\\\${_IMPORT_PREFIX}/")
  message(FATAL_ERROR "install_consumer: the installed se3t::se3t has no include directory in "
                      "the prefix (${targets_file}: '${include_dirs}'); is GNUInstallDirs "
                      "included before target_include_directories(se3t ...)?")
endif()

set(configure_args -S ${SOURCE_DIR}/examples/consumer -B ${consumer_build} -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix} "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror")
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(Torch_DIR)
  list(APPEND configure_args -DTorch_DIR=${Torch_DIR})
endif()
run_step("configuring examples/consumer" ${CMAKE_COMMAND} ${configure_args})

# find_package(se3t) must have found this install, not some other se3t on the machine.
file(STRINGS ${consumer_build}/CMakeCache.txt found REGEX "^se3t_DIR:")
string(REGEX REPLACE "^se3t_DIR:[A-Z]+=" "" found "${found}")
string(FIND "${found}" "${prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "install_consumer: find_package(se3t) found '${found}', not the test's "
                      "install under ${prefix}")
endif()

run_step("building examples/consumer" ${CMAKE_COMMAND} --build ${consumer_build} --config
         ${BUILD_TYPE})

set(program ${consumer_build}/se3t_consumer)
if(NOT EXISTS ${program})
  set(program ${consumer_build}/${BUILD_TYPE}/se3t_consumer)  # multi-config generators
endif()
execute_process(COMMAND ${program} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "se3t_consumer: ${out}${err}")
if(NOT out MATCHES "equivariance error ([^ \n]+)")
  message(FATAL_ERROR "install_consumer: se3t_consumer (exit ${rc}) printed no "
                      "'equivariance error <value>' line:\n${out}${err}")
endif()
set(error ${CMAKE_MATCH_1})
if(NOT rc EQUAL 0 OR NOT error LESS 1e-10)
  message(FATAL_ERROR "install_consumer: se3t_consumer exited ${rc} with equivariance error "
                      "${error} (must be below 1e-10 and exit 0)")
endif()
message(STATUS "install_consumer: passed, equivariance error ${error} < 1e-10")

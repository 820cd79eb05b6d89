// Precompiled header of the Python extension: torch's pybind11 casters (Python.h, pybind11)
// and the LibTorch headers every binding file needs.
#pragma once
#include <ATen/ATen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/csrc/utils/pybind.h>
#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

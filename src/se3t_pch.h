// Precompiled header: the LibTorch headers every se3t translation unit needs.
// Not installed; public headers include what they use themselves.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/types.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

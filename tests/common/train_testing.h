// Helpers of the training tests: tiny configs of every task that train in about a second.
#pragma once
#include <memory>
#include <string>

#include "common/temp_dir.h"
#include "se3t/tasks/molecule_task.h"
#include "se3t/tasks/nbody_task.h"
#include "se3t/train/fit.h"

namespace se3t::testing {

// Options of fit() without log lines or progress bar.
FitOptions quiet();

// 24 training and 8 test simulations (plus num_valid validation ones), a one-layer
// SE(3)-Transformer with degrees 0-1 and 4 channels, 4 epochs of 3 steps.
NBodyConfig tiny_nbody_config(const std::string& data_dir, const std::string& out_dir,
                              int64_t num_valid = 0);

// 24 molecules of a pair potential written to dir/molecules.extxyz (14 train / 5 valid /
// 5 test), a one-layer SE(3)-Transformer, 3 epochs of 4 steps.
MoleculeConfig tiny_molecule_config(const std::string& dir, const std::string& out_dir);

// A tiny molecule model trained for one epoch by the se3t program with parameters of `dtype`:
// returns dir/run/checkpoint.pt; its data is dir/molecules.extxyz (H, C, O molecules of 3 to 6
// atoms). Fails the calling test when training fails.
std::string train_tiny_molecule_checkpoint(const TempDir& dir, const std::string& dtype);

// The same network trained for one epoch on the periodic water of data/xtb/water (96 atoms,
// cubic cell) with a smooth 3 A cutoff and SiLU, energies and forces: returns
// dir/water-run/checkpoint.pt. Fails the calling test when training fails.
std::string train_tiny_water_checkpoint(const TempDir& dir, const std::string& dtype);

// The tiny config of task `kind` ("nbody" with a validation split, or "molecules") as a task.
std::unique_ptr<Task> tiny_task(const std::string& kind, const std::string& dir,
                                const std::string& out_dir);

}  // namespace se3t::testing

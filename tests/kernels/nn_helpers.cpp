// The layer-test helpers of tests/nn (random graphs, feature rotation), compiled into this
// program too so the kernel tests build the same graphs and rotations.
#include "nn/nn_testing.cpp"

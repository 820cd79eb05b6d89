#include "se3t/train/task.h"

namespace se3t {

const char* to_string(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValid:
      return "valid";
    default:
      return "test";
  }
}

}  // namespace se3t

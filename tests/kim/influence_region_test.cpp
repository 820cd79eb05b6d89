// The KIM driver's influence region (src/kim/driver/influence_region.h) against a brute-force
// search: the padding particles closer than the distance to some contributing particle.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

#include "common/testing.h"

#ifdef SE3T_KIM_INFLUENCE_REGION
#include "kim/driver/influence_region.h"
#endif

namespace se3t {
namespace {

TEST(InfluenceRegion, EqualsBruteForce) {
#ifndef SE3T_KIM_INFLUENCE_REGION
  GTEST_SKIP() << "the KIM driver is not built (no KIM API)";
#else
  at::Generator g = testing::make_generator(17);
  const int64_t n = 600;
  // Contributing particles in a 10 A cube, padding ones in a 30 A cube around it.
  const at::Tensor x = (at::rand({n, 3}, g, at::kDouble) * 30.0 - 10.0).contiguous();
  std::vector<int> contributing(n);
  for (int64_t i = 0; i < n; ++i) {
    const auto p = x[i];
    contributing[i] = (p >= 0).all().item<bool>() && (p < 10).all().item<bool>();
  }
  const double* c = x.data_ptr<double>();
  for (double distance : {0.7, 3.0, 6.5, 50.0}) {
    std::vector<int64_t> expected;
    for (int64_t i = 0; i < n; ++i) {
      bool near = contributing[i];
      for (int64_t j = 0; j < n && !near; ++j) {
        if (!contributing[j]) continue;
        double d2 = 0;
        for (int a = 0; a < 3; ++a)
          d2 += (c[3 * i + a] - c[3 * j + a]) * (c[3 * i + a] - c[3 * j + a]);
        near = d2 < distance * distance;
      }
      if (near) expected.push_back(i);
    }
    EXPECT_EQ(kim::influence_region(c, contributing.data(), n, distance), expected) << distance;
  }
  std::vector<int> none(n, 0);
  EXPECT_TRUE(kim::influence_region(c, none.data(), n, 3.0).empty());
#endif
}

}  // namespace
}  // namespace se3t

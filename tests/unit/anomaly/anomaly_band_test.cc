#include "anomaly/anomaly_band.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "anomaly/synthetic.h"

namespace opsight::anomaly {
namespace {

using testing::make_series;

TEST(AnomalyBandTest, ArraysAlignedToTheInput) {
  auto s = make_series(7 * kDayMs, 5 * kMinuteMs, 10, 5, 0.1);
  s.vs[500] = NAN;  // a missing point still gets a band
  Result<Band> b = anomaly_band(s.ts, s.vs, 4, 5 * kMinuteMs);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  ASSERT_EQ(b->expected.size(), s.ts.size());
  ASSERT_EQ(b->lower.size(), s.ts.size());
  ASSERT_EQ(b->upper.size(), s.ts.size());
  for (size_t i = 0; i < s.ts.size(); i++) {
    ASSERT_TRUE(std::isfinite(b->expected[i])) << i;
    ASSERT_LT(b->lower[i], b->expected[i]);
    ASSERT_GT(b->upper[i], b->expected[i]);
    if (i != 500) {
      ASSERT_LE(b->lower[i], s.vs[i]) << i;
      ASSERT_GE(b->upper[i], s.vs[i]) << i;
    }
  }
  // Wider k, wider band.
  Result<Band> wide = anomaly_band(s.ts, s.vs, 8, 0);
  ASSERT_TRUE(wide.ok());
  EXPECT_NEAR(wide->upper[0] - wide->expected[0], 2 * (b->upper[0] - b->expected[0]), 1e-9);
}

TEST(AnomalyBandTest, FollowsALevelShiftInTheHistory) {
  auto s = make_series(6 * kDayMs, 5 * kMinuteMs, 10, 0, 0.1);
  for (size_t i = s.ts.size() / 2; i < s.ts.size(); i++) s.vs[i] += 20;
  Result<Band> b = anomaly_band(s.ts, s.vs, 3, 0);
  ASSERT_TRUE(b.ok());
  EXPECT_NEAR(b->expected[10], 10, 0.1);
  EXPECT_NEAR(b->expected.back(), 30, 0.1);
}

TEST(AnomalyBandTest, TooLittleDataIsNoBand) {
  std::vector<int64_t> ts = {1000, 2000, 3000};
  std::vector<double> vs = {1, 2, 3};
  Result<Band> b = anomaly_band(ts, vs, 2, 1000);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->expected.size(), 3u);
  EXPECT_TRUE(std::isnan(b->expected[0]));
  EXPECT_TRUE(std::isnan(b->upper[2]));
  Result<Band> empty = anomaly_band({}, {}, 2, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->expected.empty());
}

TEST(AnomalyBandTest, BadArgumentsAreErrors) {
  std::vector<int64_t> ts = {1000, 2000, 3000, 4000, 5000, 6000};
  std::vector<double> vs = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(anomaly_band(ts, vs, 0, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(anomaly_band(ts, vs, -1, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(anomaly_band(ts, vs, NAN, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(anomaly_band(ts, vs, 2, -5).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(anomaly_band(ts, std::vector<double>{1, 2}, 2, 0).status().code(),
            Code::kInvalidArgument);
  std::vector<int64_t> unsorted = {1000, 3000, 2000, 4000, 5000, 6000};
  Result<Band> b = anomaly_band(unsorted, vs, 2, 0);
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_NE(b.status().message().find("time order"), std::string::npos);
}

}  // namespace
}  // namespace opsight::anomaly

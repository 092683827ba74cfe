#include "anomaly/seasonal_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "anomaly/synthetic.h"

namespace opsight::anomaly {
namespace {

using testing::kT0;
using testing::make_series;
using testing::Series;

class SeasonalModelTest : public ::testing::Test {
 protected:
  // 7 days at 5 minutes: 10 + 5 sin(day) + U(-0.1, 0.1).
  Series sine_ = make_series(7 * kDayMs, 5 * kMinuteMs, 10, 5, 0.1);
  // 7 days at 5 minutes, flat: 10 + U(-0.1, 0.1).
  Series flat_ = make_series(7 * kDayMs, 5 * kMinuteMs, 10, 0, 0.1);
};

TEST_F(SeasonalModelTest, BandContainsCleanSinusoidAtK2) {
  // One-minute data for 14 days, as the production model sees it.
  Series s = make_series(14 * kDayMs, kMinuteMs, 10, 5, 0.1);
  SeasonalModel m;
  ASSERT_TRUE(m.train(s.ts, s.vs).ok());
  EXPECT_TRUE(m.has_daily());
  EXPECT_FALSE(m.has_weekly());
  for (size_t i = 0; i < s.ts.size(); i++) {
    BandPoint b = m.band(s.ts[i], 2);
    ASSERT_LE(b.lower, s.vs[i]) << i;
    ASSERT_GE(b.upper, s.vs[i]) << i;
  }
  // The band is narrow: the noise, not the seasonal swing, sets its width.
  EXPECT_LT(m.sigma(), 0.2);
  // And it forecasts the next day.
  int64_t t = s.ts.back() + 6 * kHourMs;
  BandPoint b = m.band(t, 2);
  double truth = 10 + 5 * std::sin(2 * M_PI * static_cast<double>(t - kT0) / kDayMs);
  EXPECT_NEAR(b.expected, truth, 0.1);
}

TEST_F(SeasonalModelTest, SeasonalityIsChosenByTheData) {
  SeasonalModel flat;
  ASSERT_TRUE(flat.train(flat_.ts, flat_.vs).ok());
  EXPECT_FALSE(flat.has_daily());
  EXPECT_FALSE(flat.has_weekly());
  EXPECT_NEAR(flat.band(flat_.ts.back() + kHourMs, 3).expected, 10, 0.05);

  // Weekdays 10, weekends 4, with a daily swing: daily + weekly.
  Series s = make_series(14 * kDayMs, 10 * kMinuteMs, 10, 2, 0.1);
  for (size_t i = 0; i < s.ts.size(); i++) {
    int64_t day = (s.ts[i] / kDayMs + 4) % 7;  // 1970-01-01 was a Thursday: 0 = Sunday
    if (day == 0 || day == 6) s.vs[i] -= 6;
  }
  SeasonalModel weekly;
  ASSERT_TRUE(weekly.train(s.ts, s.vs).ok());
  EXPECT_TRUE(weekly.has_weekly());
  for (size_t i = 0; i < s.ts.size(); i += 7) {
    BandPoint b = weekly.band(s.ts[i], 4);
    ASSERT_LE(b.lower, s.vs[i]) << i;
    ASSERT_GE(b.upper, s.vs[i]) << i;
  }
}

TEST_F(SeasonalModelTest, TrendIsFittedAndExtrapolated) {
  Series s = make_series(10 * kDayMs, 5 * kMinuteMs, 10, 0, 0.1, /*slope_per_day=*/1.0);
  SeasonalModel m;
  ASSERT_TRUE(m.train(s.ts, s.vs).ok());
  int64_t t = s.ts.back() + kDayMs;
  EXPECT_NEAR(m.band(t, 3).expected, 10 + 11.0 * (t - kT0) / (11.0 * kDayMs), 0.1);
  Explanation e = m.explain(t, 21, 3);
  EXPECT_NEAR(e.trend, 1.0, 0.05);  // one day past the newest point
}

TEST_F(SeasonalModelTest, RobustToOutliersInTheHistory) {
  Series s = flat_;
  for (size_t i = 100; i < s.vs.size(); i += 97) s.vs[i] = 1000;  // 1% wild points
  SeasonalModel m;
  ASSERT_TRUE(m.train(s.ts, s.vs).ok());
  EXPECT_NEAR(m.band(s.ts.back() + kHourMs, 3).expected, 10, 0.05);
  EXPECT_LT(m.sigma(), 0.2);
}

TEST_F(SeasonalModelTest, LevelShiftInTheHistoryIsItsOwnComponent) {
  Series s = flat_;
  size_t half = s.vs.size() * 2 / 3;
  for (size_t i = half; i < s.vs.size(); i++) s.vs[i] += 20;
  SeasonalModel m;
  ASSERT_TRUE(m.train(s.ts, s.vs).ok());
  EXPECT_NEAR(m.band(s.ts[10], 3).expected, 10, 0.1);               // before the shift
  EXPECT_NEAR(m.band(s.ts.back() + kHourMs, 3).expected, 30, 0.1);  // after it
  Explanation e = m.explain(s.ts.back() + kHourMs, 30, 3);
  EXPECT_NEAR(e.shift, 20, 0.1);
  EXPECT_FALSE(e.anomalous);
  EXPECT_LT(m.sigma(), 0.2);
}

TEST_F(SeasonalModelTest, ExcludedRangesAreIgnored) {
  // An incident (the last two days at +50) at the end of the history.
  Series s = flat_;
  const int64_t start = kT0 + 5 * kDayMs, end = kT0 + 7 * kDayMs;
  for (size_t i = 0; i < s.ts.size(); i++) {
    if (s.ts[i] >= start && s.ts[i] < end) s.vs[i] += 50;
  }
  const int64_t later = s.ts.back() + kHourMs;
  SeasonalModel with_incident;
  ASSERT_TRUE(with_incident.train(s.ts, s.vs).ok());
  // Unexcluded, the model takes the incident for the new normal.
  EXPECT_NEAR(with_incident.band(later, 3).expected, 60, 0.1);

  TimeRange incident{start, end};
  SeasonalModel excluded;
  ASSERT_TRUE(excluded.train(s.ts, s.vs, {&incident, 1}).ok());
  SeasonalModel clean;
  ASSERT_TRUE(clean.train(flat_.ts, flat_.vs).ok());
  EXPECT_NEAR(excluded.band(later, 3).expected, 10, 0.05);
  EXPECT_NEAR(excluded.band(later, 3).expected, clean.band(later, 3).expected, 0.05);
  EXPECT_NEAR(excluded.sigma(), clean.sigma(), 0.02);
  EXPECT_TRUE(excluded.explain(later, 60, 3).anomalous);
}

TEST_F(SeasonalModelTest, StepIsAlarmedThenLearnt) {
  SeasonalModel m;
  ASSERT_TRUE(m.train(flat_.ts, flat_.vs).ok());
  int64_t t = flat_.ts.back();
  int anomalous = 0;
  for (int i = 0; i < 40; i++) {
    t += 5 * kMinuteMs;
    Explanation e = m.explain(t, 20, 3);
    if (e.anomalous) {
      anomalous++;
      EXPECT_EQ(e.component, i == 0 ? Component::kNoise : Component::kShift) << i;
    }
    ASSERT_TRUE(m.update(t, 20).ok());
  }
  // Alarmed for the points that confirm the shift, then the new level is normal.
  EXPECT_GE(anomalous, 3);
  EXPECT_LE(anomalous, 8);
  Explanation e = m.explain(t + 5 * kMinuteMs, 20, 3);
  EXPECT_FALSE(e.anomalous);
  EXPECT_NEAR(e.expected, 20, 0.2);
}

TEST_F(SeasonalModelTest, SpikeIsNoiseAndDoesNotDragTheModel) {
  SeasonalModel m;
  ASSERT_TRUE(m.train(sine_.ts, sine_.vs).ok());
  int64_t t = sine_.ts.back() + 5 * kMinuteMs;
  BandPoint b = m.band(t, 3);
  Explanation e = m.explain(t, b.expected + 30, 3);
  EXPECT_TRUE(e.anomalous);
  EXPECT_EQ(e.component, Component::kNoise);
  EXPECT_GT(e.deviation, 100);
  ASSERT_TRUE(m.update(t, b.expected + 30).ok());
  // The next normal point is still normal: the update was clipped.
  int64_t t2 = t + 5 * kMinuteMs;
  double normal = 10 + 5 * std::sin(2 * M_PI * static_cast<double>(t2 - kT0) / kDayMs);
  EXPECT_FALSE(m.explain(t2, normal, 3).anomalous);
}

TEST_F(SeasonalModelTest, ExplainAttributesSeason) {
  SeasonalModel m;
  ASSERT_TRUE(m.train(sine_.ts, sine_.vs).ok());
  // 06:00 is the daily peak (10 + 5); the peak does not happen.
  int64_t peak = kT0 + 7 * kDayMs + 6 * kHourMs;
  Explanation e = m.explain(peak, 10, 3);
  EXPECT_TRUE(e.anomalous);
  EXPECT_EQ(e.component, Component::kSeason);
  EXPECT_EQ(component_name(e.component), "season");
  EXPECT_NEAR(e.expected, 15, 0.1);
  EXPECT_NEAR(e.season, 5, 0.1);
  EXPECT_NEAR(e.level + e.trend + e.season + e.shift, e.expected, 1e-9);
  EXPECT_DOUBLE_EQ(e.observed, 10);
  EXPECT_NEAR(e.upper - e.expected, 3 * e.sigma, 1e-9);
}

TEST_F(SeasonalModelTest, ExplainAttributesTrendAndShift) {
  SeasonalModel ramp;
  ASSERT_TRUE(ramp.train(flat_.ts, flat_.vs).ok());
  const double sigma = ramp.sigma();
  int64_t t = flat_.ts.back();
  // A ramp of 0.3 sigma per point: the 13th point is 3.9 sigmas out.
  for (int i = 1; i <= 12; i++) {
    t += 5 * kMinuteMs;
    ASSERT_TRUE(ramp.update(t, 10 + 0.3 * sigma * i).ok());
  }
  t += 5 * kMinuteMs;
  Explanation e = ramp.explain(t, 10 + 0.3 * sigma * 13, 3);
  EXPECT_TRUE(e.anomalous);
  EXPECT_EQ(e.component, Component::kTrend);

  SeasonalModel step;
  ASSERT_TRUE(step.train(flat_.ts, flat_.vs).ok());
  t = flat_.ts.back();
  for (int i = 0; i < 3; i++) {
    t += 5 * kMinuteMs;
    ASSERT_TRUE(step.update(t, 10 + 5 * sigma).ok());
  }
  t += 5 * kMinuteMs;
  e = step.explain(t, 10 + 5 * sigma, 3);
  EXPECT_TRUE(e.anomalous);
  EXPECT_EQ(e.component, Component::kShift);
}

TEST_F(SeasonalModelTest, InvalidInputIsAnError) {
  SeasonalModel m;
  std::vector<int64_t> ts = {3, 2, 1, 4, 5, 6};
  std::vector<double> vs = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(m.train(ts, vs).code(), Code::kInvalidArgument);
  EXPECT_EQ(m.train(std::vector<int64_t>{1, 2}, vs).code(), Code::kInvalidArgument);
  std::vector<int64_t> few_ts = {1, 2, 3};
  std::vector<double> few_vs = {1, NAN, 3};
  EXPECT_EQ(m.train(few_ts, few_vs).code(), Code::kFailedPrecondition);
  EXPECT_FALSE(m.trained());
  EXPECT_EQ(m.update(10, 1).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(m.train(flat_.ts, flat_.vs).ok());
  EXPECT_EQ(m.update(flat_.ts.back() + 1, NAN).code(), Code::kInvalidArgument);
  EXPECT_LT(m.memory_bytes(), 16 * 1024u);
}

}  // namespace
}  // namespace opsight::anomaly

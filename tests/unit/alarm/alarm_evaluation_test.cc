// Metric alarm evaluation against the two tables of the CloudWatch user guide, "Configuring
// how CloudWatch alarms treat missing data" (evaluation range 5 for 3 evaluation periods), the
// premature-alarm examples, the operators, and the reason texts.
#include "alarm/evaluation.h"

#include <gtest/gtest.h>

#include <string>

#include "alarm/alarm_test_util.h"

namespace opsight::alarm {
namespace {

using testing::series_of;
using testing::threshold_alarm;

constexpr int64_t kEnd = 1'700'000'040'000;  // 2023-11-14T22:14:00Z, minute-aligned
constexpr StateValue kOk = StateValue::kOk;
constexpr StateValue kAlarm = StateValue::kAlarm;
constexpr StateValue kInsufficient = StateValue::kInsufficientData;

// "RETAIN" cells are checked from two different previous states.
struct Cell {
  bool retain = false;
  StateValue state = kOk;
};
constexpr Cell kRetain{true, kOk};
constexpr Cell ok{false, kOk};
constexpr Cell alarm{false, kAlarm};
constexpr Cell insufficient{false, kInsufficient};

struct Row {
  const char* points;
  Cell missing, ignore, breaching, not_breaching;
};

void check_row(int64_t n, int64_t m, const Row& row) {
  const std::pair<TreatMissingData, Cell> cells[] = {
      {TreatMissingData::kMissing, row.missing},
      {TreatMissingData::kIgnore, row.ignore},
      {TreatMissingData::kBreaching, row.breaching},
      {TreatMissingData::kNotBreaching, row.not_breaching},
  };
  for (const auto& [treat, cell] : cells) {
    for (StateValue prev : {kOk, kAlarm, kInsufficient}) {
      const MetricAlarm a = threshold_alarm(n, m, treat);
      const auto r = evaluate_metric_alarm(a, series_of(a, row.points, kEnd), kEnd, kEnd, prev);
      const StateValue want = cell.retain ? prev : cell.state;
      EXPECT_EQ(r.state, want) << "\"" << row.points << "\" " << treat_missing_name(treat)
                               << " from " << state_name(prev) << ": got " << state_name(r.state)
                               << " (" << r.reason << ")";
      EXPECT_EQ(r.outcome.retained, cell.retain) << row.points << " " << treat_missing_name(treat);
      EXPECT_EQ(r.changed, want != prev);
    }
  }
}

TEST(EvaluationTest, GuideTableThreeOfThree) {
  // Datapoints to Alarm 3, Evaluation Periods 3, evaluation range 5.
  const Row rows[] = {
      {"0 - X - X", ok, ok, ok, ok},
      {"0 - - - -", ok, ok, ok, ok},
      {"- - - - -", insufficient, kRetain, alarm, ok},
      {"0 X X - X", alarm, alarm, alarm, alarm},
      {"- - X - -", alarm, kRetain, alarm, ok},
  };
  for (const auto& row : rows) check_row(3, 3, row);
}

TEST(EvaluationTest, GuideTableTwoOfThree) {
  // Datapoints to Alarm 2, Evaluation Periods 3 (M out of N).
  const Row rows[] = {
      {"0 - X - X", alarm, alarm, alarm, alarm}, {"0 0 X 0 X", alarm, alarm, alarm, alarm},
      {"0 - X - -", ok, ok, alarm, ok},          {"- - - - 0", ok, ok, alarm, ok},
      {"- - - X -", alarm, kRetain, alarm, ok},
  };
  for (const auto& row : rows) check_row(3, 2, row);
}

TEST(EvaluationTest, PrematureAlarmIsAvoidedForRecentBreaches) {
  // "- - - - X" and "- - - X -" do not alarm with Datapoints to Alarm 3 (the earlier version
  // of the guide: INSUFFICIENT_DATA for missing, retain for ignore).
  check_row(3, 3, {"- - - - X", insufficient, kRetain, alarm, ok});
  check_row(3, 3, {"- - - X -", insufficient, kRetain, alarm, ok});
  check_row(3, 2, {"- - - - X", insufficient, kRetain, alarm, ok});
  // A following non-breaching point makes it OK: no false positive.
  check_row(3, 3, {"- - - X 0", ok, ok, ok, ok});
  check_row(3, 3, {"- - X - 0", ok, ok, ok, ok});
}

TEST(EvaluationTest, OlderRealPointsAreUsedBeforeTreatingMissingData) {
  // 3 real points in the range: the treatment is not consulted.
  check_row(3, 3, {"X X - - X", alarm, alarm, alarm, alarm});
  check_row(3, 3, {"X 0 - - X", ok, ok, ok, ok});
}

TEST(EvaluationTest, DynamoDbNamespaceAlwaysIgnoresMissingData) {
  MetricAlarm a = threshold_alarm(3, 3, TreatMissingData::kBreaching);
  a.namespace_name = "AWS/DynamoDB";
  const auto r = evaluate_metric_alarm(a, series_of(a, "- - - - -", kEnd), kEnd, kEnd, kOk);
  EXPECT_EQ(r.state, kOk);
  EXPECT_TRUE(r.outcome.retained);
}

TEST(EvaluationTest, ThresholdOperators) {
  struct Case {
    ComparisonOperator op;
    double value;
    bool breaching;
  };
  const Case cases[] = {
      {ComparisonOperator::kGreaterThanThreshold, 50, false},
      {ComparisonOperator::kGreaterThanThreshold, 50.5, true},
      {ComparisonOperator::kGreaterThanOrEqualToThreshold, 50, true},
      {ComparisonOperator::kGreaterThanOrEqualToThreshold, 49.9, false},
      {ComparisonOperator::kLessThanThreshold, 50, false},
      {ComparisonOperator::kLessThanThreshold, 49, true},
      {ComparisonOperator::kLessThanOrEqualToThreshold, 50, true},
      {ComparisonOperator::kLessThanOrEqualToThreshold, 51, false},
  };
  for (const auto& c : cases) {
    MetricAlarm a = threshold_alarm(1, 1, TreatMissingData::kMissing);
    a.comparison = c.op;
    EXPECT_EQ(breaches(a, c.value, 0, 0), c.breaching) << comparison_name(c.op) << " " << c.value;
  }
}

TEST(EvaluationTest, BandOperatorsCompareWithTheBand) {
  MetricAlarm a = threshold_alarm(1, 1, TreatMissingData::kMissing);
  a.threshold.reset();
  a.threshold_metric_id = "ad1";
  AlarmSeries s;
  s.timestamps_ms = {kEnd - 60'000};
  s.values = {120};
  s.lower = std::vector<double>{80};
  s.upper = std::vector<double>{110};
  a.comparison = ComparisonOperator::kLessThanLowerOrGreaterThanUpperThreshold;
  auto r = evaluate_metric_alarm(a, s, kEnd, kEnd, kOk);
  EXPECT_EQ(r.state, kAlarm);
  EXPECT_EQ(r.reason,
            "Thresholds Crossed: 1 out of the last 1 datapoints [120.0 (14/11/23 22:13:00)] was "
            "less than the lower thresholds [80.0] or greater than the upper thresholds [110.0] "
            "(minimum 1 datapoint for OK -> ALARM transition).");
  EXPECT_NE(r.reason_data.find(R"("recentLowerThresholds":[80])"), std::string::npos);
  EXPECT_NE(r.reason_data.find(R"("recentUpperThresholds":[110])"), std::string::npos);
  EXPECT_EQ(r.reason_data.find("\"threshold\""), std::string::npos);
  a.comparison = ComparisonOperator::kLessThanLowerThreshold;
  EXPECT_EQ(evaluate_metric_alarm(a, s, kEnd, kEnd, kOk).state, kOk);
  a.comparison = ComparisonOperator::kGreaterThanUpperThreshold;
  EXPECT_EQ(evaluate_metric_alarm(a, s, kEnd, kEnd, kOk).state, kAlarm);
  s.values = {50};
  a.comparison = ComparisonOperator::kLessThanLowerThreshold;
  EXPECT_EQ(evaluate_metric_alarm(a, s, kEnd, kEnd, kOk).state, kAlarm);
  // No band for the point: it is missing.
  s.lower.reset();
  s.upper.reset();
  EXPECT_EQ(evaluate_metric_alarm(a, s, kEnd, kEnd, kOk).state, kInsufficient);
}

TEST(EvaluationTest, ReasonTextFollowsCloudWatch) {
  MetricAlarm a = threshold_alarm(3, 3, TreatMissingData::kMissing);
  auto r = evaluate_metric_alarm(a, series_of(a, "- - X X X", kEnd), kEnd, kEnd, kOk);
  EXPECT_EQ(r.state, kAlarm);
  EXPECT_EQ(r.reason,
            "Threshold Crossed: 3 out of the last 3 datapoints [100.0 (14/11/23 22:13:00), 100.0 "
            "(14/11/23 22:12:00), 100.0 (14/11/23 22:11:00)] were greater than the threshold "
            "(50.0) (minimum 3 datapoints for OK -> ALARM transition).");
  r = evaluate_metric_alarm(a, series_of(a, "X X X X 0", kEnd), kEnd, kEnd, kAlarm);
  EXPECT_EQ(r.state, kOk);
  EXPECT_EQ(r.reason,
            "Threshold Crossed: 1 out of the last 3 datapoints [10.0 (14/11/23 22:13:00)] was not "
            "greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK "
            "transition).");
  r = evaluate_metric_alarm(a, series_of(a, "- - - - -", kEnd), kEnd, kEnd, kOk);
  EXPECT_EQ(r.reason, "Insufficient Data: 5 datapoints were unknown.");
  a.treat_missing_data = TreatMissingData::kBreaching;
  r = evaluate_metric_alarm(a, series_of(a, "- - - - -", kEnd), kEnd, kEnd, kOk);
  EXPECT_EQ(r.reason,
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing "
            "datapoints were treated as [Breaching].");
  a.treat_missing_data = TreatMissingData::kNotBreaching;
  r = evaluate_metric_alarm(a, series_of(a, "- - - - -", kEnd), kEnd, kEnd, kAlarm);
  EXPECT_EQ(r.reason,
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing "
            "datapoints were treated as [NonBreaching].");
}

TEST(EvaluationTest, ReasonDataIsCloudWatchJson) {
  MetricAlarm a = threshold_alarm(3, 2, TreatMissingData::kBreaching);
  auto r = evaluate_metric_alarm(a, series_of(a, "0 - X - -", kEnd), kEnd, kEnd + 5'000, kOk);
  EXPECT_EQ(r.state, kAlarm);
  EXPECT_EQ(r.reason_data,
            R"({"version":"1.0","queryDate":"2023-11-14T22:14:05.000+0000",)"
            R"("startDate":"2023-11-14T22:09:00.000+0000","statistic":"Average","period":60,)"
            R"("recentDatapoints":[10,100],"threshold":50,"evaluatedDatapoints":[)"
            R"({"timestamp":"2023-11-14T22:13:00.000+0000"},)"
            R"({"timestamp":"2023-11-14T22:11:00.000+0000","value":100},)"
            R"({"timestamp":"2023-11-14T22:09:00.000+0000","value":10}]})");
  EXPECT_EQ(r.reason,
            "Threshold Crossed: 1 out of the last 3 datapoints [100.0 (14/11/23 22:11:00)] was "
            "greater than the threshold (50.0) and 1 missing datapoint was treated as "
            "[Breaching] (minimum 2 datapoints for OK -> ALARM transition).");
}

TEST(EvaluationTest, PointsOutsideTheRangeAndNaNAreIgnored) {
  MetricAlarm a = threshold_alarm(1, 1, TreatMissingData::kMissing);
  AlarmSeries s;
  s.timestamps_ms = {kEnd - 10 * 60'000, kEnd, kEnd - 60'000};
  s.values = {100, 100, std::nan("")};
  EXPECT_EQ(evaluate_metric_alarm(a, s, kEnd, kEnd, kOk).state, kInsufficient);
  EXPECT_EQ(evaluation_range(a), 3);
}

TEST(EvaluationTest, ReasonNumbers) {
  EXPECT_EQ(reason_number(50), "50.0");
  EXPECT_EQ(reason_number(0.25), "0.25");
  EXPECT_EQ(reason_number(-3), "-3.0");
  EXPECT_EQ(reason_number(1e20), "1e+20");
}

}  // namespace
}  // namespace opsight::alarm

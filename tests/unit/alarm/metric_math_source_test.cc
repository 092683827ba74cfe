// The alarm data source over the real tsdb with Metric Math: the single-metric form, the Metrics
// form (an expression), and an anomaly band matched to the values, per tenant.
#include "alarm/metric_math_source.h"

#include <gtest/gtest.h>

#include "alarm/alarm_model.h"
#include "metricmath/metricmath_test_util.h"

namespace opsight::alarm {
namespace {

using query::metricmath::testing::test_band;
using query::metricmath::testing::TestStore;

class MetricMathSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Labels cpu{{"__name__", "CPUUtilization"}, {"Namespace", "AWS/EC2"}, {"InstanceId", "i-1"}};
    std::vector<storage::Sample> samples;
    // Two samples per minute for 5 minutes: minute m holds 10*m and 10*m + 2 (average 10*m + 1).
    for (int m = 0; m < 5; m++) {
      samples.push_back(storage::Sample::value(m * 60'000, 10.0 * m));
      samples.push_back(storage::Sample::value(m * 60'000 + 30'000, 10.0 * m + 2));
    }
    ASSERT_TRUE(store_.append(cpu, samples).ok());
  }

  MetricAlarm alarm(std::string_view json) {
    auto a = parse_put_metric_alarm(json);
    EXPECT_TRUE(a.ok()) << a.status().to_string();
    return a.ok() ? *a : MetricAlarm{};
  }

  TestStore store_;
};

TEST_F(MetricMathSourceTest, SingleMetricGivesOnePointPerPeriod) {
  auto source = metric_math_data_source(&store_.db(), {});
  MetricAlarm a = alarm(R"({"AlarmName": "cpu", "Namespace": "AWS/EC2",
      "MetricName": "CPUUtilization", "Statistic": "Average",
      "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}], "Period": 60,
      "EvaluationPeriods": 3, "Threshold": 50, "ComparisonOperator": "GreaterThanThreshold"})");
  auto s = source(storage::Tenant{}, a, 60'000, 240'000);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->timestamps_ms, (std::vector<int64_t>{60'000, 120'000, 180'000}));
  EXPECT_EQ(s->values, (std::vector<double>{11, 21, 31}));
  EXPECT_FALSE(s->lower.has_value());

  // Another tenant has no such series: no points (every period missing), not an error.
  auto other = source(storage::Tenant{"111111111111", "local"}, a, 60'000, 240'000);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->values.empty());
}

TEST_F(MetricMathSourceTest, MetricsFormEvaluatesTheReturnedExpression) {
  auto source = metric_math_data_source(&store_.db(), {});
  MetricAlarm a = alarm(R"({"AlarmName": "double", "EvaluationPeriods": 2, "Threshold": 1,
      "ComparisonOperator": "GreaterThanThreshold", "Metrics": [
        {"Id": "m1", "ReturnData": false, "MetricStat": {"Metric": {"Namespace": "AWS/EC2",
          "MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]},
          "Period": 60, "Stat": "Maximum"}},
        {"Id": "e1", "Expression": "m1 * 2", "ReturnData": true}]})");
  auto s = source(storage::Tenant{}, a, 0, 120'000);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->timestamps_ms, (std::vector<int64_t>{0, 60'000}));
  EXPECT_EQ(s->values, (std::vector<double>{4, 24}));
}

TEST_F(MetricMathSourceTest, AnomalyBandComesFromTheThresholdMetric) {
  query::metricmath::MetricMathOptions o;
  o.anomaly_band = test_band();  // value -/+ k
  auto source = metric_math_data_source(&store_.db(), o);
  MetricAlarm a = alarm(R"j({"AlarmName": "band", "EvaluationPeriods": 2,
      "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
      "ThresholdMetricId": "ad1", "Metrics": [
        {"Id": "m1", "ReturnData": true, "MetricStat": {"Metric": {"Namespace": "AWS/EC2",
          "MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]},
          "Period": 60, "Stat": "Average"}},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 3)"}]})j");
  auto s = source(storage::Tenant{}, a, 0, 180'000);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->values, (std::vector<double>{1, 11, 21}));
  ASSERT_TRUE(s->lower.has_value() && s->upper.has_value());
  EXPECT_EQ(*s->lower, (std::vector<double>{-2, 8, 18}));
  EXPECT_EQ(*s->upper, (std::vector<double>{4, 14, 24}));

  // Without an anomaly model the band cannot be computed: an error naming the function.
  auto none = metric_math_data_source(&store_.db(), {})(storage::Tenant{}, a, 0, 180'000);
  EXPECT_FALSE(none.ok());
}

}  // namespace
}  // namespace opsight::alarm

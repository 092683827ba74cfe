// PutMetricAlarm / PutCompositeAlarm parsing and validation (CloudWatch's rules and error
// codes) and the stored document round trip.
#include "alarm/alarm_model.h"

#include <gtest/gtest.h>

#include <string>

namespace opsight::alarm {
namespace {

constexpr const char* kCpuAlarm = R"({
  "AlarmName": "cpu-high", "AlarmDescription": "CPU above 50%",
  "Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Statistic": "Average",
  "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}],
  "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 50,
  "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "breaching",
  "AlarmActions": ["arn:aws:sns:local:000000000000:oncall"], "OKActions": ["http://hook/ok"],
  "Tags": [{"Key": "team", "Value": "web"}]})";

constexpr const char* kBandAlarm = R"j({
  "AlarmName": "latency-band", "EvaluationPeriods": 2,
  "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold", "ThresholdMetricId": "ad1",
  "Metrics": [
    {"Id": "m1", "ReturnData": true, "MetricStat": {"Metric": {"Namespace": "App",
      "MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "web"}]},
      "Period": 300, "Stat": "p99"}},
    {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "band"}]})j";

std::string err(std::string_view json) {
  auto r = parse_put_metric_alarm(json);
  return r.ok() ? "" : r.status().message();
}

std::string with(std::string_view base, const std::string& field, const std::string& value) {
  std::string s(base);
  const size_t at = s.find("\"" + field + "\"");
  if (at == std::string::npos) {
    s.insert(s.size() - 1, ", \"" + field + "\": " + value);
  } else {
    const size_t colon = s.find(':', at);
    size_t end = colon + 1;
    int depth = 0;
    bool in_str = false;
    for (; end < s.size(); end++) {
      const char c = s[end];
      if (in_str) {
        if (c == '"') in_str = false;
        continue;
      }
      if (c == '"') in_str = true;
      if (c == '[' || c == '{') depth++;
      if (c == ']' || c == '}') {
        if (depth == 0) break;
        depth--;
      }
      if (c == ',' && depth == 0) break;
    }
    s.replace(colon + 1, end - colon - 1, " " + value);
  }
  return s;
}

TEST(AlarmModelTest, ParsesASingleMetricAlarm) {
  auto r = parse_put_metric_alarm(kCpuAlarm);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->alarm_name, "cpu-high");
  EXPECT_EQ(r->statistic, "Average");
  EXPECT_EQ(r->dimensions, (std::vector<Dimension>{{"InstanceId", "i-1"}}));
  EXPECT_EQ(r->period_s, 60);
  EXPECT_EQ(r->evaluation_periods, 3);
  EXPECT_EQ(r->datapoints_to_alarm, 2);
  EXPECT_EQ(*r->threshold, 50);
  EXPECT_EQ(r->comparison, ComparisonOperator::kGreaterThanThreshold);
  EXPECT_EQ(r->treat_missing_data, TreatMissingData::kBreaching);
  EXPECT_EQ(r->alarm_actions.size(), 1u);
  EXPECT_EQ(r->tags, (std::vector<Tag>{{"team", "web"}}));
  EXPECT_TRUE(r->actions_enabled);
}

TEST(AlarmModelTest, ParsesAnAnomalyBandAlarmOnMetrics) {
  auto r = parse_put_metric_alarm(kBandAlarm);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->uses_metrics());
  EXPECT_EQ(r->metrics.size(), 2u);
  EXPECT_EQ(r->metrics[0].stat, "p99");
  EXPECT_EQ(r->metrics[1].expression, "ANOMALY_DETECTION_BAND(m1, 2)");
  EXPECT_EQ(r->period_s, 300);
  EXPECT_EQ(r->datapoints_to_alarm, 2);  // defaults to EvaluationPeriods
  EXPECT_EQ(r->threshold_metric_id, "ad1");
  EXPECT_NE(r->metrics_json.find("ANOMALY_DETECTION_BAND"), std::string::npos);
  EXPECT_EQ(r->metrics_json.find('\n'), std::string::npos);  // compact
}

TEST(AlarmModelTest, StoredDocumentRoundTrips) {
  for (const char* json : {kCpuAlarm, kBandAlarm}) {
    auto m = parse_put_metric_alarm(json);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    const AlarmDefinition def(*m);
    auto back = parse_alarm_doc(alarm_doc(def));
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(std::get<MetricAlarm>(*back), *m) << alarm_doc(def);
  }
  auto c = parse_put_composite_alarm(
      R"j({"AlarmName": "svc", "AlarmRule": "ALARM(a) AND NOT OK(\"b\")",
          "ActionsSuppressor": "maint"})j");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->wait_period_s, 60);
  EXPECT_EQ(c->extension_period_s, 60);
  auto back = parse_alarm_doc(alarm_doc(AlarmDefinition(*c)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<CompositeAlarm>(*back), *c);
}

TEST(AlarmModelTest, ErrorsNameTheParameterAndTheRule) {
  EXPECT_EQ(err(R"({"AlarmName": "x"})"),
            "MissingParameter: The parameter EvaluationPeriods is required.");
  EXPECT_EQ(err(with(kCpuAlarm, "Period", "45")),
            "InvalidParameterValue: The parameter Period must be 10 or 30 (high resolution) or "
            "a multiple of 60 (got 45).");
  EXPECT_TRUE(err(with(kCpuAlarm, "Period", "10")).empty());
  EXPECT_TRUE(err(with(kCpuAlarm, "Period", "30")).empty());
  EXPECT_TRUE(err(with(kCpuAlarm, "Period", "300")).empty());
  EXPECT_EQ(err(with(kCpuAlarm, "DatapointsToAlarm", "4")),
            "InvalidParameterValue: The parameter DatapointsToAlarm must be between 1 and "
            "EvaluationPeriods (3) (got 4).");
  EXPECT_EQ(err(with(kCpuAlarm, "EvaluationPeriods", "0")),
            "InvalidParameterValue: The parameter EvaluationPeriods must be at least 1.");
  EXPECT_NE(err(with(kCpuAlarm, "EvaluationPeriods", "20000")).find("7 days"), std::string::npos);
  EXPECT_EQ(err(with(kCpuAlarm, "TreatMissingData", "\"sometimes\"")),
            "InvalidParameterValue: The parameter TreatMissingData \"sometimes\" must be one of "
            "breaching, notBreaching, ignore, missing.");
  EXPECT_TRUE(err(with(kCpuAlarm, "ComparisonOperator", "\"Bigger\""))
                  .starts_with("ValidationError: 1 validation error detected: Value 'Bigger' at "
                               "'comparisonOperator'"));
  EXPECT_EQ(err(with(kCpuAlarm, "Statistic", "\"Median\"")),
            "InvalidParameterValue: The parameter Statistic \"Median\" must be one of "
            "SampleCount, Average, Sum, Minimum, Maximum.");
  EXPECT_EQ(err(with(kCpuAlarm, "ExtendedStatistic", "\"p99\"")),
            "InvalidParameterCombination: Exactly one of Statistic and ExtendedStatistic must be "
            "specified.");
  EXPECT_EQ(err(with(kCpuAlarm, "Threshold", "null")),
            "MissingParameter: The parameter Threshold is required.");
  EXPECT_EQ(err(with(kCpuAlarm, "AlarmActions", "[\"mailto:ops\"]")),
            "InvalidParameterValue: The parameter AlarmActions member \"mailto:ops\" must be an "
            "ARN (arn:...) or an http(s) URL.");
  EXPECT_NE(err(with(kCpuAlarm, "AlarmActions", R"(["http://a","http://b","http://c",
      "http://d","http://e","http://f"])"))
                .find("at most 5 actions"),
            std::string::npos);
  EXPECT_EQ(err(with(kCpuAlarm, "AlarmName", "\"caf\\u00e9\"")),
            "InvalidParameterValue: The parameter AlarmName must contain only printable ASCII "
            "characters.");
  EXPECT_EQ(err("not json").substr(0, 14), "InvalidFormat:");
}

TEST(AlarmModelTest, BandAndThresholdRules) {
  EXPECT_EQ(err(with(kBandAlarm, "ThresholdMetricId", "\"zz\"")),
            "InvalidParameterValue: The parameter ThresholdMetricId \"zz\" must be the Id of an "
            "entry of Metrics.");
  EXPECT_EQ(err(with(kBandAlarm, "Threshold", "5")),
            "InvalidParameterCombination: Threshold must not be given with ThresholdMetricId.");
  EXPECT_EQ(err(with(kBandAlarm, "ComparisonOperator", "\"GreaterThanThreshold\"")),
            "ValidationError: ThresholdMetricId requires an anomaly-band ComparisonOperator "
            "(LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, "
            "GreaterThanUpperThreshold), not GreaterThanThreshold.");
  EXPECT_EQ(err(with(kCpuAlarm, "ComparisonOperator", "\"GreaterThanUpperThreshold\"")),
            "ValidationError: ComparisonOperator GreaterThanUpperThreshold requires "
            "ThresholdMetricId.");
  EXPECT_EQ(err(R"({"AlarmName": "m", "EvaluationPeriods": 1, "Threshold": 1,
      "ComparisonOperator": "GreaterThanThreshold", "Metrics": [
      {"Id": "a", "Expression": "1"}, {"Id": "b", "Expression": "2"}]})"),
            "ValidationError: Exactly one element of the metrics list should return data.");
  EXPECT_EQ(err(R"({"AlarmName": "m", "EvaluationPeriods": 1, "Threshold": 1,
      "ComparisonOperator": "GreaterThanThreshold", "Metrics": [{"Id": "M1", "Expression": "1"}]})"),
            "InvalidParameterValue: The parameter Metrics.member.1.Id \"M1\" must start with a "
            "lower-case letter and contain only letters, digits and '_' (1 to 255 characters).");
  EXPECT_EQ(err(with(kCpuAlarm, "Metrics", R"([{"Id": "a", "Expression": "1", "Period": 60}])")),
            "InvalidParameterCombination: Specify either MetricName/Namespace/Statistic/"
            "Dimensions or Metrics, not both.");
}

TEST(AlarmModelTest, CompositeValidation) {
  auto bad = parse_put_composite_alarm(R"({"AlarmName": "c", "AlarmRule": "ALARM(a) AND"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "ValidationError: AlarmRule: expected an expression but the rule ended at offset 12.");
  auto no_sup = parse_put_composite_alarm(
      R"({"AlarmName": "c", "AlarmRule": "TRUE", "ActionsSuppressorWaitPeriod": 5})");
  ASSERT_FALSE(no_sup.ok());
  EXPECT_EQ(aws_error_code(no_sup.status()), "InvalidParameterCombination");
  auto missing = parse_put_composite_alarm(R"({"AlarmName": "c"})");
  EXPECT_EQ(missing.status().message(), "MissingParameter: The parameter AlarmRule is required.");
}

TEST(AlarmModelTest, ArnsAndRefs) {
  storage::Tenant t{"123456789012", "eu-west-1"};
  EXPECT_EQ(alarm_arn(t, "x"), "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x");
  EXPECT_EQ(alarm_name_from_ref(t, "x"), "x");
  EXPECT_EQ(alarm_name_from_ref(t, "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a:b"), "a:b");
  EXPECT_EQ(alarm_name_from_ref(t, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x"),
            std::nullopt);
}

}  // namespace
}  // namespace opsight::alarm

// The CloudWatch alarm and anomaly-detector operations (api/aws/cloudwatch/alarm_ops.h) called
// with AWS JSON 1.0 request text.
#include "api/aws/cloudwatch/alarm_ops.h"

#include <set>
#include <string>

#include "cw_ops_fixture.h"

namespace opsight::api::aws::testing {
namespace {

using AlarmOpsTest = CwOpsTest;

TEST_F(AlarmOpsTest, RegistersTheTwelveOperations) {
  CwOperationTable t;
  add_cloudwatch_alarm_ops(t, {alarms_.get(), detectors_.get(), tags_.get()});
  for (const char* op :
       {"PutMetricAlarm", "PutCompositeAlarm", "DescribeAlarms", "DescribeAlarmsForMetric",
        "DescribeAlarmHistory", "SetAlarmState", "EnableAlarmActions", "DisableAlarmActions",
        "DeleteAlarms", "PutAnomalyDetector", "DescribeAnomalyDetectors",
        "DeleteAnomalyDetector"}) {
    EXPECT_TRUE(t.contains(op)) << op;
  }
  EXPECT_EQ(t.size(), 12u);
}

TEST_F(AlarmOpsTest, PutDescribeAndTagsOnCreateOnly) {
  auto put = call("PutMetricAlarm",
                  metric_alarm("cpu-high", R"(,"Tags":[{"Key":"team","Value":"core"}])"));
  ASSERT_TRUE(put.ok()) << put.status().to_string();
  EXPECT_EQ(*put, "{}");
  const std::string arn = "arn:aws:cloudwatch:local:123456789012:alarm:cpu-high";
  EXPECT_EQ(*tags_->list(tenant_, arn), (resources::Tags{{"team", "core"}}));
  // An update ignores Tags (CloudWatch: use TagResource).
  ASSERT_TRUE(call("PutMetricAlarm",
                   metric_alarm("cpu-high", R"(,"Tags":[{"Key":"team","Value":"other"}])"))
                  .ok());
  EXPECT_EQ(*tags_->list(tenant_, arn), (resources::Tags{{"team", "core"}}));

  auto doc = ok("DescribeAlarms", R"({"AlarmNames":["cpu-high"]})");
  auto a = doc["MetricAlarms"].at(0);
  EXPECT_EQ(std::string_view(a["AlarmArn"]), arn);
  EXPECT_EQ(std::string_view(a["StateValue"]), "INSUFFICIENT_DATA");
  EXPECT_EQ(int64_t(a["Period"]), 60);
  EXPECT_DOUBLE_EQ(double(a["StateUpdatedTimestamp"]), kT0 / 1000.0);  // epoch seconds
}

TEST_F(AlarmOpsTest, BadTagsRejectTheAlarm) {
  std::string m =
      fails("PutMetricAlarm", metric_alarm("x", R"(,"Tags":[{"Key":"aws:reserved","Value":"v"}])"));
  EXPECT_TRUE(m.starts_with("InvalidParameterValue: ")) << m;
  EXPECT_EQ(ok("DescribeAlarms", "{}")["MetricAlarms"].get_array().size(), 0u);
}

TEST_F(AlarmOpsTest, CompositeStateHistoryAndActions) {
  ASSERT_TRUE(call("PutMetricAlarm", metric_alarm("child")).ok());
  ASSERT_TRUE(call("PutCompositeAlarm",
                   R"j({"AlarmName":"parent","AlarmRule":"ALARM(child)",
                        "Tags":[{"Key":"k","Value":"v"}]})j")
                  .ok());
  auto doc = ok("DescribeAlarms", R"({"AlarmTypes":["CompositeAlarm"]})");
  EXPECT_EQ(std::string_view(doc["CompositeAlarms"].at(0)["AlarmRule"]), "ALARM(child)");

  ASSERT_TRUE(
      call("SetAlarmState", R"({"AlarmName":"child","StateValue":"ALARM","StateReason":"test"})")
          .ok());
  doc = ok("DescribeAlarms",
           R"({"StateValue":"ALARM","AlarmTypes":["MetricAlarm","CompositeAlarm"]})");
  EXPECT_EQ(doc["MetricAlarms"].get_array().size(), 1u);
  EXPECT_EQ(doc["CompositeAlarms"].get_array().size(), 1u);  // parent followed its child

  doc = ok("DescribeAlarmHistory", R"({"AlarmName":"child","HistoryItemType":"StateUpdate"})");
  ASSERT_GE(doc["AlarmHistoryItems"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(doc["AlarmHistoryItems"].at(0)["HistoryItemType"]), "StateUpdate");

  ASSERT_TRUE(call("DisableAlarmActions", R"({"AlarmNames":["child"]})").ok());
  EXPECT_FALSE(bool(
      ok("DescribeAlarms", R"({"AlarmNames":["child"]})")["MetricAlarms"].at(0)["ActionsEnabled"]));
  ASSERT_TRUE(call("EnableAlarmActions", R"({"AlarmNames":["child"]})").ok());
  EXPECT_TRUE(bool(
      ok("DescribeAlarms", R"({"AlarmNames":["child"]})")["MetricAlarms"].at(0)["ActionsEnabled"]));

  std::string m = fails("SetAlarmState", R"({"AlarmName":"child","StateValue":"BAD",
                                             "StateReason":"x"})");
  EXPECT_TRUE(m.starts_with("InvalidParameterValue: ")) << m;
}

TEST_F(AlarmOpsTest, DeleteAlarmsDropsTagsAndIsAllOrNothing) {
  ASSERT_TRUE(
      call("PutMetricAlarm", metric_alarm("a", R"(,"Tags":[{"Key":"k","Value":"v"}])")).ok());
  std::string m = fails("DeleteAlarms", R"({"AlarmNames":["a","nope"]})");
  EXPECT_TRUE(m.starts_with("ResourceNotFound: ")) << m;
  const std::string arn = "arn:aws:cloudwatch:local:123456789012:alarm:a";
  EXPECT_EQ(tags_->list(tenant_, arn)->size(), 1u);
  ASSERT_TRUE(call("DeleteAlarms", R"({"AlarmNames":["a"]})").ok());
  EXPECT_TRUE(tags_->list(tenant_, arn)->empty());
  EXPECT_EQ(ok("DescribeAlarms", "{}")["MetricAlarms"].get_array().size(), 0u);
}

TEST_F(AlarmOpsTest, DescribeAlarmsForMetric) {
  ASSERT_TRUE(call("PutMetricAlarm", metric_alarm("avg")).ok());
  std::string other = metric_alarm("other-dims");
  other.replace(other.find("h1"), 2, "h2");
  ASSERT_TRUE(call("PutMetricAlarm", other).ok());
  ASSERT_TRUE(call("PutMetricAlarm",
                   R"({"AlarmName":"p99","Namespace":"App","MetricName":"cpu",
                       "ExtendedStatistic":"p99","Period":300,"EvaluationPeriods":1,
                       "Threshold":1,"ComparisonOperator":"GreaterThanThreshold",
                       "Dimensions":[{"Name":"Host","Value":"h1"}]})")
                  .ok());
  ASSERT_TRUE(call("PutMetricAlarm",
                   R"({"AlarmName":"math","EvaluationPeriods":1,"Threshold":1,
                       "ComparisonOperator":"GreaterThanThreshold","Metrics":[
                       {"Id":"m1","ReturnData":false,"MetricStat":{"Metric":{"Namespace":"App",
                        "MetricName":"cpu","Dimensions":[{"Name":"Host","Value":"h1"}]},
                        "Period":60,"Stat":"Sum"}},
                       {"Id":"e1","Expression":"m1*2","ReturnData":true}]})")
                  .ok());
  ASSERT_TRUE(call("PutMetricAlarm", R"({"AlarmName":"unrelated","Namespace":"App",
      "MetricName":"mem","Statistic":"Average","Period":60,"EvaluationPeriods":1,"Threshold":1,
      "ComparisonOperator":"GreaterThanThreshold"})")
                  .ok());
  auto names = [&](const std::string& json) {
    std::set<std::string> out;
    for (auto a : ok("DescribeAlarmsForMetric", json)["MetricAlarms"]) {
      out.insert(std::string(std::string_view(a["AlarmName"])));
    }
    return out;
  };
  const std::string base = R"("Namespace":"App","MetricName":"cpu")";
  EXPECT_EQ(names("{" + base + "}"), (std::set<std::string>{"avg", "other-dims", "p99", "math"}));
  EXPECT_EQ(names("{" + base + R"(,"Dimensions":[{"Name":"Host","Value":"h1"}]})"),
            (std::set<std::string>{"avg", "p99", "math"}));
  EXPECT_EQ(names("{" + base + R"(,"Statistic":"Average"})"),
            (std::set<std::string>{"avg", "other-dims"}));
  EXPECT_EQ(names("{" + base + R"(,"ExtendedStatistic":"p99"})"), (std::set<std::string>{"p99"}));
  EXPECT_EQ(names("{" + base + R"(,"Period":300})"), (std::set<std::string>{"p99"}));
  std::string m = fails("DescribeAlarmsForMetric", R"({"Namespace":"App"})");
  EXPECT_TRUE(m.starts_with("MissingParameter: The parameter MetricName")) << m;
}

TEST_F(AlarmOpsTest, AnomalyDetectorsPutDescribeDelete) {
  const std::string det = R"({"SingleMetricAnomalyDetector":{"Namespace":"App",
      "MetricName":"cpu","Stat":"Average","Dimensions":[{"Name":"Host","Value":"h1"}]},
      "Configuration":{"ExcludedTimeRanges":[{"StartTime":1700000000,"EndTime":1700000600}]}})";
  auto put = call("PutAnomalyDetector", det);
  ASSERT_TRUE(put.ok()) << put.status().to_string();
  EXPECT_EQ(*put, "{}");
  ASSERT_TRUE(
      call("PutAnomalyDetector", R"({"Namespace":"App","MetricName":"mem","Stat":"Maximum"})")
          .ok());
  auto doc = ok("DescribeAnomalyDetectors", R"({"MetricName":"cpu"})");
  ASSERT_EQ(doc["AnomalyDetectors"].get_array().size(), 1u);
  auto d = doc["AnomalyDetectors"].at(0);
  EXPECT_EQ(std::string_view(d["SingleMetricAnomalyDetector"]["Stat"]), "Average");
  EXPECT_EQ(std::string_view(d["StateValue"]), "PENDING_TRAINING");
  EXPECT_DOUBLE_EQ(double(d["Configuration"]["ExcludedTimeRanges"].at(0)["EndTime"]), 1700000600.0);
  EXPECT_EQ(ok("DescribeAnomalyDetectors", "{}")["AnomalyDetectors"].get_array().size(), 2u);

  ASSERT_TRUE(call("DeleteAnomalyDetector", det).ok());
  std::string m = fails("DeleteAnomalyDetector", det);
  EXPECT_TRUE(m.starts_with("ResourceNotFoundException: ")) << m;
  EXPECT_EQ(ok("DescribeAnomalyDetectors", "{}")["AnomalyDetectors"].get_array().size(), 1u);
  m = fails("DescribeAnomalyDetectors", R"({"MaxResults":0})");
  EXPECT_TRUE(m.starts_with("InvalidParameterValue: ")) << m;
}

TEST_F(AlarmOpsTest, TenantsDoNotSeeEachOthersAlarms) {
  ASSERT_TRUE(call("PutMetricAlarm", metric_alarm("mine")).ok());
  storage::Tenant other{"210987654321", "local"};
  EXPECT_EQ(ok("DescribeAlarms", "{}", &other)["MetricAlarms"].get_array().size(), 0u);
  std::string m = fails("DeleteAlarms", R"({"AlarmNames":["mine"]})", &other);
  EXPECT_TRUE(m.starts_with("ResourceNotFound")) << m;
}

}  // namespace
}  // namespace opsight::api::aws::testing

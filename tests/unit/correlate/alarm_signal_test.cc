#include "aiops/correlate/alarm_signal.h"

#include <gtest/gtest.h>

namespace opsight::aiops {
namespace {

// Written by hand in the shape alarm/alarm_event.cc produces (alarm_state_change_event()).
constexpr std::string_view kMetricAlarmEvent = R"json({"version":"0",
 "id":"c4c1c1c9-6542-4b1b-8e4f-8a1e2b3c4d5e","detail-type":"CloudWatch Alarm State Change",
 "source":"aws.cloudwatch","account":"000000000000","time":"2024-01-02T03:04:05Z",
 "region":"local","resources":["arn:aws:cloudwatch:local:000000000000:alarm:PaymentLatency"],
 "detail":{"alarmName":"PaymentLatency",
  "state":{"value":"ALARM","reason":"Threshold Crossed: 3 datapoints were greater than 0.5",
           "reasonData":"{\"version\":\"1.0\"}","timestamp":"2024-01-02T03:04:05.678+0000"},
  "previousState":{"value":"OK","reason":"ok","timestamp":"2024-01-02T02:00:00.000+0000"},
  "configuration":{"description":"p99 latency","metrics":[{"id":"m1","metricStat":{"metric":{
   "namespace":"opsight/RED","name":"duration_p99","dimensions":{"ServiceName":"payment",
   "InstanceId":"i-0abc","Operation":"POST /charge"}},"period":60,"stat":"Average"},
   "returnData":true}]}}})json";

constexpr std::string_view kCompositeEvent = R"json({"version":"0","id":"x",
 "detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch",
 "account":"000000000000","time":"2024-01-02T03:04:05Z","region":"local","resources":[],
 "detail":{"alarmName":"ShopDown","state":{"value":"OK","reason":"rule false",
  "timestamp":"2024-01-02T03:04:05.000+0000"},"previousState":{"value":"ALARM","reason":"",
  "timestamp":"2024-01-02T03:00:00.000+0000"},
  "configuration":{"alarmRule":"ALARM(PaymentLatency) OR ALARM(CheckoutErrors)"
}
}
})json";

constexpr std::string_view kExpressionEvent = R"json({"version":"0","id":"y",
 "detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch",
 "account":"000000000000","time":"2024-01-02T03:04:05Z","region":"local","resources":[],
 "detail":{"alarmName":"CheckoutErrors","state":{"value":"INSUFFICIENT_DATA","reason":"",
  "timestamp":"2024-01-02T03:04:05.000+0000"},"previousState":{"value":"OK","reason":"",
  "timestamp":"2024-01-02T03:00:00.000+0000"},
  "configuration":{"metrics":[{"id":"e1","expression":
  "sum(rate(http_errors{job!=\"x\", service_name=\"checkout\", host = 'web-1'}[5m]))",
  "returnData":true
}]
}
}
})json";

TEST(AlarmSignalTest, MetricAlarm) {
  const storage::Tenant tenant{"123456789012", "eu-west-1"};
  auto r = signal_from_alarm_event(tenant, kMetricAlarmEvent);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Signal& s = *r;
  EXPECT_EQ(s.tenant, tenant);
  EXPECT_EQ(s.kind, SignalKind::kAlarm);
  EXPECT_EQ(s.source, "PaymentLatency");
  EXPECT_EQ(s.state, "ALARM");
  EXPECT_EQ(s.service, "payment");
  EXPECT_EQ(s.time_ms, 1704164645678);  // 2024-01-02T03:04:05.678Z
  EXPECT_DOUBLE_EQ(s.severity, 0.7);
  EXPECT_EQ(s.summary,
            "PaymentLatency ALARM: Threshold Crossed: 3 datapoints were greater than 0.5");
  EXPECT_EQ(s.dimensions.at("host"), "i-0abc");
  EXPECT_EQ(s.dimensions.at("instanceid"), "i-0abc");
  EXPECT_EQ(s.dimensions.at("servicename"), "payment");
  EXPECT_EQ(s.dimensions.at("operation"), "POST /charge");
  EXPECT_EQ(s.dimensions.at("namespace"), "opsight/RED");
  EXPECT_EQ(s.dimensions.at("metric"), "duration_p99");
  EXPECT_EQ(signal_key(s), "123456789012/eu-west-1/alarm/PaymentLatency");
}

TEST(AlarmSignalTest, CompositeAlarmHasNoService) {
  auto r = signal_from_alarm_event({}, kCompositeEvent);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->source, "ShopDown");
  EXPECT_EQ(r->state, "OK");
  EXPECT_EQ(r->service, "");
  EXPECT_DOUBLE_EQ(r->severity, 0.0);
  EXPECT_EQ(r->dimensions.at("alarm_type"), "composite");
  EXPECT_EQ(r->time_ms, 1704164645000);
}

TEST(AlarmSignalTest, ExpressionLabels) {
  auto r = signal_from_alarm_event({}, kExpressionEvent);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->service, "checkout");  // job!="x" is not an equality
  EXPECT_EQ(r->state, "INSUFFICIENT_DATA");
  EXPECT_EQ(r->dimensions.at("host"), "web-1");
  EXPECT_FALSE(r->dimensions.contains("job"));
  EXPECT_EQ(r->summary, "CheckoutErrors INSUFFICIENT_DATA");
}

TEST(AlarmSignalTest, BadInput) {
  EXPECT_EQ(signal_from_alarm_event({}, "not json").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(signal_from_alarm_event({}, "[]").status().code(), Code::kInvalidArgument);
  auto r = signal_from_alarm_event({}, R"({"detail-type":"Change Event","detail":{}})");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("detail-type"), std::string::npos);
  r = signal_from_alarm_event(
      {}, R"({"detail-type":"CloudWatch Alarm State Change","detail":{"alarmName":"a",
      "state":{"value":"BROKEN","timestamp":"2024-01-02T03:04:05.000+0000"}}})");
  EXPECT_NE(r.status().message().find("state.value"), std::string::npos);
  r = signal_from_alarm_event(
      {}, R"({"detail-type":"CloudWatch Alarm State Change","detail":{"alarmName":"a",
      "state":{"value":"OK","timestamp":"yesterday"}}})");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  r = signal_from_alarm_event({}, R"({"detail-type":"CloudWatch Alarm State Change",
      "detail":{"state":{"value":"OK"}}})");
  EXPECT_NE(r.status().message().find("alarmName"), std::string::npos);
}

}  // namespace
}  // namespace opsight::aiops

// The native alarm endpoints (api/native/alarms_api.h) through Router::dispatch, over a real
// AlarmService (temporary meta store and alarms.db, ManualClock, in-memory data source).
#include "api/native/alarms_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/meta/meta_store.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;

constexpr int64_t kT0 = 1'700'000'040'000;  // minute-aligned

std::string metric_alarm(const std::string& name, const std::string& extra = "") {
  return R"({"AlarmName": ")" + name + R"(", "Namespace": "App", "MetricName": "cpu",
    "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1, "Threshold": 50,
    "ComparisonOperator": "GreaterThanThreshold")" +
         extra + "}";
}

class AlarmsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/opsight-alarms-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto m = storage::meta::MetaStore::open(dir_ + "/meta.db", &clock_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    meta_ = std::move(*m);
    alarm::AlarmServiceOptions o;
    o.state_db_path = dir_ + "/alarms.db";
    o.clock = &clock_;
    o.data_source = [this](const storage::Tenant&, const alarm::MetricAlarm& a, int64_t start,
                           int64_t end) -> Result<alarm::AlarmSeries> {
      alarm::AlarmSeries s;
      for (const auto& [t, v] : points_[a.metric_name]) {
        if (t >= start && t < end) {
          s.timestamps_ms.push_back(t);
          s.values.push_back(v);
        }
      }
      return s;
    };
    o.dispatch.post = [](const std::string&, const std::string&, const alarm::Headers&,
                         int64_t) -> Result<int> { return 200; };
    auto s = alarm::AlarmService::open(meta_.get(), std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    service_ = std::move(*s);
    register_alarms_api(router_, AlarmsDeps{service_.get(), &clock_});
  }
  void TearDown() override {
    service_.reset();
    meta_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `target` is path?query as sent (percent-encoded); the path is decoded as the server does.
  HttpResponse call(std::string method, std::string target, std::string body = "") {
    HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    const size_t q = target.find('?');
    req.path = url_decode(target.substr(0, q), false);
    if (q != std::string::npos) parse_query(target.substr(q + 1), &req.params);
    req.body = std::move(body);
    if (!req.body.empty()) req.headers.emplace_back("content-type", "application/json");
    return router_.dispatch(req);
  }

  dom::element json(const HttpResponse& r) {
    dom::element e;
    EXPECT_FALSE(parser_.parse(r.body).get(e)) << r.body;
    return e;
  }

  // The names in a DescribeAlarms answer: metric alarms, then composites.
  std::vector<std::string> names(const HttpResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    dom::element doc = json(r);
    for (const char* key : {"MetricAlarms", "CompositeAlarms"}) {
      for (dom::element a : doc[key].get_array())
        out.emplace_back(std::string_view(a["AlarmName"]));
    }
    return out;
  }

  std::string state(const std::string& name) {
    HttpResponse r = call("GET", "/api/v1/alarms/" + name);
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(std::string_view(json(r)["StateValue"]));
  }

  // Expects an error answer with `status` and `code` whose message mentions `needle`.
  void expect_error(const HttpResponse& r, int status, std::string_view code,
                    std::string_view needle) {
    EXPECT_EQ(r.status, status) << r.body;
    dom::element e = json(r);
    EXPECT_EQ(std::string_view(e["code"]), code) << r.body;
    EXPECT_NE(std::string_view(e["message"]).find(needle), std::string_view::npos) << r.body;
    EXPECT_FALSE(std::string_view(e["message"]).starts_with(code)) << r.body;
  }

  std::string dir_;
  ManualClock clock_{kT0};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<alarm::AlarmService> service_;
  std::map<std::string, std::vector<std::pair<int64_t, double>>> points_;
  Router router_;
  dom::parser parser_;
};

TEST_F(AlarmsApiTest, LifecycleFromPutToDelete) {
  HttpResponse r = call("PUT", "/api/v1/alarms/metric", metric_alarm("cpu-high"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type.find("application/json"), 0u);
  dom::element a = json(r);
  EXPECT_EQ(std::string_view(a["AlarmType"]), "MetricAlarm");
  EXPECT_EQ(std::string_view(a["AlarmName"]), "cpu-high");
  EXPECT_EQ(std::string_view(a["AlarmArn"]),
            "arn:aws:cloudwatch:local:000000000000:alarm:cpu-high");
  EXPECT_EQ(std::string_view(a["StateValue"]), "INSUFFICIENT_DATA");
  EXPECT_EQ(std::string_view(a["StateReason"]), "Unchecked: Initial alarm creation");
  EXPECT_EQ(std::string_view(a["StateUpdatedTimestamp"]), "2023-11-14T22:14:00.000Z");

  EXPECT_EQ(names(call("GET", "/api/v1/alarms")), std::vector<std::string>{"cpu-high"});
  EXPECT_EQ(names(call("POST", "/api/v1/alarms", R"({"AlarmNames": ["cpu-high"]})")),
            std::vector<std::string>{"cpu-high"});

  // The scheduler's next pass evaluates the period [kT0 - 60 s, kT0): 90 > 50.
  points_["cpu"].push_back({kT0 - 60'000, 90});
  clock_.advance_ms(1'000);
  EXPECT_EQ(service_->run_due(), 1u);
  EXPECT_EQ(state("cpu-high"), "ALARM");

  r = call("GET", "/api/v1/alarms/history?AlarmName=cpu-high&HistoryItemType=StateUpdate");
  ASSERT_EQ(r.status, 200) << r.body;
  dom::array items = json(r)["AlarmHistoryItems"].get_array();
  ASSERT_EQ(items.size(), 1u);
  dom::element item = items.at(0);
  EXPECT_EQ(std::string_view(item["AlarmName"]), "cpu-high");
  EXPECT_EQ(std::string_view(item["AlarmType"]), "MetricAlarm");
  EXPECT_EQ(std::string_view(item["HistoryItemType"]), "StateUpdate");
  EXPECT_EQ(std::string_view(item["HistorySummary"]),
            "Alarm updated from INSUFFICIENT_DATA to ALARM");
  EXPECT_TRUE(std::string_view(item["Timestamp"]).starts_with("2023-11-14T22:14:0"));

  clock_.advance_ms(1'000);
  r = call("POST", "/api/v1/alarms/set-state",
           R"({"AlarmName": "cpu-high", "StateValue": "OK", "StateReason": "testing the pager"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(std::string_view(json(r)["StateValue"]), "OK");
  EXPECT_EQ(std::string_view(json(r)["StateReason"]), "testing the pager");

  // Every item, oldest first, through the POST form.
  r = call("POST", "/api/v1/alarms/history",
           R"({"AlarmName": "cpu-high", "ScanBy": "TimestampAscending"})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> summaries;
  for (dom::element i : json(r)["AlarmHistoryItems"].get_array()) {
    summaries.emplace_back(std::string_view(i["HistorySummary"]));
  }
  EXPECT_EQ(summaries, (std::vector<std::string>{"Alarm \"cpu-high\" created",
                                                 "Alarm updated from INSUFFICIENT_DATA to ALARM",
                                                 "Alarm updated from ALARM to OK"}));

  r = call("POST", "/api/v1/alarms/delete", R"({"AlarmNames": ["cpu-high"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  expect_error(call("GET", "/api/v1/alarms/cpu-high"), 404, "ResourceNotFound", "cpu-high");
  expect_error(call("POST", "/api/v1/alarms/delete", R"({"AlarmNames": ["cpu-high"]})"), 404,
               "ResourceNotFound", "cpu-high");
  EXPECT_TRUE(names(call("GET", "/api/v1/alarms")).empty());
  // The history of a deleted alarm is kept.
  r = call("GET", "/api/v1/alarms/history?AlarmName=cpu-high&HistoryItemType=ConfigurationUpdate");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r)["AlarmHistoryItems"].get_array().size(), 2u);
}

TEST_F(AlarmsApiTest, ErrorsNameTheParameter) {
  std::string bad_period = metric_alarm("x");
  bad_period.replace(bad_period.find(R"("Period": 60)"), 12, R"("Period": 45)");
  expect_error(call("PUT", "/api/v1/alarms/metric", bad_period), 400, "InvalidParameterValue",
               "Period");
  std::string no_periods = metric_alarm("x");
  no_periods.replace(no_periods.find(R"("EvaluationPeriods": 1,)"), 23, "");
  expect_error(call("PUT", "/api/v1/alarms/metric", no_periods), 400, "MissingParameter",
               "EvaluationPeriods");
  expect_error(call("PUT", "/api/v1/alarms/metric", "{not json"), 400, "InvalidFormat", "JSON");
  expect_error(call("PUT", "/api/v1/alarms/composite", R"({"AlarmName": "c"})"), 400,
               "MissingParameter", "AlarmRule");
  expect_error(call("PUT", "/api/v1/alarms/composite",
                    R"j({"AlarmName": "c", "AlarmRule": "ALARM(missing-child)"})j"),
               400, "ValidationError", "missing-child");

  expect_error(call("GET", "/api/v1/alarms?AlarmNames=a&AlarmNamePrefix=b"), 400,
               "InvalidParameterCombination", "AlarmNamePrefix");
  expect_error(call("GET", "/api/v1/alarms?MaxRecords=abc"), 400, "InvalidParameterValue",
               "MaxRecords");
  expect_error(call("GET", "/api/v1/alarms?MaxRecords=500"), 400, "InvalidParameterValue",
               "MaxRecords");
  expect_error(call("GET", "/api/v1/alarms?StateValue=RED"), 400, "InvalidParameterValue",
               "StateValue");
  expect_error(call("GET", "/api/v1/alarms?AlarmTypes=Metric"), 400, "InvalidParameterValue",
               "AlarmTypes");
  expect_error(call("GET", "/api/v1/alarms?prefix=a"), 400, "InvalidParameterValue", "\"prefix\"");
  expect_error(call("GET", "/api/v1/alarms?StateValue=OK&StateValue=ALARM"), 400,
               "InvalidParameterValue", "StateValue");
  expect_error(call("GET", "/api/v1/alarms?NextToken=bogus"), 400, "InvalidNextToken", "NextToken");
  expect_error(call("GET", "/api/v1/alarms?ChildrenOfAlarmName=nope"), 404, "ResourceNotFound",
               "nope");

  expect_error(call("GET", "/api/v1/alarms/history?HistoryItemType=Bogus"), 400,
               "InvalidParameterValue", "HistoryItemType");
  expect_error(call("GET", "/api/v1/alarms/history?StartDate=yesterday"), 400,
               "InvalidParameterValue", "StartDate");
  expect_error(call("GET", "/api/v1/alarms/history?StartDate=now&EndDate=now-1h"), 400,
               "InvalidParameterValue", "StartDate");
  expect_error(call("POST", "/api/v1/alarms/history", R"({"ScanBy": "sideways"})"), 400,
               "InvalidParameterValue", "ScanBy");

  expect_error(call("POST", "/api/v1/alarms/set-state",
                    R"({"AlarmName": "x", "StateValue": "RED", "StateReason": "r"})"),
               400, "InvalidParameterValue", "StateValue");
  expect_error(
      call("POST", "/api/v1/alarms/set-state", R"({"AlarmName": "x", "StateValue": "OK"})"), 400,
      "MissingParameter", "StateReason");
  expect_error(call("POST", "/api/v1/alarms/set-state",
                    R"({"AlarmName": "x", "StateValue": "OK", "StateReason": "r"})"),
               404, "ResourceNotFound", "\"x\"");
  expect_error(call("POST", "/api/v1/alarms/delete", "{}"), 400, "MissingParameter", "AlarmNames");
  expect_error(call("POST", "/api/v1/alarms/enable-actions", R"({"AlarmNames": "a"})"), 400,
               "InvalidParameterValue", "AlarmNames");
  expect_error(call("POST", "/api/v1/alarms/disable-actions", R"({"AlarmNames": ["ghost"]})"), 404,
               "ResourceNotFound", "ghost");

  HttpResponse r = call("PUT", "/api/v1/alarms/metric", std::string((1 << 20) + 1, ' '));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(std::string_view(json(r)["code"]), "RequestEntityTooLarge");

  r = call("DELETE", "/api/v1/alarms/x");
  EXPECT_EQ(r.status, 405);
  r = call("POST", "/api/v1/alarms/metric", metric_alarm("x"));
  EXPECT_EQ(r.status, 405);
  EXPECT_TRUE(names(call("GET", "/api/v1/alarms")).empty());  // nothing was stored
}

TEST_F(AlarmsApiTest, DescribeFiltersAndPages) {
  for (const char* n : {"api-5xx", "api-latency", "db-cpu", "web-cpu"}) {
    ASSERT_EQ(call("PUT", "/api/v1/alarms/metric", metric_alarm(n)).status, 200) << n;
  }
  HttpResponse r = call("PUT", "/api/v1/alarms/composite",
                        R"j({"AlarmName": "api-down",
                            "AlarmRule": "ALARM(\"api-5xx\") OR ALARM(\"api-latency\")"})j");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(std::string_view(json(r)["AlarmType"]), "CompositeAlarm");
  EXPECT_EQ(std::string_view(json(r)["StateValue"]), "OK");  // rule FALSE -> OK

  using V = std::vector<std::string>;
  // CloudWatch's default: metric alarms only.
  EXPECT_EQ(names(call("GET", "/api/v1/alarms")),
            (V{"api-5xx", "api-latency", "db-cpu", "web-cpu"}));
  EXPECT_EQ(names(call("GET",
                       "/api/v1/alarms?AlarmTypes=MetricAlarm,CompositeAlarm&"
                       "AlarmNamePrefix=api-")),
            (V{"api-5xx", "api-latency", "api-down"}));
  EXPECT_EQ(names(call("GET", "/api/v1/alarms?AlarmTypes=CompositeAlarm")), (V{"api-down"}));
  EXPECT_EQ(names(call("GET", "/api/v1/alarms?AlarmNames=db-cpu,web-cpu")),
            (V{"db-cpu", "web-cpu"}));
  EXPECT_EQ(names(call("GET", "/api/v1/alarms?AlarmNames=db-cpu&AlarmNames=api-5xx")),
            (V{"api-5xx", "db-cpu"}));
  EXPECT_EQ(names(call("GET", "/api/v1/alarms?ChildrenOfAlarmName=api-down")),
            (V{"api-5xx", "api-latency"}));
  EXPECT_EQ(names(call("GET", "/api/v1/alarms?ParentsOfAlarmName=api-5xx")), (V{"api-down"}));

  // StateValue after a forced change (it also moves the composite to ALARM).
  r = call("POST", "/api/v1/alarms/set-state",
           R"({"AlarmName": "api-5xx", "StateValue": "ALARM", "StateReason": "drill"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(names(call("GET",
                       "/api/v1/alarms?StateValue=ALARM&AlarmTypes=MetricAlarm&"
                       "AlarmTypes=CompositeAlarm")),
            (V{"api-5xx", "api-down"}));
  EXPECT_EQ(state("api-down"), "ALARM");

  // Pages of two, GET and POST forms.
  r = call("GET", "/api/v1/alarms?MaxRecords=2");
  EXPECT_EQ(names(r), (V{"api-5xx", "api-latency"}));
  std::string token(std::string_view(json(r)["NextToken"]));
  r = call("GET", "/api/v1/alarms?MaxRecords=2&NextToken=" + token);
  EXPECT_EQ(names(r), (V{"db-cpu", "web-cpu"}));
  r = call("POST", "/api/v1/alarms", R"({"MaxRecords": 3, "NextToken": ")" + token + "\"}");
  EXPECT_EQ(names(r), (V{"db-cpu", "web-cpu"}));
  EXPECT_TRUE(json(r)["NextToken"].error());
}

TEST_F(AlarmsApiTest, ActionsCanBeDisabledAndEnabled) {
  ASSERT_EQ(call("PUT", "/api/v1/alarms/metric",
                 metric_alarm("cpu", R"(, "AlarmActions": ["http://hook/a"])"))
                .status,
            200);
  HttpResponse r = call("POST", "/api/v1/alarms/disable-actions", R"({"AlarmNames": ["cpu"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = call("GET", "/api/v1/alarms/cpu");
  EXPECT_FALSE(bool(json(r)["ActionsEnabled"]));
  EXPECT_EQ(std::string_view(json(r)["AlarmActions"].at(0)), "http://hook/a");
  r = call("POST", "/api/v1/alarms/enable-actions", R"({"AlarmNames": ["cpu"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(bool(json(call("GET", "/api/v1/alarms/cpu"))["ActionsEnabled"]));
  // Each change is a ConfigurationUpdate.
  r = call("GET", "/api/v1/alarms/history?AlarmName=cpu&HistoryItemType=ConfigurationUpdate");
  EXPECT_EQ(json(r)["AlarmHistoryItems"].get_array().size(), 3u);
}

TEST_F(AlarmsApiTest, NamesWithSlashesAndSpaces) {
  ASSERT_EQ(call("PUT", "/api/v1/alarms/metric", metric_alarm("team/api latency")).status, 200);
  EXPECT_EQ(state("team%2Fapi%20latency"), "INSUFFICIENT_DATA");
  EXPECT_EQ(state("team/api%20latency"), "INSUFFICIENT_DATA");
  HttpResponse r = call("GET", "/api/v1/alarms?AlarmNames=team%2Fapi+latency");
  EXPECT_EQ(names(r), std::vector<std::string>{"team/api latency"});
  expect_error(call("GET", "/api/v1/alarms/team"), 404, "ResourceNotFound", "\"team\"");
}

TEST_F(AlarmsApiTest, HistoryTimeRangeAndPaging) {
  ASSERT_EQ(call("PUT", "/api/v1/alarms/metric", metric_alarm("cpu")).status, 200);
  for (const char* s : {"ALARM", "OK", "ALARM"}) {
    clock_.advance_ms(60'000);
    ASSERT_EQ(
        call("POST", "/api/v1/alarms/set-state",
             std::string(R"({"AlarmName": "cpu", "StateReason": "r", "StateValue": ")") + s + "\"}")
            .status,
        200);
  }
  // now = kT0 + 3 min. Items at kT0 (created), +1, +2, +3 min.
  HttpResponse r = call("GET", "/api/v1/alarms/history?StartDate=now-90s");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r)["AlarmHistoryItems"].get_array().size(), 2u);
  r = call("GET", "/api/v1/alarms/history?EndDate=2023-11-14T22:15:00Z");  // kT0 + 1 min
  EXPECT_EQ(json(r)["AlarmHistoryItems"].get_array().size(), 2u);
  r = call("GET", "/api/v1/alarms/history?StartDate=1700000100&EndDate=1700000100000");
  EXPECT_EQ(json(r)["AlarmHistoryItems"].get_array().size(), 1u) << r.body;

  r = call("GET", "/api/v1/alarms/history?AlarmName=cpu&MaxRecords=3");
  ASSERT_EQ(json(r)["AlarmHistoryItems"].get_array().size(), 3u);
  std::string token(std::string_view(json(r)["NextToken"]));
  r = call("GET", "/api/v1/alarms/history?AlarmName=cpu&MaxRecords=3&NextToken=" + token);
  ASSERT_EQ(r.status, 200) << r.body;
  dom::array rest = json(r)["AlarmHistoryItems"].get_array();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(std::string_view(rest.at(0)["HistoryItemType"]), "ConfigurationUpdate");
}

TEST_F(AlarmsApiTest, Targets) {
  HttpResponse r = call("PUT", "/api/v1/alarms/targets/oncall",
                        R"({"Type": "pagerduty", "Url": "http://pd:8080/v2/enqueue",
                            "RoutingKey": "R0123"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(std::string_view(json(r)["Name"]), "oncall");
  EXPECT_EQ(std::string_view(json(r)["Type"]), "pagerduty");
  r = call("PUT", "/api/v1/alarms/targets/chat",
           R"({"Name": "chat", "Type": "slack", "Url": "http://hooks/x"})");
  ASSERT_EQ(r.status, 200) << r.body;

  r = call("GET", "/api/v1/alarms/targets");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> got;
  for (dom::element t : json(r)["Targets"].get_array())
    got.emplace_back(std::string_view(t["Name"]));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"chat", "oncall"}));

  expect_error(call("PUT", "/api/v1/alarms/targets/a", R"({"Name": "b", "Url": "http://x"})"), 400,
               "InvalidParameterCombination", "Name");
  expect_error(call("PUT", "/api/v1/alarms/targets/a", R"({"Type": "sms", "Url": "http://x"})"),
               400, "InvalidParameterValue", "Type");
  expect_error(call("PUT", "/api/v1/alarms/targets/a", R"({})"), 400, "MissingParameter", "Url");
  expect_error(call("PUT", "/api/v1/alarms/targets/a", "[1]"), 400, "InvalidFormat", "object");

  r = call("DELETE", "/api/v1/alarms/targets/chat");
  ASSERT_EQ(r.status, 200) << r.body;
  expect_error(call("DELETE", "/api/v1/alarms/targets/chat"), 404, "ResourceNotFound", "chat");
  EXPECT_EQ(json(call("GET", "/api/v1/alarms/targets"))["Targets"].get_array().size(), 1u);
}

}  // namespace
}  // namespace opsight::api

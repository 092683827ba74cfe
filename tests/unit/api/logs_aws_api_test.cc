// The CloudWatch Logs front end (api/aws/logs) over the real log store, tsdb and meta store:
// each operation with JSON 1.1 text in and out, as the AWS clients send it.
#include "api/aws/logs/logs_aws_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>

#include "api/logs_aws_stack.h"
#include "common/clock.h"

namespace opsight::api::aws {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

struct Reply {
  int status = 0;
  std::string body;
  std::string error_type;  // x-amzn-ErrorType
  std::string request_id;
  std::string content_type;
  simdjson::dom::element json;
};

class LogsAwsApiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(stack_.open(dir_, &clock_)); }

  void TearDown() override { stack_.close(); }

  Reply call(std::string_view op, std::string body,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/";
    req.body = std::move(body);
    req.headers = std::move(headers);
    req.headers.emplace_back("content-type", "application/x-amz-json-1.1");
    req.headers.emplace_back("x-amz-target", "Logs_20140328." + std::string(op));
    HttpResponse r = handle_logs_request(stack_.deps, req, op);
    Reply out;
    out.status = r.status;
    out.body = r.body;
    out.content_type = r.content_type;
    for (const auto& [k, v] : r.headers) {
      if (k == "x-amzn-ErrorType") out.error_type = v;
      if (k == "x-amzn-RequestId") out.request_id = v;
    }
    parsers_.push_back(std::make_unique<simdjson::dom::parser>());
    EXPECT_EQ(parsers_.back()->parse(out.body).get(out.json), simdjson::SUCCESS) << out.body;
    return out;
  }

  // Asserts success and returns the reply.
  Reply ok(std::string_view op, std::string body,
           std::vector<std::pair<std::string, std::string>> headers = {}) {
    Reply r = call(op, std::move(body), std::move(headers));
    EXPECT_EQ(r.status, 200) << op << ": " << r.body;
    return r;
  }

  void make_group_and_stream(const std::string& group, const std::string& stream) {
    ok("CreateLogGroup", R"({"logGroupName":")" + group + R"("})");
    ok("CreateLogStream",
       R"({"logGroupName":")" + group + R"(","logStreamName":")" + stream + R"("})");
  }

  void put(const std::string& group, const std::string& stream,
           const std::vector<std::pair<int64_t, std::string>>& events,
           std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::string body =
        R"({"logGroupName":")" + group + R"(","logStreamName":")" + stream + R"(","logEvents":[)";
    for (size_t i = 0; i < events.size(); i++) {
      if (i) body += ",";
      std::string msg;
      json_escape(events[i].second, &msg);
      body += R"({"timestamp":)" + std::to_string(events[i].first) + R"(,"message":)" + msg + "}";
    }
    body += "]}";
    ok("PutLogEvents", body, std::move(headers));
  }

  static void json_escape(std::string_view s, std::string* out) {
    out->push_back('"');
    for (char c : s) {
      if (c == '"' || c == '\\') out->push_back('\\');
      out->push_back(c);
    }
    out->push_back('"');
  }

  // Samples of the series with __name__ = name (and the extra label, if given).
  std::vector<storage::Sample> samples(const std::string& name,
                                       std::pair<std::string, std::string> label = {}) {
    auto q = stack_.metrics->querier(storage::QueryScope{}, 0, kNow + 3'600'000);
    EXPECT_TRUE(q.ok());
    std::vector<storage::Matcher> m{storage::Matcher::equal("__name__", name)};
    if (!label.first.empty()) m.push_back(storage::Matcher::equal(label.first, label.second));
    auto set = (*q)->select(true, {0, kNow + 3'600'000, 0, 0}, m);
    std::vector<storage::Sample> out;
    while (set->next()) {
      auto it = set->at().iterator();
      while (it->next()) out.push_back(it->at());
    }
    return out;
  }

  testing::TempDir dir_{"logs_aws_api"};
  ManualClock clock_{kNow};
  LogsAwsStack stack_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
};

std::string str(simdjson::dom::element e) {
  std::string_view v;
  return e.get(v) == simdjson::SUCCESS ? std::string(v) : std::string("<not a string>");
}
int64_t num(simdjson::dom::element e) {
  int64_t v = -1;
  return e.get(v) == simdjson::SUCCESS ? v : -1;
}
size_t len(simdjson::dom::element e) {
  simdjson::dom::array a;
  return e.get(a) == simdjson::SUCCESS ? a.size() : 0;
}

TEST_F(LogsAwsApiTest, GroupsStreamsAndErrorsInTheJson11Shape) {
  Reply r = ok("CreateLogGroup", R"({"logGroupName":"/app/web","tags":{"team":"core"}})");
  EXPECT_EQ(r.content_type, "application/x-amz-json-1.1");
  EXPECT_EQ(r.request_id.size(), 36u);
  EXPECT_EQ(r.body, "{}");

  Reply dup = call("CreateLogGroup", R"({"logGroupName":"/app/web"})");
  EXPECT_EQ(dup.status, 400);
  EXPECT_EQ(dup.error_type, "ResourceAlreadyExistsException");
  EXPECT_EQ(str(dup.json["__type"]), "ResourceAlreadyExistsException");
  EXPECT_FALSE(dup.request_id.empty());

  Reply bad = call("CreateLogGroup", R"({"logGroupName":"bad name!"})");
  EXPECT_EQ(bad.error_type, "InvalidParameterException");
  Reply missing = call("CreateLogGroup", "{}");
  EXPECT_EQ(missing.error_type, "InvalidParameterException");
  Reply garbage = call("CreateLogGroup", "{not json");
  EXPECT_EQ(garbage.error_type, "SerializationException");
  Reply unknown = call("MakeCoffee", "{}");
  EXPECT_EQ(unknown.error_type, "UnknownOperationException");

  ok("CreateLogGroup", R"({"logGroupName":"/app/api"})");
  ok("CreateLogGroup", R"({"logGroupName":"/other"})");
  Reply page1 = ok("DescribeLogGroups", R"({"logGroupNamePrefix":"/app","limit":1})");
  ASSERT_EQ(len(page1.json["logGroups"]), 1u);
  EXPECT_EQ(str(page1.json["logGroups"].at(0)["logGroupName"]), "/app/api");
  EXPECT_EQ(str(page1.json["logGroups"].at(0)["arn"]),
            "arn:aws:logs:local:000000000000:log-group:/app/api:*");
  const std::string token = str(page1.json["nextToken"]);
  Reply page2 = ok("DescribeLogGroups",
                   R"({"logGroupNamePrefix":"/app","limit":1,"nextToken":")" + token + R"("})");
  ASSERT_EQ(len(page2.json["logGroups"]), 1u);
  EXPECT_EQ(str(page2.json["logGroups"].at(0)["logGroupName"]), "/app/web");
  EXPECT_TRUE(page2.json["nextToken"].error() == simdjson::NO_SUCH_FIELD);
  Reply pattern = ok("DescribeLogGroups", R"({"logGroupNamePattern":"WEB"})");
  EXPECT_EQ(len(pattern.json["logGroups"]), 1u);

  Reply tags = ok("ListTagsLogGroup", R"({"logGroupName":"/app/web"})");
  EXPECT_EQ(str(tags.json["tags"]["team"]), "core");

  ok("CreateLogStream", R"({"logGroupName":"/app/web","logStreamName":"b"})");
  ok("CreateLogStream", R"({"logGroupName":"/app/web","logStreamName":"a"})");
  Reply nogroup = call("CreateLogStream", R"({"logGroupName":"/nope","logStreamName":"a"})");
  EXPECT_EQ(nogroup.error_type, "ResourceNotFoundException");
  Reply streams = ok("DescribeLogStreams", R"({"logGroupName":"/app/web","descending":true})");
  ASSERT_EQ(len(streams.json["logStreams"]), 2u);
  EXPECT_EQ(str(streams.json["logStreams"].at(0)["logStreamName"]), "b");
  Reply conflict =
      call("DescribeLogStreams", R"({"logGroupName":"/app/web","orderBy":"LastEventTime",)"
                                 R"("logStreamNamePrefix":"a"})");
  EXPECT_EQ(conflict.error_type, "InvalidParameterException");
  ok("DeleteLogStream", R"({"logGroupName":"/app/web","logStreamName":"b"})");
  Reply gone = call("DeleteLogStream", R"({"logGroupName":"/app/web","logStreamName":"b"})");
  EXPECT_EQ(gone.error_type, "ResourceNotFoundException");

  ok("PutRetentionPolicy", R"({"logGroupName":"/app/web","retentionInDays":14})");
  Reply bad_days = call("PutRetentionPolicy", R"({"logGroupName":"/app/web","retentionInDays":2})");
  EXPECT_EQ(bad_days.error_type, "InvalidParameterException");
  Reply with_ret = ok("DescribeLogGroups", R"({"logGroupNamePrefix":"/app/web"})");
  EXPECT_EQ(num(with_ret.json["logGroups"].at(0)["retentionInDays"]), 14);
  ok("DeleteRetentionPolicy", R"({"logGroupName":"/app/web"})");
  Reply no_ret = ok("DescribeLogGroups", R"({"logGroupNamePrefix":"/app/web"})");
  EXPECT_TRUE(no_ret.json["logGroups"].at(0)["retentionInDays"].error() == simdjson::NO_SUCH_FIELD);

  ok("DeleteLogGroup", R"({"logGroupName":"/app/web"})");
  EXPECT_EQ(call("DeleteLogGroup", R"({"logGroupName":"/app/web"})").error_type,
            "ResourceNotFoundException");
  // A new group of the same name starts without the old tags.
  ok("CreateLogGroup", R"({"logGroupName":"/app/web"})");
  Reply fresh = ok("ListTagsLogGroup", R"({"logGroupName":"/app/web"})");
  EXPECT_EQ(fresh.body, R"({"tags":{}})");
}

TEST_F(LogsAwsApiTest, PutGetAndFilterLogEvents) {
  make_group_and_stream("/g", "s1");
  ok("CreateLogStream", R"({"logGroupName":"/g","logStreamName":"s2"})");
  Reply first =
      ok("PutLogEvents", R"({"logGroupName":"/g","logStreamName":"s1","sequenceToken":"ignored",)"
                         R"("logEvents":[{"timestamp":)" +
                             std::to_string(kNow - 15LL * 86'400'000) +
                             R"(,"message":"too old"},{"timestamp":)" +
                             std::to_string(kNow - 5000) + R"(,"message":"ERROR one"}]})");
  EXPECT_EQ(num(first.json["rejectedLogEventsInfo"]["tooOldLogEventEndIndex"]), 1);
  EXPECT_FALSE(str(first.json["nextSequenceToken"]).empty());
  put("/g", "s1", {{kNow - 4000, "INFO two"}, {kNow - 3000, "ERROR three"}});
  put("/g", "s2", {{kNow - 2500, "ERROR other stream"}});

  Reply missing =
      call("PutLogEvents", R"({"logGroupName":"/g","logStreamName":"nope","logEvents":[)"
                           R"({"timestamp":)" +
                               std::to_string(kNow) + R"(,"message":"x"}]})");
  EXPECT_EQ(missing.error_type, "ResourceNotFoundException");
  Reply unordered =
      call("PutLogEvents", R"({"logGroupName":"/g","logStreamName":"s1","logEvents":[)"
                           R"({"timestamp":)" +
                               std::to_string(kNow) +
                               R"(,"message":"x"},)"
                               R"({"timestamp":)" +
                               std::to_string(kNow - 1) + R"(,"message":"y"}]})");
  EXPECT_EQ(unordered.error_type, "InvalidParameterException");

  // From the tail by default: the newest `limit` events, oldest first.
  Reply tail = ok("GetLogEvents", R"({"logGroupName":"/g","logStreamName":"s1","limit":2})");
  ASSERT_EQ(len(tail.json["events"]), 2u);
  EXPECT_EQ(str(tail.json["events"].at(0)["message"]), "INFO two");
  EXPECT_EQ(str(tail.json["events"].at(1)["message"]), "ERROR three");
  // Backward from there: the one before.
  Reply back = ok("GetLogEvents", R"({"logGroupName":"/g","logStreamName":"s1","limit":2,)"
                                  R"("nextToken":")" +
                                      str(tail.json["nextBackwardToken"]) + R"("})");
  ASSERT_EQ(len(back.json["events"]), 1u);
  EXPECT_EQ(str(back.json["events"].at(0)["message"]), "ERROR one");
  // From the head, a page at a time; at the end the same forward token comes back.
  Reply head = ok("GetLogEvents", R"({"logGroupName":"/g","logStreamName":"s1","limit":2,)"
                                  R"("startFromHead":true})");
  ASSERT_EQ(len(head.json["events"]), 2u);
  EXPECT_EQ(str(head.json["events"].at(0)["message"]), "ERROR one");
  EXPECT_GT(num(head.json["events"].at(0)["ingestionTime"]), 0);
  Reply next = ok("GetLogEvents", R"({"logGroupName":"/g","logStreamName":"s1","limit":2,)"
                                  R"("nextToken":")" +
                                      str(head.json["nextForwardToken"]) + R"("})");
  ASSERT_EQ(len(next.json["events"]), 1u);
  EXPECT_EQ(str(next.json["events"].at(0)["message"]), "ERROR three");
  const std::string end_token = str(next.json["nextForwardToken"]);
  Reply end = ok("GetLogEvents", R"({"logGroupName":"/g","logStreamName":"s1",)"
                                 R"("nextToken":")" +
                                     end_token + R"("})");
  EXPECT_EQ(len(end.json["events"]), 0u);
  EXPECT_EQ(str(end.json["nextForwardToken"]), end_token);
  Reply window = ok("GetLogEvents", R"({"logGroupName":"/g","logStreamName":"s1",)"
                                    R"("startFromHead":true,"startTime":)" +
                                        std::to_string(kNow - 4000) + R"(,"endTime":)" +
                                        std::to_string(kNow - 4000) + "}");
  ASSERT_EQ(len(window.json["events"]), 1u);
  EXPECT_EQ(str(window.json["events"].at(0)["message"]), "INFO two");
  EXPECT_EQ(call("GetLogEvents", R"({"logGroupName":"/g","logStreamName":"zz"})").error_type,
            "ResourceNotFoundException");
  EXPECT_EQ(call("GetLogEvents", R"({"logGroupName":"/g","logStreamName":"s1","nextToken":"x"})")
                .error_type,
            "InvalidParameterException");

  // FilterLogEvents across streams, paged.
  Reply f1 = ok("FilterLogEvents", R"({"logGroupName":"/g","filterPattern":"ERROR","limit":2})");
  ASSERT_EQ(len(f1.json["events"]), 2u);
  EXPECT_EQ(str(f1.json["events"].at(0)["message"]), "ERROR one");
  EXPECT_EQ(str(f1.json["events"].at(1)["message"]), "ERROR three");
  EXPECT_FALSE(str(f1.json["events"].at(0)["eventId"]).empty());
  EXPECT_EQ(len(f1.json["searchedLogStreams"]), 2u);
  Reply f2 = ok("FilterLogEvents", R"({"logGroupName":"/g","filterPattern":"ERROR","limit":2,)"
                                   R"("nextToken":")" +
                                       str(f1.json["nextToken"]) + R"("})");
  ASSERT_EQ(len(f2.json["events"]), 1u);
  EXPECT_EQ(str(f2.json["events"].at(0)["message"]), "ERROR other stream");
  EXPECT_EQ(str(f2.json["events"].at(0)["logStreamName"]), "s2");
  EXPECT_TRUE(f2.json["nextToken"].error() == simdjson::NO_SUCH_FIELD);
  Reply by_prefix = ok("FilterLogEvents", R"({"logGroupName":"/g","logStreamNamePrefix":"s2"})");
  EXPECT_EQ(len(by_prefix.json["events"]), 1u);
  Reply by_names = ok("FilterLogEvents", R"({"logGroupName":"/g","logStreamNames":["s1"],)"
                                         R"("filterPattern":"?INFO ?three"})");
  EXPECT_EQ(len(by_names.json["events"]), 2u);
  EXPECT_EQ(call("FilterLogEvents", R"({"logGroupName":"/g","logStreamNames":["s1"],)"
                                    R"("logStreamNamePrefix":"s"})")
                .error_type,
            "InvalidParameterException");
  EXPECT_EQ(
      call("FilterLogEvents", R"({"logGroupName":"/g","filterPattern":"{ $.x = "})").error_type,
      "InvalidParameterException");
}

TEST_F(LogsAwsApiTest, EmfOnlyWithTheLogsFormatHeader) {
  make_group_and_stream("/emf", "s");
  auto emf = [](const std::string& name) {
    return R"({"_aws":{"Timestamp":)" + std::to_string(kNow - 1000) +
           R"(,"CloudWatchMetrics":[{"Namespace":"App","Dimensions":[["Svc"]],"Metrics":[{"Name":")" +
           name + R"("}]}]},"Svc":"api",")" + name + R"(":7})";
  };
  put("/emf", "s", {{kNow - 1000, emf("Plain")}});
  EXPECT_TRUE(samples("Plain").empty());
  put("/emf", "s", {{kNow - 1000, emf("Latency")}}, {{"x-amzn-logs-format", "json/emf"}});
  auto s = samples("Latency", {"Svc", "api"});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].v, 7);
}

TEST_F(LogsAwsApiTest, MetricFiltersTurnMatchingEventsIntoMetrics) {
  make_group_and_stream("/mf", "s");
  ok("PutMetricFilter", R"({"logGroupName":"/mf","filterName":"errors","filterPattern":"ERROR",)"
                        R"("metricTransformations":[{"metricName":"ErrorCount",)"
                        R"("metricNamespace":"App","metricValue":"1","defaultValue":0}]})");
  ok("PutMetricFilter",
     R"({"logGroupName":"/mf","filterName":"latency","filterPattern":"{ $.latency > 0 }",)"
     R"("metricTransformations":[{"metricName":"Latency","metricNamespace":"App",)"
     R"("metricValue":"$.latency","unit":"Milliseconds","dimensions":{"Op":"$.op"}}]})");
  ok("PutMetricFilter",
     R"({"logGroupName":"/mf","filterName":"bytes","filterPattern":"[ip, verb, bytes > 0]",)"
     R"("metricTransformations":[{"metricName":"Bytes","metricNamespace":"Web",)"
     R"("metricValue":"$bytes"}]})");
  put("/mf", "s",
      {{kNow - 3000, "ERROR boom"},
       {kNow - 3000, "ERROR again"},
       {kNow - 2000, "all good"},
       {kNow - 1000, R"({"latency": 12.5, "op": "get"})"},
       {kNow - 900, "10.0.0.1 GET 512"}});
  auto errors = samples("ErrorCount");
  ASSERT_EQ(errors.size(), 4u);     // one point per event timestamp (defaultValue for the rest)
  ASSERT_TRUE(errors[0].is_stats);  // two matches at the same millisecond
  EXPECT_EQ(errors[0].stats.count, 2);
  EXPECT_EQ(errors[0].stats.sum, 2);
  EXPECT_EQ(errors[1].v, 0);  // "all good": the default value
  auto latency = samples("Latency", {"Op", "get"});
  ASSERT_EQ(latency.size(), 1u);
  EXPECT_EQ(latency[0].t, kNow - 1000);
  EXPECT_EQ(latency[0].v, 12.5);
  auto bytes = samples("Bytes", {"Namespace", "Web"});
  ASSERT_EQ(bytes.size(), 1u);
  EXPECT_EQ(bytes[0].v, 512);

  Reply all = ok("DescribeMetricFilters", R"({"logGroupName":"/mf"})");
  ASSERT_EQ(len(all.json["metricFilters"]), 3u);
  EXPECT_EQ(str(all.json["metricFilters"].at(0)["filterName"]), "bytes");
  Reply by_metric =
      ok("DescribeMetricFilters", R"({"metricName":"Latency","metricNamespace":"App"})");
  ASSERT_EQ(len(by_metric.json["metricFilters"]), 1u);
  EXPECT_EQ(str(by_metric.json["metricFilters"].at(0)["metricTransformations"].at(0)["unit"]),
            "Milliseconds");
  Reply groups = ok("DescribeLogGroups", R"({"logGroupNamePrefix":"/mf"})");
  EXPECT_EQ(num(groups.json["logGroups"].at(0)["metricFilterCount"]), 3);

  EXPECT_EQ(call("PutMetricFilter",
                 R"({"logGroupName":"/mf","filterName":"x","filterPattern":"{ $.a = ",)"
                 R"("metricTransformations":[{"metricName":"M","metricNamespace":"N",)"
                 R"("metricValue":"1"}]})")
                .error_type,
            "InvalidParameterException");
  EXPECT_EQ(
      call("PutMetricFilter", R"({"logGroupName":"/mf","filterName":"x","filterPattern":"",)"
                              R"("metricTransformations":[{"metricName":"M","metricNamespace":"N",)"
                              R"("metricValue":"one"}]})")
          .error_type,
      "InvalidParameterException");
  EXPECT_EQ(
      call("PutMetricFilter", R"({"logGroupName":"/none","filterName":"x","filterPattern":"",)"
                              R"("metricTransformations":[{"metricName":"M","metricNamespace":"N",)"
                              R"("metricValue":"1"}]})")
          .error_type,
      "ResourceNotFoundException");

  ok("DeleteMetricFilter", R"({"logGroupName":"/mf","filterName":"errors"})");
  EXPECT_EQ(
      call("DeleteMetricFilter", R"({"logGroupName":"/mf","filterName":"errors"})").error_type,
      "ResourceNotFoundException");
  put("/mf", "s", {{kNow - 500, "ERROR after delete"}});
  EXPECT_EQ(samples("ErrorCount").size(), 4u);
}

TEST_F(LogsAwsApiTest, InsightsQueriesAndDefinitions) {
  make_group_and_stream("/q", "s");
  put("/q", "s", {{kNow - 3000, "ERROR a"}, {kNow - 2000, "INFO b"}, {kNow - 1000, "ERROR c"}});
  const std::string range = R"("startTime":)" + std::to_string((kNow - 3'600'000) / 1000) +
                            R"(,"endTime":)" + std::to_string(kNow / 1000);
  Reply started = ok("StartQuery",
                     R"({"logGroupName":"/q",)" + range +
                         R"(,"queryString":"filter @message like /ERROR/ | stats count() as n"})");
  const std::string id = str(started.json["queryId"]);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(stack_.queries->wait(storage::Tenant{}, id, 60'000).ok());
  Reply results = ok("GetQueryResults", R"({"queryId":")" + id + R"("})");
  EXPECT_EQ(str(results.json["status"]), "Complete");
  ASSERT_EQ(len(results.json["results"]), 1u);
  EXPECT_EQ(str(results.json["results"].at(0).at(0)["field"]), "n");
  EXPECT_EQ(str(results.json["results"].at(0).at(0)["value"]), "2");
  double scanned = 0;
  ASSERT_EQ(results.json["statistics"]["recordsScanned"].get(scanned), simdjson::SUCCESS);
  EXPECT_EQ(scanned, 3);
  Reply stopped = ok("StopQuery", R"({"queryId":")" + id + R"("})");
  EXPECT_EQ(stopped.body, R"({"success":false})");
  Reply described = ok("DescribeQueries", R"({"logGroupName":"/q","status":"Complete"})");
  ASSERT_EQ(len(described.json["queries"]), 1u);
  EXPECT_EQ(str(described.json["queries"].at(0)["queryId"]), id);
  EXPECT_EQ(call("StartQuery", R"({"logGroupName":"/q",)" + range + R"(,"queryString":"stats ("})")
                .error_type,
            "MalformedQueryException");
  EXPECT_EQ(call("StartQuery", R"({"logGroupName":"/nope",)" + range + R"(,"queryString":"x"})")
                .error_type,
            "ResourceNotFoundException");
  EXPECT_EQ(call("GetQueryResults", R"({"queryId":"nope"})").error_type,
            "ResourceNotFoundException");

  Reply def = ok("PutQueryDefinition",
                 R"({"name":"ops/errors","queryString":"filter @message like /ERROR/",)"
                 R"("logGroupNames":["/q"]})");
  const std::string def_id = str(def.json["queryDefinitionId"]);
  ASSERT_EQ(def_id.size(), 36u);
  ok("PutQueryDefinition", R"({"name":"ops/all","queryString":"fields @message"})");
  ok("PutQueryDefinition", R"({"queryDefinitionId":")" + def_id +
                               R"(","name":"ops/errors2","queryString":"fields @timestamp"})");
  Reply defs = ok("DescribeQueryDefinitions", R"({"queryDefinitionNamePrefix":"ops/e"})");
  ASSERT_EQ(len(defs.json["queryDefinitions"]), 1u);
  EXPECT_EQ(str(defs.json["queryDefinitions"].at(0)["name"]), "ops/errors2");
  EXPECT_EQ(str(defs.json["queryDefinitions"].at(0)["queryString"]), "fields @timestamp");
  EXPECT_EQ(num(defs.json["queryDefinitions"].at(0)["lastModified"]), kNow);
  Reply paged = ok("DescribeQueryDefinitions", R"({"maxResults":1})");
  EXPECT_EQ(len(paged.json["queryDefinitions"]), 1u);
  EXPECT_FALSE(str(paged.json["nextToken"]).empty());
  Reply deleted = ok("DeleteQueryDefinition", R"({"queryDefinitionId":")" + def_id + R"("})");
  EXPECT_EQ(deleted.body, R"({"success":true})");
  EXPECT_EQ(
      call("DeleteQueryDefinition", R"({"queryDefinitionId":")" + def_id + R"("})").error_type,
      "ResourceNotFoundException");
  EXPECT_EQ(call("PutQueryDefinition", R"({"name":"bad*name","queryString":"x"})").error_type,
            "InvalidParameterException");
}

TEST_F(LogsAwsApiTest, TagsByGroupNameAndByArn) {
  ok("CreateLogGroup", R"({"logGroupName":"/t"})");
  const std::string arn = "arn:aws:logs:local:000000000000:log-group:/t";
  ok("TagLogGroup", R"({"logGroupName":"/t","tags":{"a":"1","b":"2"}})");
  ok("TagResource", R"({"resourceArn":")" + arn + R"(","tags":{"c":"3"}})");
  ok("UntagLogGroup", R"({"logGroupName":"/t","tags":["a"]})");
  ok("UntagResource", R"({"resourceArn":")" + arn + R"(:*","tagKeys":["b"]})");
  Reply listed = ok("ListTagsForResource", R"({"resourceArn":")" + arn + R"("})");
  EXPECT_EQ(listed.body, R"({"tags":{"c":"3"}})");
  EXPECT_EQ(ok("ListTagsLogGroup", R"({"logGroupName":"/t"})").body, R"({"tags":{"c":"3"}})");
  // Another account's ARN, an unknown group, a reserved key.
  EXPECT_EQ(call("ListTagsForResource",
                 R"({"resourceArn":"arn:aws:logs:local:111111111111:log-group:/t"})")
                .error_type,
            "ResourceNotFoundException");
  EXPECT_EQ(call("TagLogGroup", R"({"logGroupName":"/nope","tags":{"a":"1"}})").error_type,
            "ResourceNotFoundException");
  EXPECT_EQ(
      call("TagResource", R"({"resourceArn":")" + arn + R"(","tags":{"aws:x":"1"}})").error_type,
      "InvalidParameterException");
}

TEST_F(LogsAwsApiTest, TenantsAreIsolated) {
  ok("CreateLogGroup", R"({"logGroupName":"/mine"})");
  HttpRequest req;
  req.account = "222222222222";
  req.body = R"({"logGroupName":"/mine"})";
  HttpResponse r = handle_logs_request(stack_.deps, req, "ListTagsLogGroup");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("ResourceNotFoundException"), std::string::npos);
}

}  // namespace
}  // namespace opsight::api::aws

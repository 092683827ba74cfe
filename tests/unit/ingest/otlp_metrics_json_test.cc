#include "ingest/otlp/otlp_metrics_json.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ingest/otlp/otlp_metrics_pb.h"
#include "otlp_test_util.h"

namespace opsight::ingest::otlp {
namespace {

using testutil::kTimeMs;
using testutil::values;

std::string key(std::string_view name, std::vector<Label> extra = {}) {
  extra.push_back({"__name__", std::string(name)});
  return Labels(std::move(extra)).to_string();
}

// A request with one metric whose JSON body is `metric`.
std::string with_metric(std::string_view metric) {
  return std::string(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[)") + std::string(metric) +
         "]}]}]}";
}

TEST(OtlpMetricsJson, EveryTypeAndTemporality) {
  MetricBatch batch;
  OtlpResult result;
  Status st = decode_metrics_json(testutil::kFullRequestJson, &batch, &result);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(result.rejected_data_points, 0u);
  testutil::expect_full_request(batch);
}

TEST(OtlpMetricsJson, SameSeriesAsProtobuf) {
  MetricBatch from_json, from_pb;
  OtlpResult r1, r2;
  ASSERT_TRUE(decode_metrics_json(testutil::kFullRequestJson, &from_json, &r1).ok());
  ASSERT_TRUE(decode_metrics_protobuf(testutil::full_request_pb(), &from_pb, &r2).ok());
  EXPECT_EQ(testutil::series_map(from_json).size(), testutil::series_map(from_pb).size());
  EXPECT_EQ(values(from_json), values(from_pb));
  ASSERT_EQ(from_json.metadata.size(), from_pb.metadata.size());
  for (size_t i = 0; i < from_pb.metadata.size(); i++) {
    EXPECT_EQ(from_json.metadata[i].metric, from_pb.metadata[i].metric);
    EXPECT_EQ(from_json.metadata[i].meta, from_pb.metadata[i].meta);
  }
}

TEST(OtlpMetricsJson, SnakeCaseNamesEnumNamesAndNumbers) {
  std::string body = R"({"resource_metrics":[{"scope_metrics":[{"scope":{"name":"s"},"metrics":[
    {"name":"reqs","sum":{"aggregation_temporality":"AGGREGATION_TEMPORALITY_CUMULATIVE",
      "is_monotonic":true,"data_points":[{"time_unix_nano":1700000000123456789,"as_int":3,
      "attributes":[{"key":"k","value":{"bool_value":false}}]}]}},
    {"name":"lat","exponential_histogram":{"aggregation_temporality":2,"data_points":[{
      "time_unix_nano":"1700000000123456789","count":2,"zero_count":2,"zero_threshold":"0.5"}]}},
    {"name":"sz","histogram":{"aggregation_temporality":1,"data_points":[{
      "time_unix_nano":"1700000000123456789","count":2,"bucket_counts":[1,1],
      "explicit_bounds":[10]}]}},
    {"name":"q","summary":{"data_points":[{"time_unix_nano":"1700000000123456789",
      "quantile_values":[{"quantile":"1","value":"NaN"}]}]}}
  ]}]}]})";
  MetricBatch batch;
  OtlpResult result;
  Status st = decode_metrics_json(body, &batch, &result);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(result.rejected_data_points, 0u) << result.error_message;
  auto got = values(batch);
  std::vector<Label> s = {{"otel_scope_name", "s"}};
  auto with = [&](std::vector<Label> extra) {
    extra.insert(extra.end(), s.begin(), s.end());
    return extra;
  };
  // 1700000000123456789 as a JSON number is not exact in a double; simdjson reads it as an
  // integer, so the time survives.
  EXPECT_EQ(got[key("reqs_total", with({{"k", "false"}}))], 3);
  EXPECT_EQ(got[key("lat_bucket", with({{"le", "0.5"}}))], 2);
  EXPECT_EQ(got[key("lat_bucket", with({{"le", "+Inf"}}))], 2);
  EXPECT_EQ(got[key("sz_bucket", with({{"le", "10"}}))], 1);
  EXPECT_EQ(got[key("sz_bucket", with({{"le", "+Inf"}}))], 2);
  EXPECT_TRUE(std::isnan(got[key("q", with({{"quantile", "1"}}))]));
  for (const auto& series : batch.series) EXPECT_EQ(series.samples[0].t, kTimeMs);
}

TEST(OtlpMetricsJson, UnreadableScalarRejectsOnlyItsPoint) {
  std::string body = with_metric(R"({"name":"g","gauge":{"dataPoints":[
      {"timeUnixNano":"1700000000123456789","asDouble":1},
      {"timeUnixNano":"soon","asDouble":2},
      {"timeUnixNano":"1700000000123456789","asDouble":{}},
      {"timeUnixNano":-5,"asDouble":3},
      {"timeUnixNano":"1700000000123456789","asDouble":"Infinity","attributes":
        [{"key":"x","value":{"stringValue":"y"}}]}]}})");
  MetricBatch batch;
  OtlpResult result;
  Status st = decode_metrics_json(body, &batch, &result);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(result.rejected_data_points, 3u);
  ASSERT_EQ(batch.errors.size(), 3u);
  EXPECT_EQ(batch.errors[0].item,
            "resource_metrics[0].scope_metrics[0].metrics[0] \"g\" data_points[1]");
  EXPECT_EQ(batch.errors[0].message,
            "timeUnixNano must be a uint64 (decimal string or number), got string \"soon\"");
  EXPECT_NE(batch.errors[1].message.find("asDouble must be a double"), std::string::npos);
  EXPECT_EQ(batch.errors[1].item,
            "resource_metrics[0].scope_metrics[0].metrics[0] \"g\" data_points[2]");
  EXPECT_NE(batch.errors[2].message.find("got number"), std::string::npos);
  EXPECT_EQ(values(batch),
            (std::map<std::string, double>{{key("g"), 1}, {key("g", {{"x", "y"}}), INFINITY}}));
}

TEST(OtlpMetricsJson, NullsAndUnknownFieldsAreIgnored) {
  std::string body = with_metric(R"({"name":"g","unit":null,"metadata":[{"key":"a"}],
      "futureField":{"deep":[1,2,3]},"gauge":{"dataPoints":[
      {"timeUnixNano":"1700000000123456789","asInt":"-4","exemplars":[{"asDouble":1}],
       "flags":null,"attributes":null}]}})");
  MetricBatch batch;
  OtlpResult result;
  Status st = decode_metrics_json(body, &batch, &result);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(values(batch), (std::map<std::string, double>{{key("g"), -4}}));
}

TEST(OtlpMetricsJson, NoRecordedValueFlag) {
  std::string body = with_metric(R"({"name":"g","gauge":{"dataPoints":[
      {"timeUnixNano":"1700000000123456789","flags":1}]}})");
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_json(body, &batch, &result).ok());
  ASSERT_EQ(batch.series.size(), 1u);
  EXPECT_TRUE(storage::is_stale_nan(batch.series[0].samples[0].v));
}

TEST(OtlpMetricsJson, AttributeValueKinds) {
  std::string body = with_metric(R"({"name":"g","gauge":{"dataPoints":[
      {"timeUnixNano":"1700000000123456789","asInt":1,"attributes":[
        {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"},
           {"doubleValue":1.5},{"boolValue":true},{}]}}},
        {"key":"map","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},
        {"key":"raw","value":{"bytesValue":"AQID"}},
        {"key":"dbl","value":{"doubleValue":"NaN"}}]}]}})");
  MetricBatch batch;
  OtlpResult result;
  Status st = decode_metrics_json(body, &batch, &result);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(batch.series.size(), 1u);
  const Labels& l = batch.series[0].labels;
  EXPECT_EQ(l.get("arr"), R"(["a",2,1.5,true,null])");
  EXPECT_EQ(l.get("map"), R"({"k":"v"})");
  EXPECT_EQ(l.get("raw"), "AQID");
  EXPECT_EQ(l.get("dbl"), "NaN");
}

TEST(OtlpMetricsJson, MalformedPayloadKeepsNothing) {
  const char* cases[] = {
      "",
      "{",
      "[]",
      R"({"resourceMetrics":{}})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":5}]}]}]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":[]}]}]}]})",
      R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"a","value":{"intValue":"x"}}]}}]})",
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"s","sum":{"aggregationTemporality":"SOMETIMES"}}]}]}]})",
      R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"b","value":{"bytesValue":"***"}}]}}]})",
  };
  for (const char* c : cases) {
    MetricBatch batch;
    OtlpResult result;
    Status st = decode_metrics_json(c, &batch, &result);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c;
    EXPECT_TRUE(batch.series.empty()) << c;
    EXPECT_EQ(result.rejected_data_points, 0u) << c;
  }
  MetricBatch batch;
  OtlpResult result;
  Status st = decode_metrics_json(
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":{}}}]}]}]})",
      &batch, &result);
  EXPECT_EQ(st.message(),
            "malformed OTLP JSON at resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints:"
            " expected an array, got object");
}

TEST(OtlpMetricsJson, ResponseEncoding) {
  EXPECT_EQ(encode_metrics_response_json({}), "{}");
  OtlpResult r;
  r.rejected_data_points = 3;
  r.error_message = "bad \"points\"";
  EXPECT_EQ(encode_metrics_response_json(r),
            R"({"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"bad \"points\""}})");
  OtlpResult warn;
  warn.error_message = "w";
  EXPECT_EQ(encode_metrics_response_json(warn), R"({"partialSuccess":{"errorMessage":"w"}})");
}

}  // namespace
}  // namespace opsight::ingest::otlp

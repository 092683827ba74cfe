#include "ingest/otlp/otlp_metrics_pb.h"

#include <gtest/gtest.h>

#include <cmath>

#include "otlp_test_util.h"

namespace opsight::ingest::otlp {
namespace {

using namespace testpb;  // NOLINT
using testutil::kTimeMs;
using testutil::kTimeNs;
using testutil::values;

// One resource (service.name "svc") and an unnamed scope around `metrics`.
std::string simple_request(const std::vector<std::string>& metrics) {
  return request(
      {resource_metrics(resource({kv_str("service.name", "svc")}), {scope_metrics("", metrics)})});
}

PointOpts at(uint64_t ns, std::vector<std::string> attrs = {}) {
  PointOpts o;
  o.time_ns = ns;
  o.attrs = std::move(attrs);
  return o;
}

std::string key(std::string_view name, std::vector<Label> extra = {}) {
  extra.push_back({"job", "svc"});
  extra.push_back({"service", "svc"});
  extra.push_back({"__name__", std::string(name)});
  return Labels(std::move(extra)).to_string();
}

// Exemplar{filtered_attributes=7, time_unix_nano=2, as_double=3, span_id=4, trace_id=5}.
std::string exemplar(double v, uint64_t ns, std::string_view trace, std::string_view span,
                     std::vector<std::string> attrs = {}) {
  Writer w;
  for (const auto& a : attrs) w.message(7, a);
  if (ns) w.fixed64(2, ns);
  w.dbl(3, v);
  if (!span.empty()) w.bytes(4, span);
  if (!trace.empty()) w.bytes(5, trace);
  return w.take();
}

// Exemplars of a sum go with its series, those of a histogram with the bucket of their value.
TEST(OtlpMetricsPb, ExemplarsGoWithTheirSeriesAndBucket) {
  const std::string trace("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
  const std::string span("\xaa\xbb\xcc\xdd\xee\xff\x00\x11", 8);
  std::string sum_point = double_point(at(kTimeNs), 5);
  Writer sw;
  sw.message(5, exemplar(1, 0, trace, span, {kv_str("user", "u1")}));
  sum_point += sw.take();
  double hsum = 3.5;
  std::string hist_point = histogram_point(at(kTimeNs), 3, &hsum, {1, 1, 1}, {0.5, 1});
  Writer hw;
  hw.message(8, exemplar(0.75, kTimeNs - 1'000'000, trace, {}));  // 0.5 < v <= 1
  hw.message(8, exemplar(7, 0, {}, span));                        // the +Inf bucket
  hist_point += hw.take();
  std::string body = simple_request({metric("reqs", "", "", kSum, data({sum_point}, 2, 1)),
                                     metric("lat", "", "", kHistogram, data({hist_point}, 2))});
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(body, &batch, &result).ok());
  std::map<std::string, std::vector<storage::Exemplar>> by_series;
  for (const auto& s : batch.series) {
    if (!s.exemplars.empty()) by_series[s.labels.to_string()] = s.exemplars;
  }
  ASSERT_EQ(by_series.size(), 3u);
  const auto& sum_ex = by_series.at(key("reqs_total"));
  ASSERT_EQ(sum_ex.size(), 1u);
  EXPECT_EQ(sum_ex[0], (storage::Exemplar{Labels{{"span_id", "aabbccddeeff0011"},
                                                 {"trace_id", "0102030405060708090a0b0c0d0e0f10"},
                                                 {"user", "u1"}},
                                          1, kTimeMs}));
  const auto& b1 = by_series.at(key("lat_bucket", {{"le", "1"}}));
  ASSERT_EQ(b1.size(), 1u);
  EXPECT_EQ(b1[0].value, 0.75);
  EXPECT_EQ(b1[0].t, kTimeMs - 1);
  const auto& inf = by_series.at(key("lat_bucket", {{"le", "+Inf"}}));
  ASSERT_EQ(inf.size(), 1u);
  EXPECT_EQ(inf[0].labels, (Labels{{"span_id", "aabbccddeeff0011"}}));
}

TEST(OtlpMetricsPb, EveryTypeAndTemporality) {
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(testutil::full_request_pb(), &batch, &result).ok());
  EXPECT_EQ(result.rejected_data_points, 0u);
  EXPECT_EQ(result.error_message, "");
  testutil::expect_full_request(batch);
}

TEST(OtlpMetricsPb, EmptyBodyIsAnEmptyRequest) {
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf("", &batch, &result).ok());
  EXPECT_TRUE(batch.series.empty());
  EXPECT_EQ(result.rejected_data_points, 0u);
}

TEST(OtlpMetricsPb, PointsOfOneSeriesAreGrouped) {
  auto m = metric("queue.depth", "", "", kGauge,
                  data({double_point(at(kTimeNs), 1), double_point(at(kTimeNs + 1'000'000'000), 2),
                        double_point(at(kTimeNs, {kv_str("q", "a")}), 3)}));
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(simple_request({m}), &batch, &result).ok());
  ASSERT_EQ(batch.series.size(), 2u);
  EXPECT_EQ(batch.series[0].labels.to_string(), key("queue_depth"));
  ASSERT_EQ(batch.series[0].samples.size(), 2u);
  EXPECT_EQ(batch.series[0].samples[0].t, kTimeMs);
  EXPECT_EQ(batch.series[0].samples[1].t, kTimeMs + 1000);
  EXPECT_EQ(batch.series[0].samples[1].v, 2);
  EXPECT_EQ(batch.series[1].labels.to_string(), key("queue_depth", {{"q", "a"}}));
}

TEST(OtlpMetricsPb, NoRecordedValueBecomesStalenessMarker) {
  PointOpts stale = at(kTimeNs);
  stale.flags = 1;
  auto g = metric("temp", "", "Cel", kGauge, data({number_point(stale, nullptr, nullptr)}));
  auto h = metric("lat", "", "s", kHistogram,
                  data({histogram_point(stale, 0, nullptr, {}, {0.1, 1})}, 2));
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(simple_request({g, h}), &batch, &result).ok());
  EXPECT_EQ(result.rejected_data_points, 0u);
  std::vector<std::string> names;
  for (const auto& s : batch.series) {
    names.push_back(s.labels.to_string());
    ASSERT_EQ(s.samples.size(), 1u);
    EXPECT_TRUE(storage::is_stale_nan(s.samples[0].v)) << s.labels.to_string();
  }
  std::vector<std::string> want = {
      key("temp_celsius"),
      key("lat_seconds_bucket", {{"le", "0.1"}}),
      key("lat_seconds_bucket", {{"le", "1"}}),
      key("lat_seconds_bucket", {{"le", "+Inf"}}),
      key("lat_seconds_sum"),
      key("lat_seconds_count"),
  };
  EXPECT_EQ(names, want);
}

TEST(OtlpMetricsPb, InvalidPointsAreRejectedOneByOne) {
  std::vector<std::string> metrics = {
      // 0: second point has time 0, third has no value
      metric("ok.gauge", "", "", kGauge,
             data({double_point(at(kTimeNs), 1), double_point(at(0), 2),
                   number_point(at(kTimeNs + 1), nullptr, nullptr)})),
      // 1: bucket_counts length != explicit_bounds + 1
      metric("bad.hist", "", "", kHistogram,
             data({histogram_point(at(kTimeNs), 3, nullptr, {1, 2}, {1, 2})}, 2)),
      // 2: missing name (two points)
      metric("", "", "", kGauge,
             data({double_point(at(kTimeNs), 1), double_point(at(kTimeNs), 2)})),
      // 3: temporality unspecified
      metric("bad.sum", "", "", kSum, data({int_point(at(kTimeNs), 1)}, 0, 1)),
      // 4: bucket counts do not add up to count
      metric("bad.count", "", "", kHistogram,
             data({histogram_point(at(kTimeNs), 9, nullptr, {1, 2}, {1})}, 2)),
      // 5: bounds not increasing
      metric("bad.bounds", "", "", kHistogram,
             data({histogram_point(at(kTimeNs), 3, nullptr, {1, 1, 1}, {2, 1})}, 2)),
      // 6: quantile out of range
      metric("bad.summary", "", "", kSummary, data({summary_point(at(kTimeNs), 1, 1, {{1.5, 1}})})),
      // 7: exponential scale out of range
      metric("bad.exp", "", "", kExpHistogram,
             data({exp_histogram_point(at(kTimeNs), 1, 1, 40, 1, "", "")}, 2)),
  };
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(simple_request(metrics), &batch, &result).ok());
  EXPECT_EQ(result.rejected_data_points, 10u);
  ASSERT_EQ(batch.errors.size(), 10u);
  EXPECT_EQ(values(batch), (std::map<std::string, double>{{key("ok_gauge"), 1}}));

  const std::string p = "resource_metrics[0].scope_metrics[0].metrics";
  EXPECT_EQ(batch.errors[0].item, p + "[0] \"ok.gauge\" data_points[1]");
  EXPECT_NE(batch.errors[0].message.find("time_unix_nano is 0"), std::string::npos);
  EXPECT_EQ(batch.errors[1].item, p + "[0] \"ok.gauge\" data_points[2]");
  EXPECT_NE(batch.errors[1].message.find("no value"), std::string::npos);
  EXPECT_EQ(batch.errors[2].item, p + "[1] \"bad.hist\" data_points[0]");
  EXPECT_NE(batch.errors[2].message.find("bucket_counts has 2 entries but explicit_bounds has 2"),
            std::string::npos);
  EXPECT_EQ(batch.errors[3].item, p + "[2] \"\" data_points[0]");
  EXPECT_EQ(batch.errors[3].message, "metric name is empty");
  EXPECT_EQ(batch.errors[4].item, p + "[2] \"\" data_points[1]");
  EXPECT_NE(batch.errors[5].message.find("aggregation_temporality is 0"), std::string::npos);
  EXPECT_NE(batch.errors[6].message.find("sum of bucket_counts (3) differs from count (9)"),
            std::string::npos);
  EXPECT_NE(batch.errors[7].message.find("strictly increasing"), std::string::npos);
  EXPECT_NE(batch.errors[8].message.find("outside [0, 1]"), std::string::npos);
  EXPECT_NE(batch.errors[9].message.find("scale 40"), std::string::npos);
  // The summary names the first three and counts the rest.
  EXPECT_EQ(result.error_message.find(p + "[0] \"ok.gauge\" data_points[1]: time_unix_nano"), 0u);
  EXPECT_NE(result.error_message.find("(and 7 more)"), std::string::npos);
}

TEST(OtlpMetricsPb, LabelSanitisingCollisionsAndPrecedence) {
  auto res = resource({kv_str("service.name", "api"), kv_str("cloud.region", "eu-west-1"),
                       kv_str("team", "core"), kv_str("big", std::string(2000, 'x')),
                       kv_str("job", "ignored-by-job-label")});
  auto point = double_point(
      at(kTimeNs, {kv_str("a.b", "1"), kv_str("a_b", "2"), kv_str("0day", "z"),
                   kv_str("team", "edge"), kv_str("job", "from-point"), kv_str("__name__", "n"),
                   kv("flag", any_bool(true)), kv("ratio", any_double(0.5)), kv_str("empty", "")}),
      1);
  auto req = request({resource_metrics(
      res, {scope_metrics(scope("lib", ""), {metric("m", "", "", kGauge, data({point}))})})});
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(req, &batch, &result).ok());
  ASSERT_EQ(batch.series.size(), 1u);
  Labels want{{"__name__", "m"},
              {"a_b", "1;2"},
              {"key_0day", "z"},
              {"team", "edge"},
              {"job", "api"},
              {"service", "api"},
              {"_name_", "n"},
              {"flag", "true"},
              {"ratio", "0.5"},
              {"cloud_region", "eu-west-1"},
              {"otel_scope_name", "lib"}};
  EXPECT_EQ(batch.series[0].labels.to_string(), want.to_string());
}

TEST(OtlpMetricsPb, JobCombinesNamespaceAndName) {
  auto res = resource({kv_str("service.namespace", "shop"), kv_str("service.name", "cart"),
                       kv_str("service.instance.id", "pod-7")});
  auto req = request({resource_metrics(
      res,
      {scope_metrics("", {metric("up", "", "", kGauge, data({double_point(at(kTimeNs), 1)}))})})});
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(req, &batch, &result).ok());
  ASSERT_EQ(batch.series.size(), 1u);
  const Labels& l = batch.series[0].labels;
  EXPECT_EQ(l.get("job"), "shop/cart");
  EXPECT_EQ(l.get("instance"), "pod-7");
  EXPECT_EQ(l.get("service"), "cart");
  EXPECT_FALSE(l.has("service_name"));
  EXPECT_FALSE(l.has("service_namespace"));
}

TEST(OtlpMetricsPb, ExponentialHistogramScaleAndOverflow) {
  // scale 1: base = sqrt(2); bucket index 1 -> (sqrt2, 2], index 3 -> (2*sqrt2, 4].
  auto p1 = exp_histogram_point(at(kTimeNs), 3, 6, 1, 0, exp_buckets(1, {2, 0, 1}), "");
  // scale -10: base = 2^1024 overflows: every positive bucket folds into +Inf.
  auto p2 = exp_histogram_point(at(kTimeNs, {kv_str("k", "v")}), 2, 1e300, -10, 1,
                                exp_buckets(0, {1}), "", 0.001);
  auto m = metric("size", "", "By", kExpHistogram, data({p1, p2}, 2));
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(simple_request({m}), &batch, &result).ok());
  EXPECT_EQ(result.rejected_data_points, 0u);
  std::map<std::string, double> want = {
      {key("size_bytes_bucket", {{"le", "2"}}), 2},
      {key("size_bytes_bucket", {{"le", "4"}}), 3},
      {key("size_bytes_bucket", {{"le", "+Inf"}}), 3},
      {key("size_bytes_sum"), 6},
      {key("size_bytes_count"), 3},
      {key("size_bytes_bucket", {{"k", "v"}, {"le", "0.001"}}), 1},
      {key("size_bytes_bucket", {{"k", "v"}, {"le", "+Inf"}}), 2},
      {key("size_bytes_sum", {{"k", "v"}}), 1e300},
      {key("size_bytes_count", {{"k", "v"}}), 2},
  };
  // 2^(2/2) = 2 exactly, 2^(4/2) = 4 exactly.
  EXPECT_EQ(values(batch), want);
}

TEST(OtlpMetricsPb, UnpackedRepeatedAndUnknownFieldsAreAccepted) {
  // bucket_counts and explicit_bounds written one element per field (unpacked), plus unknown
  // fields at several levels and a deprecated int_gauge (4) that must be ignored.
  Writer p;
  p.fixed64(3, kTimeNs);
  p.fixed64(4, 3);
  p.fixed64(6, 1);
  p.fixed64(6, 2);
  p.dbl(7, 0.5);
  p.varint(99, 7);
  Writer h;
  h.message(1, p.str());
  h.varint(2, 2);
  h.bytes(77, "junk");
  Writer m;
  m.bytes(1, "u");
  m.message(4, "garbage-but-length-delimited");
  m.message(9, h.str());
  m.varint(12345, 1);
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(simple_request({m.str()}), &batch, &result).ok());
  EXPECT_EQ(values(batch), (std::map<std::string, double>{
                               {key("u_bucket", {{"le", "0.5"}}), 1},
                               {key("u_bucket", {{"le", "+Inf"}}), 3},
                               {key("u_count"), 3},
                           }));
}

TEST(OtlpMetricsPb, LaterOneofMemberWins) {
  Writer m;
  m.bytes(1, "x");
  m.message(5, data({double_point(at(kTimeNs), 1)}));
  m.message(7, data({int_point(at(kTimeNs), 2)}, 2, 1));
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(simple_request({m.str()}), &batch, &result).ok());
  EXPECT_EQ(values(batch), (std::map<std::string, double>{{key("x_total"), 2}}));
}

TEST(OtlpMetricsPb, MalformedPayloadKeepsNothing) {
  std::string good = testutil::full_request_pb();
  MetricBatch batch;
  batch.series.push_back({Labels{{"__name__", "pre"}}, {storage::Sample::value(1, 1)}, ""});
  OtlpResult result;
  // Truncated in the middle of a nested message.
  Status st = decode_metrics_protobuf(good.substr(0, good.size() - 7), &batch, &result);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.message();
  EXPECT_EQ(batch.series.size(), 1u);
  EXPECT_TRUE(batch.errors.empty());
  // A known field with the wrong wire type.
  Writer bad;
  bad.varint(1, 5);  // resource_metrics must be length-delimited
  st = decode_metrics_protobuf(bad.str(), &batch, &result);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("expected length-delimited"), std::string::npos) << st.message();
  // Deeply nested AnyValue arrays.
  std::string any = any_string("leaf");
  for (int i = 0; i < 100; i++) {
    Writer arr;
    arr.message(1, any);
    Writer v;
    v.message(5, arr.str());
    any = v.take();
  }
  auto m = metric("deep", "", "", kGauge, data({double_point(at(kTimeNs, {kv("a", any)}), 1)}));
  st = decode_metrics_protobuf(simple_request({m}), &batch, &result);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("nested deeper"), std::string::npos) << st.message();
  EXPECT_EQ(batch.series.size(), 1u);
}

TEST(OtlpMetricsPb, ResponseEncoding) {
  EXPECT_EQ(encode_metrics_response_protobuf({}), "");
  OtlpResult r;
  r.rejected_data_points = 3;
  r.error_message = "bad points";
  std::string enc = encode_metrics_response_protobuf(r);
  wire::pb::Reader outer(enc);
  ASSERT_TRUE(outer.next());
  EXPECT_EQ(outer.field(), 1u);
  wire::pb::Reader inner(outer.bytes());
  ASSERT_TRUE(inner.next());
  EXPECT_EQ(inner.field(), 1u);
  EXPECT_EQ(inner.int64(), 3);
  ASSERT_TRUE(inner.next());
  EXPECT_EQ(inner.field(), 2u);
  EXPECT_EQ(inner.bytes(), "bad points");
  EXPECT_FALSE(inner.next());
  EXPECT_TRUE(inner.ok());
  EXPECT_FALSE(outer.next());
}

}  // namespace
}  // namespace opsight::ingest::otlp

namespace opsight::ingest::otlp {
namespace {

TEST(OtlpMetricsPb, PointWithHugeLabelSetIsRejected) {
  using namespace testpb;  // NOLINT
  std::vector<std::string> attrs;
  for (int i = 0; i < 100; i++)
    attrs.push_back(kv_str("attr" + std::to_string(i), std::string(1000, 'v')));
  PointOpts o;
  o.time_ns = testutil::kTimeNs;
  auto ok_point = double_point(o, 1);
  auto req = request(
      {resource_metrics(resource(attrs),
                        {scope_metrics("", {metric("m", "", "", kGauge, data({ok_point}))})}),
       resource_metrics(resource({}),
                        {scope_metrics("", {metric("m", "", "", kGauge, data({ok_point}))})})});
  MetricBatch batch;
  OtlpResult result;
  ASSERT_TRUE(decode_metrics_protobuf(req, &batch, &result).ok());
  EXPECT_EQ(result.rejected_data_points, 1u);
  ASSERT_EQ(batch.errors.size(), 1u);
  EXPECT_NE(batch.errors[0].message.find("bytes > limit 65536"), std::string::npos)
      << batch.errors[0].message;
  ASSERT_EQ(batch.series.size(), 1u);
  EXPECT_EQ(batch.series[0].labels.to_string(), "m{}");
}

}  // namespace
}  // namespace opsight::ingest::otlp

#pragma once
// Builders for OTLP metrics payloads in protobuf (with wire::pb::Writer) and helpers to compare
// a decoded MetricBatch, shared by the otlp_*_test.cc files.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/coding.h"
#include "ingest/metric_batch.h"
#include "storage/sample.h"
#include "wire/protobuf.h"

namespace opsight::ingest::otlp::testpb {

using wire::pb::Writer;

inline std::string any_string(std::string_view v) {
  Writer w;
  w.bytes(1, v);
  return w.take();
}
inline std::string any_int(int64_t v) {
  Writer w;
  w.varint(3, static_cast<uint64_t>(v));
  return w.take();
}
inline std::string any_double(double v) {
  Writer w;
  w.dbl(4, v);
  return w.take();
}
inline std::string any_bool(bool v) {
  Writer w;
  w.varint(2, v ? 1 : 0);
  return w.take();
}
inline std::string kv(std::string_view key, const std::string& any) {
  Writer w;
  w.bytes(1, key);
  w.message(2, any);
  return w.take();
}
inline std::string kv_str(std::string_view key, std::string_view v) {
  return kv(key, any_string(v));
}

inline std::string resource(const std::vector<std::string>& attrs) {
  Writer w;
  for (const auto& a : attrs) w.message(1, a);
  return w.take();
}
inline std::string scope(std::string_view name, std::string_view version) {
  Writer w;
  w.bytes(1, name);
  w.bytes(2, version);
  return w.take();
}

struct PointOpts {
  std::vector<std::string> attrs;
  uint64_t time_ns = 0;
  uint64_t start_ns = 0;
  uint32_t flags = 0;
};

// NumberDataPoint: attributes=7, start=2, time=3, as_double=4, as_int=6, flags=8.
inline std::string number_point(const PointOpts& o, const double* d, const int64_t* i) {
  Writer w;
  for (const auto& a : o.attrs) w.message(7, a);
  if (o.start_ns) w.fixed64(2, o.start_ns);
  w.fixed64(3, o.time_ns);
  if (d) w.dbl(4, *d);
  if (i) w.fixed64(6, static_cast<uint64_t>(*i));
  if (o.flags) w.varint(8, o.flags);
  return w.take();
}
inline std::string double_point(const PointOpts& o, double v) {
  return number_point(o, &v, nullptr);
}
inline std::string int_point(const PointOpts& o, int64_t v) {
  return number_point(o, nullptr, &v);
}

inline std::string packed_fixed64(const std::vector<uint64_t>& v) {
  std::string s;
  for (uint64_t x : v) put_fixed64(s, x);
  return s;
}
inline std::string packed_doubles(const std::vector<double>& v) {
  std::string s;
  for (double x : v) {
    uint64_t b;
    std::memcpy(&b, &x, 8);
    put_fixed64(s, b);
  }
  return s;
}
inline std::string packed_varints(const std::vector<uint64_t>& v) {
  std::string s;
  for (uint64_t x : v) put_varint64(s, x);
  return s;
}

// HistogramDataPoint: attributes=9, time=3, count=4, sum=5, bucket_counts=6, bounds=7, flags=10.
inline std::string histogram_point(const PointOpts& o, uint64_t count, const double* sum,
                                   const std::vector<uint64_t>& counts,
                                   const std::vector<double>& bounds) {
  Writer w;
  for (const auto& a : o.attrs) w.message(9, a);
  w.fixed64(3, o.time_ns);
  w.fixed64(4, count);
  if (sum) w.dbl(5, *sum);
  if (!counts.empty()) w.bytes(6, packed_fixed64(counts));
  if (!bounds.empty()) w.bytes(7, packed_doubles(bounds));
  if (o.flags) w.varint(10, o.flags);
  return w.take();
}

inline std::string exp_buckets(int32_t offset, const std::vector<uint64_t>& counts) {
  Writer w;
  w.sint64(1, offset);
  w.bytes(2, packed_varints(counts));
  return w.take();
}

// ExponentialHistogramDataPoint: attributes=1, time=3, count=4, sum=5, scale=6, zero_count=7,
// positive=8, negative=9, flags=10, zero_threshold=14.
inline std::string exp_histogram_point(const PointOpts& o, uint64_t count, double sum,
                                       int32_t scale, uint64_t zero_count,
                                       const std::string& positive, const std::string& negative,
                                       double zero_threshold = 0) {
  Writer w;
  for (const auto& a : o.attrs) w.message(1, a);
  w.fixed64(3, o.time_ns);
  w.fixed64(4, count);
  w.dbl(5, sum);
  w.sint64(6, scale);
  w.fixed64(7, zero_count);
  if (!positive.empty()) w.message(8, positive);
  if (!negative.empty()) w.message(9, negative);
  if (o.flags) w.varint(10, o.flags);
  if (zero_threshold != 0) w.dbl(14, zero_threshold);
  return w.take();
}

// SummaryDataPoint: attributes=7, time=3, count=4, sum=5, quantile_values=6, flags=8.
inline std::string summary_point(const PointOpts& o, uint64_t count, double sum,
                                 const std::vector<std::pair<double, double>>& qs) {
  Writer w;
  for (const auto& a : o.attrs) w.message(7, a);
  w.fixed64(3, o.time_ns);
  w.fixed64(4, count);
  w.dbl(5, sum);
  for (const auto& [q, v] : qs) {
    Writer qw;
    qw.dbl(1, q);
    qw.dbl(2, v);
    w.message(6, qw.str());
  }
  if (o.flags) w.varint(8, o.flags);
  return w.take();
}

// Gauge{data_points=1}; Sum/Histogram/ExponentialHistogram add aggregation_temporality=2 and
// Sum is_monotonic=3 (temporality < 0: not written).
inline std::string data(const std::vector<std::string>& points, int temporality = -1,
                        int monotonic = -1) {
  Writer w;
  for (const auto& p : points) w.message(1, p);
  if (temporality >= 0) w.varint(2, static_cast<uint64_t>(temporality));
  if (monotonic >= 0) w.varint(3, static_cast<uint64_t>(monotonic));
  return w.take();
}

enum DataField : uint32_t {
  kGauge = 5,
  kSum = 7,
  kHistogram = 9,
  kExpHistogram = 10,
  kSummary = 11,
};

inline std::string metric(std::string_view name, std::string_view description,
                          std::string_view unit, DataField field, const std::string& body) {
  Writer w;
  if (!name.empty()) w.bytes(1, name);
  if (!description.empty()) w.bytes(2, description);
  if (!unit.empty()) w.bytes(3, unit);
  w.message(field, body);
  return w.take();
}

inline std::string scope_metrics(const std::string& scope_msg,
                                 const std::vector<std::string>& metrics) {
  Writer w;
  if (!scope_msg.empty()) w.message(1, scope_msg);
  for (const auto& m : metrics) w.message(2, m);
  return w.take();
}

inline std::string resource_metrics(const std::string& resource_msg,
                                    const std::vector<std::string>& scope_metrics_msgs) {
  Writer w;
  if (!resource_msg.empty()) w.message(1, resource_msg);
  for (const auto& s : scope_metrics_msgs) w.message(2, s);
  return w.take();
}

inline std::string request(const std::vector<std::string>& rms) {
  Writer w;
  for (const auto& r : rms) w.message(1, r);
  return w.take();
}

}  // namespace opsight::ingest::otlp::testpb

namespace opsight::ingest::otlp::testutil {

// "name{a=\"b\"}" -> samples, for exact comparisons.
inline std::map<std::string, std::vector<storage::Sample>> series_map(const MetricBatch& b) {
  std::map<std::string, std::vector<storage::Sample>> m;
  for (const auto& s : b.series) {
    auto& v = m[s.labels.to_string()];
    v.insert(v.end(), s.samples.begin(), s.samples.end());
  }
  return m;
}

// "name{...}" -> value of the single sample (NaN payloads compare by bits in tests that need it).
inline std::map<std::string, double> values(const MetricBatch& b) {
  std::map<std::string, double> m;
  for (const auto& s : b.series) {
    for (const auto& x : s.samples) m[s.labels.to_string()] = x.v;
  }
  return m;
}

}  // namespace opsight::ingest::otlp::testutil

// A request with one metric of every type and temporality, in both encodings, and what it must
// map to. Shared by the protobuf and the JSON tests so both decoders are held to one answer.
namespace opsight::ingest::otlp::testutil {

inline constexpr uint64_t kTimeNs = 1700000000123456789ull;
inline constexpr int64_t kTimeMs = 1700000000123;

inline std::string full_request_pb() {
  using namespace testpb;
  PointOpts o;
  o.time_ns = kTimeNs;
  o.start_ns = kTimeNs - 60'000'000'000ull;
  std::string res =
      resource({kv_str("service.name", "checkout"), kv_str("service.namespace", "shop"),
                kv_str("service.instance.id", "i-1"), kv_str("host.name", "h1"),
                kv_str("deployment.environment", "prod"), kv("process.pid", any_int(4242))});
  PointOpts cpu = o;
  cpu.attrs = {kv_str("cpu", "0"), kv_str("state", "user")};
  PointOpts req = o;
  req.attrs = {kv_str("http.method", "GET"), kv("http.status_code", any_int(200))};
  double sum = 0.1;
  std::vector<std::string> metrics = {
      metric("system.cpu.utilization", "CPU", "1", kGauge, data({double_point(cpu, 0.25)})),
      metric("http.server.requests", "", "{request}", kSum, data({int_point(req, 42)}, 2, 1)),
      metric("process.threads", "", "{thread}", kSum, data({int_point(o, 7)}, 2, 0)),
      metric("jobs.processed", "", "", kSum, data({int_point(o, 5)}, 1, 1)),
      metric("http.server.duration", "", "s", kHistogram,
             data({histogram_point(o, 6, &sum, {1, 2, 3}, {0.005, 0.01})}, 2)),
      metric("rpc.latency", "", "ms", kExpHistogram,
             data({exp_histogram_point(o, 7, 12.5, 0, 1, exp_buckets(0, {1, 0, 2}),
                                       exp_buckets(1, {3}))},
                  2)),
      metric("gc.pause", "", "s", kSummary,
             data({summary_point(o, 10, 1.5, {{0.5, 0.01}, {0.99, 0.2}})})),
  };
  return request(
      {resource_metrics(res, {scope_metrics(scope("io.opsight.test", "1.2.3"), metrics)})});
}

inline constexpr std::string_view kFullRequestJson = R"({
  "resourceMetrics": [{
    "resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "checkout"}},
      {"key": "service.namespace", "value": {"stringValue": "shop"}},
      {"key": "service.instance.id", "value": {"stringValue": "i-1"}},
      {"key": "host.name", "value": {"stringValue": "h1"}},
      {"key": "deployment.environment", "value": {"stringValue": "prod"}},
      {"key": "process.pid", "value": {"intValue": "4242"}}]},
    "scopeMetrics": [{
      "scope": {"name": "io.opsight.test", "version": "1.2.3"},
      "metrics": [
        {"name": "system.cpu.utilization", "description": "CPU", "unit": "1",
         "gauge": {"dataPoints": [{"attributes": [
             {"key": "cpu", "value": {"stringValue": "0"}},
             {"key": "state", "value": {"stringValue": "user"}}],
           "startTimeUnixNano": "1699999940123456789",
           "timeUnixNano": "1700000000123456789", "asDouble": 0.25}]}},
        {"name": "http.server.requests", "unit": "{request}",
         "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [{"attributes": [
             {"key": "http.method", "value": {"stringValue": "GET"}},
             {"key": "http.status_code", "value": {"intValue": 200}}],
           "timeUnixNano": "1700000000123456789", "asInt": "42"}]}},
        {"name": "process.threads", "unit": "{thread}",
         "sum": {"aggregationTemporality": 2, "isMonotonic": false,
           "dataPoints": [{"timeUnixNano": "1700000000123456789", "asInt": 7}]}},
        {"name": "jobs.processed",
         "sum": {"aggregationTemporality": 1, "isMonotonic": true,
           "dataPoints": [{"timeUnixNano": "1700000000123456789", "asInt": "5"}]}},
        {"name": "http.server.duration", "unit": "s",
         "histogram": {"aggregationTemporality": 2, "dataPoints": [{
           "timeUnixNano": "1700000000123456789", "count": "6", "sum": 0.1,
           "bucketCounts": ["1", "2", "3"], "explicitBounds": [0.005, 0.01]}]}},
        {"name": "rpc.latency", "unit": "ms",
         "exponentialHistogram": {"aggregationTemporality": 2, "dataPoints": [{
           "timeUnixNano": "1700000000123456789", "count": "7", "sum": 12.5, "scale": 0,
           "zeroCount": "1", "positive": {"offset": 0, "bucketCounts": ["1", "0", "2"]},
           "negative": {"offset": 1, "bucketCounts": ["3"]}}]}},
        {"name": "gc.pause", "unit": "s",
         "summary": {"dataPoints": [{
           "timeUnixNano": "1700000000123456789", "count": "10", "sum": 1.5,
           "quantileValues": [{"quantile": 0.5, "value": 0.01}, {"quantile": 0.99, "value": 0.2}]}]}}
      ]}]}]})";

// The resource + scope labels of full_request_*, plus `extra`, plus the metric name.
inline std::string full_key(std::string_view name, std::vector<Label> extra = {}) {
  std::vector<Label> l = {{"deployment_environment", "prod"},
                          {"host_name", "h1"},
                          {"process_pid", "4242"},
                          {"instance", "i-1"},
                          {"job", "shop/checkout"},
                          {"service", "checkout"},
                          {"otel_scope_name", "io.opsight.test"},
                          {"otel_scope_version", "1.2.3"},
                          {"__name__", std::string(name)}};
  l.insert(l.end(), extra.begin(), extra.end());
  return Labels(std::move(l)).to_string();
}

inline void expect_full_request(const MetricBatch& b) {
  EXPECT_TRUE(b.errors.empty()) << b.errors[0].item << ": " << b.errors[0].message;
  std::map<std::string, double> want = {
      {full_key("system_cpu_utilization_ratio", {{"cpu", "0"}, {"state", "user"}}), 0.25},
      {full_key("http_server_requests_total",
                {{"http_method", "GET"}, {"http_status_code", "200"}}),
       42},
      {full_key("process_threads"), 7},
      {full_key("jobs_processed"), 5},
      {full_key("http_server_duration_seconds_bucket", {{"le", "0.005"}}), 1},
      {full_key("http_server_duration_seconds_bucket", {{"le", "0.01"}}), 3},
      {full_key("http_server_duration_seconds_bucket", {{"le", "+Inf"}}), 6},
      {full_key("http_server_duration_seconds_sum"), 0.1},
      {full_key("http_server_duration_seconds_count"), 6},
      {full_key("rpc_latency_milliseconds_bucket", {{"le", "-2"}}), 3},
      {full_key("rpc_latency_milliseconds_bucket", {{"le", "0"}}), 4},
      {full_key("rpc_latency_milliseconds_bucket", {{"le", "2"}}), 5},
      {full_key("rpc_latency_milliseconds_bucket", {{"le", "8"}}), 7},
      {full_key("rpc_latency_milliseconds_bucket", {{"le", "+Inf"}}), 7},
      {full_key("rpc_latency_milliseconds_sum"), 12.5},
      {full_key("rpc_latency_milliseconds_count"), 7},
      {full_key("gc_pause_seconds", {{"quantile", "0.5"}}), 0.01},
      {full_key("gc_pause_seconds", {{"quantile", "0.99"}}), 0.2},
      {full_key("gc_pause_seconds_sum"), 1.5},
      {full_key("gc_pause_seconds_count"), 10},
  };
  EXPECT_EQ(values(b), want);
  for (const auto& s : b.series) {
    ASSERT_EQ(s.samples.size(), 1u) << s.labels.to_string();
    EXPECT_EQ(s.samples[0].t, kTimeMs) << s.labels.to_string();
    EXPECT_FALSE(s.samples[0].is_stats);
  }
  std::map<std::string, storage::MetricMetadata> meta;
  for (const auto& m : b.metadata) meta[m.metric] = m.meta;
  std::map<std::string, storage::MetricMetadata> want_meta = {
      {"system_cpu_utilization_ratio", {"gauge", "CPU", "ratio"}},
      {"http_server_requests_total", {"counter", "", ""}},
      {"process_threads", {"gauge", "", ""}},
      {"jobs_processed", {"gauge", "", ""}},
      {"http_server_duration_seconds", {"histogram", "", "seconds"}},
      {"rpc_latency_milliseconds", {"histogram", "", "milliseconds"}},
      {"gc_pause_seconds", {"summary", "", "seconds"}},
  };
  EXPECT_EQ(meta, want_meta);
}

}  // namespace opsight::ingest::otlp::testutil

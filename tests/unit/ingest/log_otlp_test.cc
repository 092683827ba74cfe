#include <gtest/gtest.h>

// Rec{} literals name only the fields a test sets.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "ingest/logs/otlp_logs_json.h"
#include "ingest/logs/otlp_logs_pb.h"
#include "wire/protobuf.h"

namespace opsight::ingest::logs {
namespace {

using wire::pb::Writer;

constexpr int64_t kNow = 1'700'000'000'000;

std::string any_str(std::string_view v) {
  Writer w;
  w.bytes(1, v);
  return w.take();
}
std::string any_int(int64_t v) {
  Writer w;
  w.varint(3, static_cast<uint64_t>(v));
  return w.take();
}
std::string kv(std::string_view key, const std::string& any) {
  Writer w;
  w.bytes(1, key);
  w.message(2, any);
  return w.take();
}
std::string kvlist(const std::vector<std::string>& kvs) {
  Writer l;
  for (const auto& k : kvs) l.message(1, k);
  Writer w;
  w.message(6, l.str());
  return w.take();
}

struct Rec {
  uint64_t time = 0, observed = 0;
  int32_t sev = 0;
  std::string sev_text, body, trace, span, event_name;
  std::vector<std::string> attrs;
};

std::string record(const Rec& r) {
  Writer w;
  if (r.time) w.fixed64(1, r.time);
  if (r.sev) w.varint(2, static_cast<uint64_t>(r.sev));
  if (!r.sev_text.empty()) w.bytes(3, r.sev_text);
  if (!r.body.empty()) w.message(5, r.body);
  for (const auto& a : r.attrs) w.message(6, a);
  w.fixed32(8, 1);
  if (!r.trace.empty()) w.bytes(9, r.trace);
  if (!r.span.empty()) w.bytes(10, r.span);
  if (r.observed) w.fixed64(11, r.observed);
  if (!r.event_name.empty()) w.bytes(12, r.event_name);
  return w.take();
}

std::string request(const std::vector<std::string>& resource_attrs,
                    const std::vector<std::string>& records) {
  Writer res;
  for (const auto& a : resource_attrs) res.message(1, a);
  Writer scope;
  scope.bytes(1, "lib");
  Writer sl;
  sl.message(1, scope.str());
  for (const auto& r : records) sl.message(2, r);
  Writer rl;
  rl.message(1, res.str());
  rl.message(2, sl.str());
  Writer req;
  req.message(1, rl.str());
  return req.take();
}

const std::string kTrace("\x5b\x8e\xff\x79\x8a\x2d\x9a\x3e\xaa\x2e\xf6\xb1\x3b\x1f\xa3\x21", 16);
const std::string kSpan("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x74", 8);

TEST(OtlpLogsTest, ProtobufRecordMapsToEvent) {
  std::string body =
      request({kv("service.name", any_str("checkout")), kv("host.name", any_str("web-1"))},
              {record({.time = 1'700'000'000'123'456'789,
                       .sev = 17,
                       .body = any_str("payment failed"),
                       .trace = kTrace,
                       .span = kSpan,
                       .event_name = "pay",
                       .attrs = {kv("user", any_str("u1")), kv("retries", any_int(3))}})});
  LogBatch out;
  OtlpLogsResult res;
  ASSERT_TRUE(decode_logs_protobuf(body, kNow, LogLimits{}, &out, &res).ok());
  EXPECT_EQ(res.rejected_log_records, 0u);
  EXPECT_EQ(encode_logs_response_protobuf(res), "");
  ASSERT_EQ(out.streams.size(), 1u);
  EXPECT_EQ(out.streams[0].group, "/otel/checkout");
  EXPECT_EQ(out.streams[0].stream, "web-1");
  ASSERT_EQ(out.streams[0].events.size(), 1u);
  const auto& e = out.streams[0].events[0];
  EXPECT_EQ(e.timestamp_ms, 1'700'000'000'123);
  EXPECT_EQ(e.message, "payment failed");
  EXPECT_EQ(e.severity_number, 17);
  EXPECT_EQ(e.severity_text, "ERROR");
  EXPECT_EQ(e.trace_id, "5b8eff798a2d9a3eaa2ef6b13b1fa321");
  EXPECT_EQ(e.span_id, "eee19b7ec3c1b174");
  EXPECT_EQ(e.attributes, (std::vector<storage::LogAttribute>{
                              {"user", "u1"}, {"retries", "3"}, {"event.name", "pay"}}));
}

TEST(OtlpLogsTest, BodyKindsObservedTimeAndDefaults) {
  std::string body = request({}, {record({.observed = 5'000'000'000,
                                          .sev_text = "warn",
                                          .body = kvlist({kv("a", any_int(1))})}),
                                  record({.body = any_int(42)}), record({})});
  LogBatch out;
  OtlpLogsResult res;
  ASSERT_TRUE(decode_logs_protobuf(body, kNow, LogLimits{}, &out, &res).ok());
  ASSERT_EQ(out.streams.size(), 1u);
  EXPECT_EQ(out.streams[0].group, "/otel/unknown_service");
  EXPECT_EQ(out.streams[0].stream, "default");
  const auto& ev = out.streams[0].events;
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].message, R"({"a":1})");
  EXPECT_EQ(ev[0].timestamp_ms, 5000);
  EXPECT_EQ(ev[0].severity_text, "warn");
  EXPECT_EQ(ev[1].message, "42");
  EXPECT_EQ(ev[2].timestamp_ms, kNow);
  EXPECT_EQ(ev[2].message, "");
}

TEST(OtlpLogsTest, GroupAndStreamFromAwsAttributes) {
  otlp::Resource r;
  r.attributes.push_back({"aws.log.group.names", otlp::string_value("/aws/app&/aws/other")});
  r.attributes.push_back({"service.instance.id", otlp::string_value("pod-7")});
  EXPECT_EQ(otlp_log_group(r), "/aws/app");
  EXPECT_EQ(otlp_log_stream(r), "pod-7");
  otlp::Resource arr;
  otlp::AnyValue names;
  names.type = otlp::AnyValue::Type::kArray;
  names.array = {otlp::string_value("/first"), otlp::string_value("/second")};
  arr.attributes.push_back({"aws.log.group.names", names});
  arr.attributes.push_back({"aws.log.stream.names", otlp::string_value("s1")});
  EXPECT_EQ(otlp_log_group(arr), "/first");
  EXPECT_EQ(otlp_log_stream(arr), "s1");
}

TEST(OtlpLogsTest, BadRecordsAreRejectedAndGoodOnesKept) {
  LogLimits limits;
  limits.max_message_bytes = 10;
  std::string body =
      request({kv("service.name", any_str("svc"))},
              {record({.body = any_str("ok")}), record({.body = any_str("x"), .trace = "abc"}),
               record({.body = any_str("much too long")}), record({.sev = 30}),
               record({.body = any_str("ok2"), .span = kSpan})});
  LogBatch out;
  OtlpLogsResult res;
  ASSERT_TRUE(decode_logs_protobuf(body, kNow, limits, &out, &res).ok());
  EXPECT_EQ(out.event_count(), 2u);
  EXPECT_EQ(res.rejected_log_records, 3u);
  ASSERT_EQ(out.errors.size(), 3u);
  EXPECT_EQ(out.errors[0].item, "resource_logs[0].scope_logs[0].log_records[1]");
  EXPECT_EQ(out.errors[0].message, "trace_id must be 16 bytes (got 3)");
  EXPECT_EQ(out.errors[1].message,
            "message is 13 bytes: at most 10 are allowed (limits.max_message_bytes)");
  EXPECT_EQ(out.errors[2].message, "severity_number 30 is outside 0..24");
  EXPECT_EQ(res.error_message,
            "3 log record(s) rejected: resource_logs[0].scope_logs[0].log_records[1]: trace_id "
            "must be 16 bytes (got 3); resource_logs[0].scope_logs[0].log_records[2]: message is "
            "13 bytes: at most 10 are allowed (limits.max_message_bytes); "
            "resource_logs[0].scope_logs[0].log_records[3]: severity_number 30 is outside 0..24");
  std::string resp = encode_logs_response_protobuf(res);
  wire::pb::Reader r(resp);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(), 1u);
}

TEST(OtlpLogsTest, MalformedProtobufFailsTheRequest) {
  LogBatch out;
  OtlpLogsResult res;
  std::string body = request({}, {record({.body = any_str("ok")})});
  body.resize(body.size() - 2);
  Status st = decode_logs_protobuf(body, kNow, LogLimits{}, &out, &res);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_TRUE(out.streams.empty());
  LogLimits small;
  small.max_request_bytes = 4;
  st = decode_logs_protobuf(request({}, {}), kNow, small, &out, &res);
  EXPECT_EQ(st.message(),
            "request body is 13 bytes: at most 4 are allowed (limits.max_request_bytes)");
}

TEST(OtlpLogsTest, JsonRequestMapsLikeProtobuf) {
  std::string body = R"({"resourceLogs":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"api"}},
      {"key":"host.name","value":{"stringValue":"h1"}}]},
    "scopeLogs":[{"scope":{"name":"lib"},"logRecords":[
      {"timeUnixNano":"1700000000123456789","severityNumber":"SEVERITY_NUMBER_WARN",
       "body":{"stringValue":"slow"},"traceId":"5B8EFF798A2D9A3EAA2EF6B13B1FA321",
       "spanId":"eee19b7ec3c1b174","attributes":[{"key":"ms","value":{"doubleValue":1.5}}]},
      {"time_unix_nano":1700000000000000000,"severity_text":"INFO","body":{"kvlistValue":
       {"values":[{"key":"k","value":{"boolValue":true}}]}}},
      {"timeUnixNano":"soon","body":{"stringValue":"bad time"}},
      {"traceId":"xyz","body":{"stringValue":"bad trace"}}]}]}]})";
  LogBatch out;
  OtlpLogsResult res;
  ASSERT_TRUE(decode_logs_json(body, kNow, LogLimits{}, &out, &res).ok());
  ASSERT_EQ(out.streams.size(), 1u);
  EXPECT_EQ(out.streams[0].group, "/otel/api");
  EXPECT_EQ(out.streams[0].stream, "h1");
  const auto& ev = out.streams[0].events;
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].timestamp_ms, 1'700'000'000'123);
  EXPECT_EQ(ev[0].severity_number, 13);
  EXPECT_EQ(ev[0].severity_text, "WARN");
  EXPECT_EQ(ev[0].trace_id, "5b8eff798a2d9a3eaa2ef6b13b1fa321");
  EXPECT_EQ(ev[0].span_id, "eee19b7ec3c1b174");
  EXPECT_EQ(ev[0].attributes, (std::vector<storage::LogAttribute>{{"ms", "1.5"}}));
  EXPECT_EQ(ev[1].message, R"({"k":true})");
  EXPECT_EQ(ev[1].severity_text, "INFO");
  EXPECT_EQ(res.rejected_log_records, 2u);
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].message, "timeUnixNano: expected a uint64, got string");
  EXPECT_EQ(out.errors[1].message, "traceId must be 32 hex digits (got \"xyz\")");
  EXPECT_EQ(encode_logs_response_json(res).substr(0, 54),
            R"({"partialSuccess":{"rejectedLogRecords":"2","errorMess)");
  EXPECT_EQ(encode_logs_response_json(OtlpLogsResult{}), "{}");
}

TEST(OtlpLogsTest, MalformedJsonFailsTheRequest) {
  LogBatch out;
  OtlpLogsResult res;
  Status st = decode_logs_json(R"({"resourceLogs":{}})", kNow, LogLimits{}, &out, &res);
  EXPECT_EQ(st.message(), "malformed OTLP JSON at resourceLogs: expected an array, got object");
  st = decode_logs_json(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":5}]}]}]})",
                        kNow, LogLimits{}, &out, &res);
  EXPECT_EQ(st.message(),
            "malformed OTLP JSON at resourceLogs[0].scopeLogs[0].logRecords[0].attributes: "
            "expected an array, got number");
  EXPECT_TRUE(out.streams.empty());
}

TEST(OtlpLogsTest, RecordsBeyondTheEventLimitAreRejected) {
  LogLimits limits;
  limits.max_events_per_request = 1;
  std::string body = request({}, {record({.body = any_str("a")}), record({.body = any_str("b")})});
  LogBatch out;
  OtlpLogsResult res;
  ASSERT_TRUE(decode_logs_protobuf(body, kNow, limits, &out, &res).ok());
  EXPECT_EQ(out.event_count(), 1u);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].message,
            "more than 1 log records in one request (limits.max_events_per_request)");
}

}  // namespace
}  // namespace opsight::ingest::logs

// Tests of the OTLP traces decoders (protobuf and JSON) and their mapping onto storage::Span:
// every field, ids, enums by number and name, partial success for bad spans, limits.
#include <gtest/gtest.h>

#include "ingest/traces/otlp_traces_json.h"
#include "ingest/traces/otlp_traces_pb.h"
#include "otlp_test_util.h"

namespace opsight::ingest::traces {
namespace {

using otlp::testpb::kv;
using otlp::testpb::kv_str;
using wire::pb::Writer;

std::string bytes_of(std::string_view hex) {
  std::string out;
  EXPECT_TRUE(otlp::hex_decode(hex, &out));
  return out;
}

const std::string kTrace = "5b8efff798038103d269b633813fc60c";
const std::string kSpan = "eee19b7ec3c1b174";
const std::string kParent = "eee19b7ec3c1b173";

struct PbSpan {
  std::string trace = bytes_of(kTrace), span = bytes_of(kSpan), parent = bytes_of(kParent);
  std::string name = "GET /api/cart";
  uint64_t kind = 2;
  uint64_t start = 1'700'000'000'000'000'000, end = 1'700'000'000'250'000'000;
  bool with_extras = true;
};

std::string pb_span(const PbSpan& p) {
  Writer s;
  s.bytes(1, p.trace);
  s.bytes(2, p.span);
  s.bytes(3, "congo=t61rcWkgMzE");
  if (!p.parent.empty()) s.bytes(4, p.parent);
  s.bytes(5, p.name);
  s.varint(6, p.kind);
  s.fixed64(7, p.start);
  s.fixed64(8, p.end);
  s.message(9, kv_str("http.request.method", "GET"));
  s.message(9, kv("http.response.status_code", otlp::testpb::any_int(200)));
  s.message(9, kv("cache.hit", otlp::testpb::any_bool(true)));
  s.message(9, kv("ratio", otlp::testpb::any_double(0.5)));
  s.varint(10, 1);
  if (p.with_extras) {
    Writer ev;
    ev.fixed64(1, p.start + 1000);
    ev.bytes(2, "exception");
    ev.message(3, kv_str("exception.type", "IOError"));
    ev.varint(4, 2);
    s.message(11, ev.str());
    s.varint(12, 3);
    Writer link;
    link.bytes(1, bytes_of("0af7651916cd43dd8448eb211c80319c"));
    link.bytes(2, bytes_of("b7ad6b7169203331"));
    link.bytes(3, "k=v");
    link.message(4, kv_str("link.reason", "batch"));
    link.varint(5, 1);
    link.fixed32(6, 0x101);
    s.message(13, link.str());
    s.varint(14, 4);
  }
  Writer status;
  status.bytes(2, "upstream failed");
  status.varint(3, 2);
  s.message(15, status.str());
  s.fixed32(16, 0x301);
  return s.take();
}

std::string pb_request(const std::vector<std::string>& spans, std::string_view service = "cart") {
  Writer scope_spans;
  scope_spans.message(1, otlp::testpb::scope("io.opentelemetry.http", "1.2.3"));
  for (const auto& s : spans) scope_spans.message(2, s);
  Writer rs;
  std::vector<std::string> attrs = {kv_str("host.name", "web-1")};
  if (!service.empty()) attrs.push_back(kv_str("service.name", service));
  rs.message(1, otlp::testpb::resource(attrs));
  rs.message(2, scope_spans.str());
  Writer req;
  req.message(1, rs.str());
  return req.take();
}

void expect_full_span(const storage::Span& s) {
  EXPECT_EQ(otlp::hex_encode(s.trace_id), kTrace);
  EXPECT_EQ(otlp::hex_encode(s.span_id), kSpan);
  EXPECT_EQ(otlp::hex_encode(s.parent_span_id), kParent);
  EXPECT_EQ(s.trace_state, "congo=t61rcWkgMzE");
  EXPECT_EQ(s.flags, 0x301u);
  EXPECT_EQ(s.service, "cart");
  EXPECT_EQ(s.name, "GET /api/cart");
  EXPECT_EQ(s.kind, storage::SpanKind::kServer);
  EXPECT_EQ(s.start_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(s.end_ns, 1'700'000'000'250'000'000);
  EXPECT_EQ(s.status_code, storage::SpanStatusCode::kError);
  EXPECT_EQ(s.status_message, "upstream failed");
  EXPECT_EQ(s.origin, storage::SpanOrigin::kOtlp);
  EXPECT_EQ(s.scope_name, "io.opentelemetry.http");
  EXPECT_EQ(s.scope_version, "1.2.3");
  ASSERT_EQ(s.resource_attributes.size(), 2u);
  for (const auto& a : s.resource_attributes) {
    EXPECT_EQ(a.value, a.key == "host.name" ? "web-1" : "cart") << a.key;
  }
  ASSERT_EQ(s.attributes.size(), 4u);
  EXPECT_EQ(s.attributes[0], (storage::SpanAttribute{"http.request.method", "GET"}));
  EXPECT_EQ(s.attributes[1], (storage::SpanAttribute{"http.response.status_code", "200",
                                                     storage::AttrType::kInt, true}));
  EXPECT_EQ(s.attributes[2].type, storage::AttrType::kBool);
  EXPECT_EQ(s.attributes[2].value, "true");
  EXPECT_EQ(s.attributes[3].type, storage::AttrType::kDouble);
  EXPECT_EQ(s.attributes[3].value, "0.5");
  EXPECT_EQ(s.dropped_attributes_count, 1u);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].time_ns, s.start_ns + 1000);
  EXPECT_EQ(s.events[0].name, "exception");
  EXPECT_EQ(s.events[0].attributes[0].value, "IOError");
  EXPECT_FALSE(s.events[0].attributes[0].indexed);
  EXPECT_EQ(s.events[0].dropped_attributes_count, 2u);
  EXPECT_EQ(s.dropped_events_count, 3u);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(otlp::hex_encode(s.links[0].trace_id), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(otlp::hex_encode(s.links[0].span_id), "b7ad6b7169203331");
  EXPECT_EQ(s.links[0].trace_state, "k=v");
  EXPECT_EQ(s.links[0].flags, 0x101u);
  EXPECT_EQ(s.links[0].attributes[0].value, "batch");
  EXPECT_EQ(s.links[0].dropped_attributes_count, 1u);
  EXPECT_EQ(s.dropped_links_count, 4u);
}

TEST(OtlpTracesPbTest, DecodesEveryField) {
  TraceBatch batch;
  OtlpTracesResult result;
  ASSERT_TRUE(decode_traces_protobuf(pb_request({pb_span({})}), {}, &batch, &result).ok());
  EXPECT_EQ(result.rejected_spans, 0u);
  EXPECT_TRUE(encode_traces_response_protobuf(result).empty());
  ASSERT_EQ(batch.spans.size(), 1u);
  expect_full_span(batch.spans[0]);
}

TEST(OtlpTracesPbTest, BadSpansAreRejectedAndTheRestKept) {
  std::vector<std::string> spans;
  spans.push_back(pb_span({}));  // good
  PbSpan p;
  p.span = "short";
  spans.push_back(pb_span(p));
  p = {};
  p.end = p.start - 1;
  spans.push_back(pb_span(p));
  p = {};
  p.trace = std::string(16, '\0');
  spans.push_back(pb_span(p));
  p = {};
  p.kind = 9;
  spans.push_back(pb_span(p));
  p = {};
  p.parent = std::string(8, '\0');  // all-zero parent: a root
  p.span = bytes_of("0000000000000042");
  spans.push_back(pb_span(p));
  TraceBatch batch;
  OtlpTracesResult result;
  ASSERT_TRUE(decode_traces_protobuf(pb_request(spans), {}, &batch, &result).ok());
  ASSERT_EQ(batch.spans.size(), 2u);
  EXPECT_TRUE(batch.spans[1].parent_span_id.empty());
  EXPECT_EQ(result.rejected_spans, 4u);
  ASSERT_EQ(batch.errors.size(), 4u);
  EXPECT_EQ(batch.errors[0].item, "resource_spans[0].scope_spans[0].spans[1]");
  EXPECT_NE(batch.errors[0].message.find("span_id is 5 bytes"), std::string::npos);
  EXPECT_NE(batch.errors[1].message.find("before the start"), std::string::npos);
  EXPECT_NE(batch.errors[2].message.find("all zeros"), std::string::npos);
  EXPECT_NE(batch.errors[3].message.find("not a SpanKind"), std::string::npos);
  EXPECT_NE(result.error_message.find("4 span(s) rejected"), std::string::npos);
  // The response carries partial_success {rejected_spans = 4, error_message}.
  const std::string resp = encode_traces_response_protobuf(result);
  wire::pb::Reader r(resp);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(), 1u);
  wire::pb::Reader ps(r.bytes());
  ASSERT_TRUE(ps.next());
  EXPECT_EQ(ps.field(), 1u);
  EXPECT_EQ(ps.varint(), 4u);
}

TEST(OtlpTracesPbTest, LimitsAreNamed) {
  TraceLimits limits;
  limits.max_spans_per_request = 2;
  limits.max_attributes_per_span = 3;
  PbSpan small;
  small.with_extras = false;
  TraceBatch batch;
  OtlpTracesResult result;
  ASSERT_TRUE(
      decode_traces_protobuf(pb_request({pb_span(small), pb_span(small)}), limits, &batch, &result)
          .ok());
  ASSERT_EQ(batch.errors.size(), 2u);
  EXPECT_NE(batch.errors[0].message.find("limits.traces.max_attributes_per_span"),
            std::string::npos);
  limits.max_attributes_per_span = 100;
  batch = {};
  result = {};
  ASSERT_TRUE(decode_traces_protobuf(pb_request({pb_span(small), pb_span(small), pb_span(small)}),
                                     limits, &batch, &result)
                  .ok());
  EXPECT_EQ(batch.spans.size(), 2u);
  ASSERT_EQ(batch.errors.size(), 1u);
  EXPECT_NE(batch.errors[0].message.find("limits.traces.max_spans_per_request"), std::string::npos);
  limits.max_request_bytes = 10;
  Status st = decode_traces_protobuf(pb_request({pb_span(small)}), limits, &batch, &result);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("limits.traces.max_request_bytes"), std::string::npos);
}

TEST(OtlpTracesPbTest, MissingServiceAndMalformedInput) {
  TraceBatch batch;
  OtlpTracesResult result;
  ASSERT_TRUE(decode_traces_protobuf(pb_request({pb_span({})}, ""), {}, &batch, &result).ok());
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_EQ(batch.spans[0].service, "unknown_service");
  const std::string req = pb_request({pb_span({})});
  for (size_t cut = 1; cut < req.size(); cut += 3) {
    TraceBatch b;
    OtlpTracesResult r;
    Status st = decode_traces_protobuf(req.substr(0, cut), {}, &b, &r);
    if (!st.ok()) {
      EXPECT_EQ(st.code(), Code::kInvalidArgument);
      EXPECT_TRUE(b.spans.empty());
    }
  }
}

const char* kJsonRequest = R"({
  "resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "cart"}},
                                {"key": "host.name", "value": {"stringValue": "web-1"}}]},
    "scopeSpans": [{
      "scope": {"name": "io.opentelemetry.http", "version": "1.2.3"},
      "spans": [{
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "parentSpanId": "eee19b7ec3c1b173",
        "traceState": "congo=t61rcWkgMzE",
        "flags": 769,
        "name": "GET /api/cart",
        "kind": "SPAN_KIND_SERVER",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": 1700000000250000000,
        "attributes": [
          {"key": "http.request.method", "value": {"stringValue": "GET"}},
          {"key": "http.response.status_code", "value": {"intValue": "200"}},
          {"key": "cache.hit", "value": {"boolValue": true}},
          {"key": "ratio", "value": {"doubleValue": 0.5}}],
        "droppedAttributesCount": 1,
        "events": [{"timeUnixNano": "1700000000000001000", "name": "exception",
                    "attributes": [{"key": "exception.type", "value": {"stringValue": "IOError"}}],
                    "droppedAttributesCount": 2}],
        "droppedEventsCount": 3,
        "links": [{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
                   "traceState": "k=v",
                   "attributes": [{"key": "link.reason", "value": {"stringValue": "batch"}}],
                   "droppedAttributesCount": 1, "flags": 257}],
        "droppedLinksCount": 4,
        "status": {"code": 2, "message": "upstream failed"}
      }, {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b17",
        "name": "bad id", "startTimeUnixNano": "1", "endTimeUnixNano": "2"
      }, {
        "trace_id": "5b8efff798038103d269b633813fc60c",
        "span_id": "eee19b7ec3c1b175",
        "name": "bad kind", "kind": "SIDEWAYS",
        "start_time_unix_nano": "1", "end_time_unix_nano": "2"
      }]
    }]
  }]
})";

TEST(OtlpTracesJsonTest, DecodesEveryFieldAndRejectsBadSpans) {
  TraceBatch batch;
  OtlpTracesResult result;
  ASSERT_TRUE(decode_traces_json(kJsonRequest, {}, &batch, &result).ok());
  ASSERT_EQ(batch.spans.size(), 1u);
  expect_full_span(batch.spans[0]);
  EXPECT_EQ(result.rejected_spans, 2u);
  ASSERT_EQ(batch.errors.size(), 2u);
  EXPECT_EQ(batch.errors[0].item, "resource_spans[0].scope_spans[0].spans[1]");
  EXPECT_NE(batch.errors[0].message.find("spanId must be 16 hex digits"), std::string::npos);
  EXPECT_NE(batch.errors[1].message.find("kind"), std::string::npos);
  const std::string resp = encode_traces_response_json(result);
  EXPECT_NE(resp.find("\"rejectedSpans\":\"2\""), std::string::npos) << resp;
  EXPECT_EQ(encode_traces_response_json({}), "{}");
}

TEST(OtlpTracesJsonTest, MalformedJsonIsAnError) {
  TraceBatch batch;
  OtlpTracesResult result;
  EXPECT_EQ(decode_traces_json("{\"resourceSpans\": [", {}, &batch, &result).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(decode_traces_json("{\"resourceSpans\": {}}", {}, &batch, &result).code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(decode_traces_json("{}", {}, &batch, &result).ok());
  EXPECT_TRUE(batch.spans.empty());
}

}  // namespace
}  // namespace opsight::ingest::traces

#include "ingest/aws/xray_segment.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ingest/otlp/otlp_common.h"

namespace opsight::ingest::aws {
namespace {

using storage::AttrType;
using storage::Span;
using storage::SpanKind;
using storage::SpanStatusCode;

// The segment with an HTTP call of the AWS X-Ray developer guide ("Segment documents",
// subsegments example), with a cause, annotations and metadata added.
constexpr std::string_view kSegment = R"({
  "trace_id"   : "1-5759e988-bd862e3fe1be46a994272793",
  "id"         : "defdfd9912dc5a56",
  "start_time" : 1461096053.37518,
  "end_time"   : 1461096053.4042,
  "name"       : "www.example.com",
  "origin"     : "AWS::EC2::Instance",
  "user"       : "alice",
  "fault"      : true,
  "service"    : {"version": "1.2.3"},
  "aws"        : {"ec2": {"instance_id": "i-0b5a4678fc325bg98"},
                  "xray": {"sdk": "X-Ray for Node.js", "sdk_version": "3.12.0"}},
  "http"       : {
    "request"  : {
      "url"        : "https://www.example.com/health",
      "method"     : "GET",
      "user_agent" : "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/601.7.7",
      "client_ip"  : "11.0.3.111"
    },
    "response" : {"status": 500, "content_length": 86}
  },
  "annotations": {"customer_tier": "gold", "retries": 2, "cache_hit": false, "ratio": 0.5},
  "metadata"   : {"debug": {"test": "Metadata string from UserModel.saveUser"}},
  "cause"      : {
    "working_directory": "/home/ec2-user/app",
    "exceptions": [{"id": "e5d9e8b8a4c3d2e1", "message": "Connection refused",
                    "type": "ConnectException",
                    "stack": [{"path": "app.js", "line": 12, "label": "handler"}]}]
  },
  "subsegments" : [
    {
      "id"         : "53995c3f42cd8ad8",
      "name"       : "api.example.com",
      "start_time" : 1461096053.37769,
      "end_time"   : 1461096053.40379,
      "namespace"  : "remote",
      "http"       : {
        "request"  : {"url": "https://api.example.com/health", "method": "POST", "traced": true},
        "response" : {"status": 200, "content_length": 861}
      },
      "subsegments": [
        {"id": "53995c3f42cd8ad9", "name": "DynamoDB", "namespace": "aws",
         "start_time": 1461096053.378, "end_time": 1461096053.379, "throttle": true,
         "error": true, "http": {"response": {"status": 429}},
         "aws": {"operation": "GetItem", "region": "us-west-2", "table_name": "scorekeep"}}
      ]
    },
    {
      "id": "53995c3f42cd8ada", "name": "SELECT customers",
      "start_time": 1461096053.39, "end_time": 1461096053.395, "namespace": "remote",
      "sql": {"url": "jdbc:postgresql://db.example.com:5432/ebdb", "database_type": "PostgreSQL",
              "database_version": "9.5.4", "user": "dbuser",
              "sanitized_query": "SELECT  *  FROM  customers  WHERE  customer_id=?;"}
    }
  ]
})";

std::string id_bytes(std::string_view hex) {
  std::string out;
  EXPECT_TRUE(otlp::hex_decode(hex, &out));
  return out;
}

const storage::SpanAttribute* attr(const Span& s, std::string_view key) {
  for (const auto& a : s.attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

std::string value(const Span& s, std::string_view key) {
  const auto* a = attr(s, key);
  return a == nullptr ? "<absent>" : a->value;
}

std::string decode_error(std::string_view doc) {
  std::vector<Span> spans;
  Status st = decode_xray_segment(doc, traces::TraceLimits{}, &spans);
  EXPECT_TRUE(spans.empty());
  return st.message();
}

TEST(XraySegmentTest, SegmentBecomesServerSpanWithOtelAttributes) {
  std::vector<Span> spans;
  ASSERT_TRUE(decode_xray_segment(kSegment, traces::TraceLimits{}, &spans).ok());
  ASSERT_EQ(spans.size(), 4u);
  const Span& s = spans[0];
  EXPECT_EQ(s.trace_id, id_bytes("5759e988bd862e3fe1be46a994272793"));
  EXPECT_EQ(s.span_id, id_bytes("defdfd9912dc5a56"));
  EXPECT_TRUE(s.parent_span_id.empty());
  EXPECT_EQ(s.service, "www.example.com");
  EXPECT_EQ(s.name, "www.example.com");
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_EQ(s.origin, storage::SpanOrigin::kXray);
  EXPECT_EQ(s.start_ns, 1461096053375180000);
  EXPECT_EQ(s.end_ns, 1461096053404200000);
  EXPECT_EQ(s.status_code, SpanStatusCode::kError);
  EXPECT_EQ(s.status_message, "Connection refused");
  EXPECT_EQ(s.scope_name, "X-Ray for Node.js");
  EXPECT_EQ(s.scope_version, "3.12.0");
  EXPECT_EQ(value(s, "http.request.method"), "GET");
  EXPECT_EQ(value(s, "url.full"), "https://www.example.com/health");
  EXPECT_EQ(value(s, "client.address"), "11.0.3.111");
  EXPECT_EQ(value(s, "http.response.status_code"), "500");
  EXPECT_EQ(attr(s, "http.response.status_code")->type, AttrType::kInt);
  EXPECT_EQ(value(s, "http.response.body.size"), "86");
  EXPECT_EQ(value(s, "xray.fault"), "true");
  EXPECT_EQ(value(s, "xray.origin"), "AWS::EC2::Instance");
  EXPECT_EQ(value(s, "enduser.id"), "alice");
  EXPECT_EQ(value(s, "xray.error"), "<absent>");
  EXPECT_EQ(value(s, "aws.ec2"), R"({"instance_id":"i-0b5a4678fc325bg98"})");
  EXPECT_FALSE(attr(s, "aws.ec2")->indexed);
  // Resource: service.name and service.version.
  ASSERT_EQ(s.resource_attributes.size(), 2u);
  EXPECT_EQ(s.resource_attributes[0].value, "www.example.com");
  EXPECT_EQ(s.resource_attributes[1].key, "service.version");
  EXPECT_EQ(s.resource_attributes[1].value, "1.2.3");
}

TEST(XraySegmentTest, AnnotationsAreIndexedAndMetadataIsNot) {
  std::vector<Span> spans;
  ASSERT_TRUE(decode_xray_segment(kSegment, traces::TraceLimits{}, &spans).ok());
  const Span& s = spans[0];
  const auto* tier = attr(s, "annotation.customer_tier");
  ASSERT_NE(tier, nullptr);
  EXPECT_TRUE(tier->indexed);
  EXPECT_EQ(tier->value, "gold");
  EXPECT_EQ(attr(s, "annotation.retries")->type, AttrType::kInt);
  EXPECT_EQ(value(s, "annotation.retries"), "2");
  EXPECT_EQ(attr(s, "annotation.cache_hit")->type, AttrType::kBool);
  EXPECT_EQ(value(s, "annotation.cache_hit"), "false");
  EXPECT_EQ(attr(s, "annotation.ratio")->type, AttrType::kDouble);
  const auto* meta = attr(s, "metadata.debug");
  ASSERT_NE(meta, nullptr);
  EXPECT_FALSE(meta->indexed);
  EXPECT_EQ(meta->type, AttrType::kJson);
  EXPECT_EQ(meta->value, R"({"test":"Metadata string from UserModel.saveUser"})");
}

TEST(XraySegmentTest, CauseBecomesExceptionEvents) {
  std::vector<Span> spans;
  ASSERT_TRUE(decode_xray_segment(kSegment, traces::TraceLimits{}, &spans).ok());
  const Span& s = spans[0];
  ASSERT_EQ(s.events.size(), 1u);
  const auto& e = s.events[0];
  EXPECT_EQ(e.name, "exception");
  EXPECT_EQ(e.time_ns, s.end_ns);
  std::map<std::string, std::string> a;
  for (const auto& x : e.attributes) a[x.key] = x.value;
  EXPECT_EQ(a["exception.type"], "ConnectException");
  EXPECT_EQ(a["exception.message"], "Connection refused");
  EXPECT_EQ(a["exception.id"], "e5d9e8b8a4c3d2e1");
  EXPECT_EQ(a["exception.stacktrace"], "    at handler (app.js:12)\n");
  EXPECT_EQ(value(s, "xray.cause.working_directory"), "/home/ec2-user/app");
}

TEST(XraySegmentTest, SubsegmentsAreChildSpans) {
  std::vector<Span> spans;
  ASSERT_TRUE(decode_xray_segment(kSegment, traces::TraceLimits{}, &spans).ok());
  const Span& remote = spans[1];
  EXPECT_EQ(remote.name, "api.example.com");
  EXPECT_EQ(remote.service, "www.example.com");
  EXPECT_EQ(remote.kind, SpanKind::kClient);
  EXPECT_EQ(remote.parent_span_id, spans[0].span_id);
  EXPECT_EQ(remote.trace_id, spans[0].trace_id);
  EXPECT_EQ(remote.status_code, SpanStatusCode::kUnset);
  EXPECT_EQ(value(remote, "peer.service"), "api.example.com");
  EXPECT_EQ(value(remote, "xray.http.traced"), "true");
  EXPECT_EQ(value(remote, "http.request.method"), "POST");

  const Span& dynamo = spans[2];
  EXPECT_EQ(dynamo.parent_span_id, remote.span_id);
  EXPECT_EQ(dynamo.kind, SpanKind::kClient);
  EXPECT_EQ(value(dynamo, "rpc.system"), "aws-api");
  EXPECT_EQ(value(dynamo, "aws.operation"), "GetItem");
  EXPECT_TRUE(attr(dynamo, "aws.operation")->indexed);
  EXPECT_EQ(value(dynamo, "xray.throttle"), "true");
  EXPECT_EQ(value(dynamo, "xray.error"), "true");
  EXPECT_EQ(value(dynamo, "http.response.status_code"), "429");

  const Span& sql = spans[3];
  EXPECT_EQ(sql.parent_span_id, spans[0].span_id);
  EXPECT_EQ(value(sql, "db.system"), "postgresql");
  EXPECT_EQ(value(sql, "db.query.text"), "SELECT  *  FROM  customers  WHERE  customer_id=?;");
  EXPECT_EQ(value(sql, "db.user"), "dbuser");
  EXPECT_EQ(value(sql, "sql.database_version"), "9.5.4");
}

TEST(XraySegmentTest, InProgressSegmentHasEndEqualStartAndAMarker) {
  // The in-progress example of the developer guide.
  constexpr std::string_view kDoc = R"({
    "name" : "example.com", "id" : "70de5b6f19ff9a0b", "start_time" : 1.478293361271E9,
    "trace_id" : "1-581cf771-a006649127e371903a2de979", "in_progress": true})";
  std::vector<Span> spans;
  ASSERT_TRUE(decode_xray_segment(kDoc, traces::TraceLimits{}, &spans).ok());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].start_ns, 1478293361271000000);
  EXPECT_EQ(spans[0].end_ns, spans[0].start_ns);
  EXPECT_EQ(value(spans[0], "xray.in_progress"), "true");
  // Its completed form has the same ids and no marker.
  constexpr std::string_view kDone = R"({
    "name" : "example.com", "id" : "70de5b6f19ff9a0b", "start_time" : 1.478293361271E9,
    "trace_id" : "1-581cf771-a006649127e371903a2de979", "end_time" : 1.478293361449E9})";
  ASSERT_TRUE(decode_xray_segment(kDone, traces::TraceLimits{}, &spans).ok());
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].span_id, spans[0].span_id);
  EXPECT_EQ(spans[1].end_ns, 1478293361449000000);
  EXPECT_EQ(attr(spans[1], "xray.in_progress"), nullptr);
}

TEST(XraySegmentTest, IndependentSubsegment) {
  constexpr std::string_view kDoc = R"({
    "name" : "www2.example.com", "id" : "70de5b6f19ff9a0c", "start_time" : 1.478293361271E9,
    "trace_id" : "1-581cf771-a006649127e371903a2de979", "end_time" : 1.478293361449E9,
    "type" : "subsegment", "parent_id" : "70de5b6f19ff9a0b", "namespace": "remote"})";
  std::vector<Span> spans;
  ASSERT_TRUE(decode_xray_segment(kDoc, traces::TraceLimits{}, &spans).ok());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].parent_span_id, id_bytes("70de5b6f19ff9a0b"));
  EXPECT_EQ(spans[0].kind, SpanKind::kClient);
  EXPECT_EQ(spans[0].service, "unknown_service");
  EXPECT_EQ(spans[0].name, "www2.example.com");
}

TEST(XraySegmentTest, BadDocumentsNameTheFieldAndTheRule) {
  EXPECT_EQ(decode_error("[1]"), "X-Ray segment: the document must be a JSON object");
  EXPECT_EQ(
      decode_error(R"({"name":"a","id":"70de5b6f19ff9a0b","start_time":1.5E9,"end_time":1.5E9})"),
      "X-Ray segment: trace_id is required");
  EXPECT_EQ(decode_error(R"({"name":"a","id":"70de5b6f19ff9a0b","start_time":1.5E9,
      "end_time":1.5E9,"trace_id":"1-581cf771-a00664912"})"),
            "X-Ray segment: trace_id \"1-581cf771-a00664912\" is not an X-Ray trace id "
            "(1-<8 hex digits>-<24 hex digits>)");
  EXPECT_EQ(decode_error(R"({"name":"a","id":"xyz","start_time":1.5E9,"end_time":1.5E9,
      "trace_id":"1-581cf771-a006649127e371903a2de979"})"),
            "X-Ray segment: id \"xyz\" must be 16 hex digits");
  EXPECT_EQ(decode_error(R"({"name":"a","id":"70de5b6f19ff9a0b","start_time":1.5E9,
      "trace_id":"1-581cf771-a006649127e371903a2de979"})"),
            "X-Ray segment: end_time is required unless in_progress is true");
  EXPECT_EQ(decode_error(R"({"name":"a","id":"70de5b6f19ff9a0b","start_time":1.5E9,
      "end_time":1.4E9,"trace_id":"1-581cf771-a006649127e371903a2de979"})"),
            "X-Ray segment: end_time is before start_time");
  EXPECT_EQ(decode_error(R"({"name":"a","id":"70de5b6f19ff9a0b","start_time":"now",
      "end_time":1.4E9,"trace_id":"1-581cf771-a006649127e371903a2de979"})"),
            "X-Ray segment: start_time must be a number (epoch seconds)");
  EXPECT_EQ(decode_error(R"({"name":"a","id":"70de5b6f19ff9a0b","start_time":1.5E9,
      "end_time":1.5E9,"trace_id":"1-581cf771-a006649127e371903a2de979",
      "annotations":{"k":{"nested":1}}})"),
            "X-Ray segment: annotations.k must be a string, number or boolean");
  // An error deep in a subsegment names its path, and nothing of the document is kept.
  EXPECT_EQ(decode_error(R"({"name":"a","id":"70de5b6f19ff9a0b","start_time":1.5E9,
      "end_time":1.5E9,"trace_id":"1-581cf771-a006649127e371903a2de979",
      "subsegments":[{"id":"70de5b6f19ff9a0c","name":"b","start_time":1.5E9,"end_time":1.5E9},
                     {"id":"70de5b6f19ff9a0d","name":"c","start_time":1.5E9,"end_time":1.5E9,
                      "http":{"response":{"status":"ok"}}}]})"),
            "X-Ray segment: subsegments[1].http.response.status must be a non-negative integer");
  EXPECT_EQ(decode_error(R"({"name":"a","id":"70de5b6f19ff9a0b","start_time":1.5E9,
      "end_time":1.5E9,"trace_id":"1-581cf771-a006649127e371903a2de979","type":"subsegment"})"),
            "X-Ray segment: parent_id is required for an independent subsegment "
            "(\"type\": \"subsegment\")");
}

TEST(XraySegmentTest, DeepNestingIsRefused) {
  std::string doc = R"({"name":"a","id":"1000000000000000","start_time":1.5E9,"end_time":1.5E9,)"
                    R"("trace_id":"1-581cf771-a006649127e371903a2de979")";
  for (int i = 1; i <= kMaxXraySubsegmentDepth + 1; i++) {
    doc += fmt::format(R"(,"subsegments":[{{"id":"{:016x}","name":"s","start_time":1.5E9,)"
                       R"("end_time":1.5E9)",
                       0x1000000000000000ull + static_cast<uint64_t>(i));
  }
  for (int i = 0; i <= kMaxXraySubsegmentDepth + 1; i++) doc += i == 0 ? "}" : "]}";
  const std::string err = decode_error(doc);
  EXPECT_NE(err.find("nests subsegments deeper than 32"), std::string::npos) << err;
}

TEST(XraySegmentTest, DatagramHeader) {
  auto doc = xray_datagram_document("{\"format\": \"json\", \"version\": 1}\n{\"a\":1}");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(*doc, "{\"a\":1}");
  EXPECT_FALSE(xray_datagram_document("{\"a\":1}").ok());
  auto bad = xray_datagram_document("{\"format\": \"xml\", \"version\": 1}\n{}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "X-Ray datagram header \"{\"format\": \"xml\", \"version\": 1}\" is not "
            "{\"format\": \"json\", \"version\": 1}");
}

TEST(XraySegmentTest, TraceIdRoundTrip) {
  auto id = parse_xray_trace_id("1-5759e988-bd862e3fe1be46a994272793");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(format_xray_trace_id(*id), "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_FALSE(parse_xray_trace_id("2-5759e988-bd862e3fe1be46a994272793").ok());
  EXPECT_FALSE(parse_xray_trace_id("1-5759e988-bd862e3fe1be46a99427279g").ok());
}

}  // namespace
}  // namespace opsight::ingest::aws

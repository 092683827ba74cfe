#include "api/aws/xray_documents.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "apm/span_builder.h"
#include "common/hex.h"
#include "common/json_writer.h"
#include "ingest/aws/xray_segment.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;
using testing::SpanBuilder;

// JSON text with object keys sorted and numbers as doubles, so two documents compare by value.
void canonical(dom::element e, std::string* out) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      std::map<std::string, dom::element> fields;
      for (auto [k, v] : dom::object(e)) fields.emplace(std::string(k), v);
      *out += '{';
      bool first = true;
      for (const auto& [k, v] : fields) {
        if (!first) *out += ',';
        first = false;
        json::append_string(*out, k);
        *out += ':';
        canonical(v, out);
      }
      *out += '}';
      return;
    }
    case dom::element_type::ARRAY: {
      *out += '[';
      bool first = true;
      for (dom::element v : dom::array(e)) {
        if (!first) *out += ',';
        first = false;
        canonical(v, out);
      }
      *out += ']';
      return;
    }
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      json::append_double(*out, double(e));
      return;
    default:
      *out += simdjson::minify(e);
  }
}

std::string canonical(std::string_view json) {
  dom::parser p;
  simdjson::padded_string padded(json);
  dom::element e;
  EXPECT_EQ(p.parse(padded).get(e), simdjson::SUCCESS) << json;
  std::string out;
  canonical(e, &out);
  return out;
}

std::vector<storage::Span> decode(std::initializer_list<std::string_view> docs) {
  std::vector<storage::Span> spans;
  for (std::string_view d : docs) {
    Status st = ingest::aws::decode_xray_segment(d, ingest::traces::TraceLimits{}, &spans);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  return spans;
}

// The id given to the first exception of a span that has none: the span id, last byte + 1.
std::string exception_id(std::string span_id) {
  span_id.back() = static_cast<char>(span_id.back() + 1);
  return hex_encode(span_id);
}

// Every field the ingest path keeps (X-Ray developer guide, "AWS X-Ray segment documents").
constexpr std::string_view kSegment = R"({
  "name": "checkout", "id": "70de5b6f19ff9a0a", "trace_id": "1-581cf771-a006649127e371903a2de979",
  "parent_id": "3f4a5b6c7d8e9f00",
  "start_time": 1478293361.271, "end_time": 1478293361.449,
  "origin": "AWS::EC2::Instance", "user": "alice", "service": {"version": "1.2.3"},
  "http": {"request": {"method": "POST", "url": "https://shop.example/cart", "user_agent": "curl/8",
                       "client_ip": "10.0.0.7", "x_forwarded_for": true},
           "response": {"status": 500, "content_length": 42}},
  "aws": {"ec2": {"instance_id": "i-0b5a4678fc325bg98"}, "xray": {"sdk": "X-Ray for Go",
          "sdk_version": "1.8.0"}, "account_id": "123456789012"},
  "annotations": {"tier": "gold", "items": 3, "ratio": 0.25, "vip": true},
  "metadata": {"debug": {"payload": {"a": [1, 2]}}},
  "fault": true, "precursor_ids": ["1234567890abcdef"],
  "cause": {"working_directory": "/srv/app", "exceptions": [
    {"id": "0123456789abcdef", "message": "boom", "type": "IOError", "remote": true,
     "truncated": 2, "stack": [{"path": "app.go", "line": 12, "label": "main.handle"},
                               {"path": "srv.go", "line": 3, "label": "main.serve"}]}]},
  "subsegments": [
    {"name": "inventory", "id": "53995c3f42cd8ad8", "start_time": 1478293361.3,
     "end_time": 1478293361.4, "namespace": "remote", "throttle": true, "error": true,
     "http": {"request": {"method": "GET", "url": "http://inventory/items", "traced": true},
              "response": {"status": 429}},
     "subsegments": [{"name": "parse", "id": "53995c3f42cd8ad9", "start_time": 1478293361.31,
                      "end_time": 1478293361.32, "metadata": {"n": 5}}]},
    {"name": "DynamoDB", "id": "53995c3f42cd8ada", "start_time": 1478293361.41,
     "end_time": 1478293361.44, "namespace": "aws",
     "aws": {"operation": "GetItem", "table_name": "carts", "region": "us-east-1"}},
    {"name": "orders@db", "id": "53995c3f42cd8adb", "start_time": 1478293361.42,
     "end_time": 1478293361.43, "namespace": "remote",
     "sql": {"database_type": "postgresql", "sanitized_query": "SELECT 1", "user": "app",
             "url": "db:5432/orders", "database_version": "15"}, "cause": "0123456789abcdef"}]
})";

TEST(XrayDocumentsTest, SegmentDocumentsRoundTrip) {
  auto spans = decode({kSegment});
  ASSERT_EQ(spans.size(), 5u);
  auto docs = xray_segment_documents(spans);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].id, "70de5b6f19ff9a0a");
  EXPECT_EQ(canonical(docs[0].document), canonical(kSegment));
  // And the document decodes to the very same spans.
  EXPECT_EQ(decode({docs[0].document}), spans);
}

TEST(XrayDocumentsTest, InProgressAndIndependentSubsegments) {
  constexpr std::string_view kOpen =
      R"({"name": "api", "id": "1000000000000001", "trace_id": "1-5759e988-bd862e3fe1be46a994272793",
          "start_time": 1465510280.0, "in_progress": true})";
  auto open = decode({kOpen});
  auto docs = xray_segment_documents(open);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(canonical(docs[0].document), canonical(kOpen));

  // The completed segment replaces the open one; an independent subsegment nests under it.
  constexpr std::string_view kDone =
      R"({"name": "api", "id": "1000000000000001", "trace_id": "1-5759e988-bd862e3fe1be46a994272793",
          "start_time": 1465510280.0, "end_time": 1465510281.5})";
  constexpr std::string_view kSub =
      R"({"type": "subsegment", "name": "work", "id": "2000000000000002",
          "trace_id": "1-5759e988-bd862e3fe1be46a994272793", "parent_id": "1000000000000001",
          "start_time": 1465510280.5, "end_time": 1465510281.0})";
  auto spans = decode({kOpen, kDone, kSub});
  docs = xray_segment_documents(spans);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(canonical(docs[0].document), canonical(R"({"name": "api", "id": "1000000000000001",
                "trace_id": "1-5759e988-bd862e3fe1be46a994272793", "start_time": 1465510280,
                "end_time": 1465510281.5, "subsegments": [{"name": "work",
                "id": "2000000000000002", "start_time": 1465510280.5,
                "end_time": 1465510281}]})"));

  // Without its parent, the independent subsegment stays one.
  docs = xray_segment_documents(decode({kSub}));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(canonical(docs[0].document), canonical(kSub));
}

TEST(XrayDocumentsTest, OtlpSpansMapLikeTheXrayExporter) {
  storage::Span root = SpanBuilder("t1", "a", "frontend")
                           .name("GET /cart")
                           .time_ms(0, 100)
                           .http("GET", "http://shop/cart", 200)
                           .attr("annotation.tier", "gold")
                           .attr("app.items", "3", storage::AttrType::kInt)
                           .attr("enduser.id", "bob");
  root.resource_attributes.push_back({"cloud.platform", "aws_ec2"});
  root.resource_attributes.push_back({"telemetry.sdk.language", "python"});
  root.resource_attributes.push_back({"service.version", "2.0"});
  storage::Span call = SpanBuilder("t1", "b", "frontend")
                           .client()
                           .parent("a")
                           .name("POST")
                           .time_ms(10, 50)
                           .http("POST", "http://backend/pay", 503)
                           .attr("peer.service", "backend");
  call.status_code = storage::SpanStatusCode::kError;
  call.status_message = "Service Unavailable";
  storage::Span server = SpanBuilder("t1", "c", "backend")
                             .parent("b")
                             .name("POST /pay")
                             .time_ms(12, 40)
                             .http("POST", "http://backend/pay", 503);
  server.events.push_back(
      {server.end_ns,
       "exception",
       {{"exception.type", "ValueError", storage::AttrType::kString, false},
        {"exception.message", "no funds", storage::AttrType::kString, false},
        {"exception.stacktrace", "    at pay (pay.py:7)\n", storage::AttrType::kString, false}}});
  storage::Span ddb = SpanBuilder("t1", "d", "backend")
                          .client()
                          .parent("c")
                          .name("DynamoDB.GetItem")
                          .time_ms(20, 5)
                          .attr("rpc.system", "aws-api")
                          .attr("rpc.service", "DynamoDB")
                          .attr("rpc.method", "GetItem");
  std::vector<storage::Span> spans = {ddb, server, call, root};
  auto docs = xray_segment_documents(spans);
  ASSERT_EQ(docs.size(), 2u);
  const std::string a = hex_encode(root.span_id), b = hex_encode(call.span_id);
  const std::string c = hex_encode(server.span_id), d = hex_encode(ddb.span_id);
  const std::string trace = ingest::aws::format_xray_trace_id(root.trace_id);
  EXPECT_EQ(docs[0].id, a);
  EXPECT_EQ(canonical(docs[0].document),
            canonical(fmt::format(R"({{
      "name": "frontend", "id": "{}", "trace_id": "{}",
      "start_time": 1704067200, "end_time": 1704067200.1,
      "origin": "AWS::EC2::Instance", "user": "bob", "service": {{"version": "2.0"}},
      "http": {{"request": {{"method": "GET", "url": "http://shop/cart"}},
                "response": {{"status": 200}}}},
      "aws": {{"xray": {{"sdk": "opentelemetry for python"}}}},
      "annotations": {{"tier": "gold"}},
      "metadata": {{"default": {{"app.items": 3, "otel.resource.cloud.platform": "aws_ec2",
                                 "otel.resource.telemetry.sdk.language": "python"}}}},
      "subsegments": [{{"name": "backend", "id": "{}", "start_time": 1704067200.01,
        "end_time": 1704067200.06, "namespace": "remote", "fault": true,
        "http": {{"request": {{"method": "POST", "url": "http://backend/pay"}},
                  "response": {{"status": 503}}}},
        "metadata": {{"default": {{"peer.service": "backend"}}}},
        "cause": {{"exceptions": [{{"id": "{}", "message": "Service Unavailable"}}]}}}}]}})",
                                  a, trace, b, exception_id(call.span_id))));
  // The documents are valid for the ingest path too (ids, namespaces, times, shapes).
  for (const auto& doc : docs) {
    std::vector<storage::Span> back;
    Status st = ingest::aws::decode_xray_segment(doc.document, {}, &back);
    EXPECT_TRUE(st.ok()) << st.message() << "\n" << doc.document;
  }
  EXPECT_EQ(docs[1].id, c);
  EXPECT_EQ(canonical(docs[1].document),
            canonical(fmt::format(R"({{
      "name": "backend", "id": "{}", "trace_id": "{}", "parent_id": "{}",
      "start_time": 1704067200.012, "end_time": 1704067200.052, "fault": true,
      "http": {{"request": {{"method": "POST", "url": "http://backend/pay"}},
                "response": {{"status": 503}}}},
      "cause": {{"exceptions": [{{"id": "{}", "type": "ValueError", "message": "no funds",
                 "stack": [{{"path": "pay.py", "line": 7, "label": "pay"}}]}}]}},
      "subsegments": [{{"name": "DynamoDB", "id": "{}", "start_time": 1704067200.02,
        "end_time": 1704067200.025, "namespace": "aws", "aws": {{"operation": "GetItem"}},
        "metadata": {{"default": {{"rpc.system": "aws-api", "rpc.service": "DynamoDB",
                                   "rpc.method": "GetItem"}}}}}}]}})",
                                  c, trace, b, exception_id(server.span_id), d)));
}

// Every span is written exactly once, as valid JSON, whatever the shape of the trace: a chain
// deeper than the subsegment bound and a parent cycle.
TEST(XrayDocumentsTest, DeepChainsAndCyclesWriteEverySpanOnce) {
  std::vector<storage::Span> spans;
  spans.push_back(SpanBuilder("t2", "s0", "svc").build());
  for (int i = 1; i < 100; i++) {
    spans.push_back(SpanBuilder("t2", fmt::format("s{}", i), "svc")
                        .internal()
                        .parent(fmt::format("s{}", i - 1))
                        .time_ms(i, 1));
  }
  spans.push_back(SpanBuilder("t2", "x", "svc").internal().parent("y"));
  spans.push_back(SpanBuilder("t2", "y", "svc").internal().parent("x"));
  auto docs = xray_segment_documents(spans);
  ASSERT_GE(docs.size(), 3u);  // the root, the continuation(s) of the chain, the cycle
  std::multiset<std::string> ids;
  std::function<void(dom::element)> collect = [&](dom::element e) {
    ids.insert(std::string(std::string_view(e["id"])));
    dom::array subs;
    if (e["subsegments"].get_array().get(subs) == simdjson::SUCCESS) {
      for (dom::element s : subs) collect(s);
    }
  };
  for (const auto& d : docs) {
    dom::parser p;
    simdjson::padded_string padded(d.document);
    dom::element e;
    ASSERT_EQ(p.parse(padded).get(e), simdjson::SUCCESS);
    collect(e);
  }
  EXPECT_EQ(ids.size(), spans.size());
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), spans.size());
}

}  // namespace
}  // namespace opsight::api

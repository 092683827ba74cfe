// Traces end-to-end through the real HTTP server: POST /v1/traces (JSON, and gzip protobuf with
// a partly bad batch), GET /api/v1/traces/<id> as a tree, 404s, the admin flush, and a restart.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <random>

#include "common/clock.h"
#include "net/http_client.h"
#include "server/server.h"
#include "server_fixture.h"
#include "wire/compression.h"
#include "wire/protobuf.h"

namespace opsight::server {
namespace {

class TracesServerTest : public ServerFixture {
 protected:
  TracesServerTest() : ServerFixture(2) {}
};

std::string now_ns(int64_t offset_ms = 0) {
  return std::to_string((Clock::real()->now_ms() - 60'000 + offset_ms) * 1'000'000);
}

std::string json_request() {
  return R"({"resourceSpans":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"frontend"}}]},
    "scopeSpans":[{"scope":{"name":"test"},"spans":[
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000001","name":"GET /",
       "kind":2,"startTimeUnixNano":")" +
         now_ns() + R"(","endTimeUnixNano":")" + now_ns(250) + R"(",
       "attributes":[{"key":"http.response.status_code","value":{"intValue":"200"}}]},
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000002",
       "parentSpanId":"0000000000000001","name":"SELECT","kind":3,
       "startTimeUnixNano":")" +
         now_ns(10) + R"(","endTimeUnixNano":")" + now_ns(20) + R"(",
       "events":[{"timeUnixNano":")" +
         now_ns(15) + R"(","name":"retry"}],
       "status":{"code":2,"message":"deadlock"}}]}]}]})";
}

TEST_F(TracesServerTest, PostJsonThenGetTheTreeAndSurviveRestart) {
  auto r = request("POST", "/v1/traces", json_request(), {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  for (int round = 0; round < 3; round++) {
    SCOPED_TRACE(round);
    auto g = request("GET", "/api/v1/traces/5b8efff798038103d269b633813fc60c");
    ASSERT_EQ(g.status, 200) << g.body;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(g.body).get(doc), simdjson::SUCCESS) << g.body;
    EXPECT_EQ(std::string_view(doc["traceId"]), "5b8efff798038103d269b633813fc60c");
    EXPECT_EQ(int64_t(doc["spanCount"]), 2);
    simdjson::dom::array roots = doc["roots"];
    ASSERT_EQ(roots.size(), 1u);
    simdjson::dom::element root = roots.at(0);
    EXPECT_EQ(std::string_view(root["name"]), "GET /");
    EXPECT_EQ(std::string_view(root["service"]), "frontend");
    EXPECT_EQ(std::string_view(root["kind"]), "SERVER");
    EXPECT_EQ(int64_t(root["attributes"]["http.response.status_code"]), 200);
    EXPECT_NEAR(double(root["durationMs"]), 250.0, 1e-6);
    simdjson::dom::array children = root["children"];
    ASSERT_EQ(children.size(), 1u);
    simdjson::dom::element child = children.at(0);
    EXPECT_EQ(std::string_view(child["spanId"]), "0000000000000002");
    EXPECT_EQ(std::string_view(child["parentSpanId"]), "0000000000000001");
    EXPECT_EQ(std::string_view(child["status"]["code"]), "ERROR");
    EXPECT_EQ(std::string_view(child["status"]["message"]), "deadlock");
    EXPECT_EQ(std::string_view(child["events"].at(0)["name"]), "retry");
    if (round == 0) {
      auto f = request("POST", "/api/v1/traces/admin/flush");
      EXPECT_EQ(f.status, 200) << f.body;
    } else if (round == 1) {
      restart();
    }
  }
  EXPECT_EQ(request("GET", "/api/v1/traces/0af7651916cd43dd8448eb211c80319c").status, 404);
  auto bad = request("GET", "/api/v1/traces/xyz");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("32 hex digits"), std::string::npos);
}

// A gzip'd protobuf batch with one bad span: 200 with partial_success, the good span stored.
TEST_F(TracesServerTest, PostGzipProtobufWithPartialSuccess) {
  auto span = [](std::string_view span_id, int64_t dur_ns) {
    wire::pb::Writer s;
    s.bytes(1, std::string("\x0a\xf7\x65\x19\x16\xcd\x43\xdd\x84\x48\xeb\x21\x1c\x80\x31\x9c", 16));
    s.bytes(2, span_id);
    s.bytes(5, "work");
    const uint64_t start = static_cast<uint64_t>(Clock::real()->now_ms() - 1000) * 1'000'000;
    s.fixed64(7, start);
    s.fixed64(8, start + static_cast<uint64_t>(dur_ns));
    return s.take();
  };
  wire::pb::Writer scope;
  scope.message(2, span(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8), 1000));
  scope.message(2, span(std::string("\x01\x02\x03\x04\x05\x06\x07\x09", 8), -1000));  // end < start
  wire::pb::Writer rs;
  rs.message(2, scope.str());
  wire::pb::Writer req;
  req.message(1, rs.str());
  auto r = request("POST", "/v1/traces", wire::gzip_compress(req.str()),
                   {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "gzip"}});
  ASSERT_EQ(r.status, 200) << r.body;
  wire::pb::Reader resp(r.body);
  ASSERT_TRUE(resp.next());
  wire::pb::Reader partial(resp.bytes());
  uint64_t rejected = 0;
  std::string message;
  while (partial.next()) {
    if (partial.field() == 1) rejected = partial.varint();
    if (partial.field() == 2) message = std::string(partial.bytes());
  }
  EXPECT_EQ(rejected, 1u);
  EXPECT_NE(message.find("spans[1]"), std::string::npos) << message;
  EXPECT_NE(message.find("before the start time"), std::string::npos) << message;
  auto g = request("GET", "/api/v1/traces/0af7651916cd43dd8448eb211c80319c");
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_NE(g.body.find("\"spanCount\":1"), std::string::npos) << g.body;
  EXPECT_NE(g.body.find("\"service\":\"unknown_service\""), std::string::npos) << g.body;

  // A malformed body is a 400 with a google.rpc.Status.
  auto m = request("POST", "/v1/traces", std::string("\x0a\xff", 2),
                   {{"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(m.status, 400);
}

}  // namespace
}  // namespace opsight::server

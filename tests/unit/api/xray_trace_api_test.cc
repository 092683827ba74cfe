#include "api/aws/xray_trace_api.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "apm/fake_trace_store.h"
#include "apm/span_builder.h"
#include "common/hex.h"
#include "ingest/aws/xray_segment.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;
using testing::SpanBuilder;

// 2024-01-01T00:00:00Z, the base of SpanBuilder's times, in epoch seconds.
constexpr int64_t kBase = SpanBuilder::kBaseNs / 1'000'000'000;

class XrayTraceApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    XrayApiDeps deps{nullptr, &store_, {}, nullptr};
    deps.clock = &clock_;
    register_xray_trace_api(router_, deps);
  }

  // The response, with its body parsed into doc_ (valid until the next call).
  HttpResponse post(std::string path, std::string body) {
    HttpRequest req;
    req.method = "POST";
    req.path = req.target = std::move(path);
    req.body = std::move(body);
    HttpResponse r = router_.dispatch(req);
    body_ = simdjson::padded_string(r.body);
    EXPECT_EQ(parser_.parse(body_).get(doc_), simdjson::SUCCESS) << r.body;
    return r;
  }

  static std::string header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  // Spans of a trace "<id>": frontend (server) -> client call -> backend (server).
  void add_trace(std::string_view id, int64_t start_ms, int status) {
    store_.spans.push_back(SpanBuilder(id, "a", "frontend")
                               .time_ms(start_ms, 100)
                               .http("GET", "http://shop/cart", 200)
                               .attr("annotation.tier", "gold")
                               .attr("annotation.items", "3", storage::AttrType::kInt)
                               .attr("enduser.id", "bob")
                               .attr("user_agent.original", "curl/8"));
    store_.spans.push_back(SpanBuilder(id, "b", "frontend")
                               .client()
                               .parent("a")
                               .time_ms(start_ms + 10, 50)
                               .http("POST", "http://backend/pay", status));
    store_.spans.push_back(SpanBuilder(id, "c", "backend")
                               .parent("b")
                               .time_ms(start_ms + 12, 40)
                               .http("POST", "http://backend/pay", status));
  }

  static std::string range(int64_t start_s, int64_t end_s, std::string extra = "") {
    return fmt::format(R"({{"StartTime": {}, "EndTime": {}{}}})", start_s, end_s, extra);
  }

  ManualClock clock_{(kBase + 3600) * 1000};
  testing::FakeTraceStore store_;
  Router router_;
  dom::parser parser_;
  simdjson::padded_string body_;
  dom::element doc_;
};

TEST_F(XrayTraceApiTest, GetTraceSummariesAnswersTheXrayShape) {
  add_trace("t1", 0, 200);
  add_trace("t2", 1000, 503);
  auto r = post("/TraceSummaries", range(kBase, kBase + 60));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(header(r, "x-amzn-RequestId").size(), 36u);
  dom::array summaries = doc_["TraceSummaries"];
  ASSERT_EQ(summaries.size(), 2u);
  dom::element newest = summaries.at(0);
  EXPECT_EQ(std::string_view(newest["Id"]),
            ingest::aws::format_xray_trace_id(testing::pad("t2", 16)));
  EXPECT_DOUBLE_EQ(double(newest["Duration"]), 0.1);
  EXPECT_DOUBLE_EQ(double(newest["ResponseTime"]), 0.1);
  EXPECT_TRUE(bool(newest["HasFault"]));
  EXPECT_FALSE(bool(newest["HasError"]));
  EXPECT_FALSE(bool(summaries.at(1)["HasFault"]));
  EXPECT_EQ(std::string_view(newest["Http"]["HttpURL"]), "http://shop/cart");
  EXPECT_EQ(int64_t(newest["Http"]["HttpStatus"]), 200);
  EXPECT_EQ(std::string_view(newest["Http"]["HttpMethod"]), "GET");
  EXPECT_EQ(std::string_view(newest["Http"]["UserAgent"]), "curl/8");
  EXPECT_EQ(std::string_view(newest["Annotations"]["tier"].at(0)["AnnotationValue"]["StringValue"]),
            "gold");
  EXPECT_DOUBLE_EQ(double(newest["Annotations"]["items"].at(0)["AnnotationValue"]["NumberValue"]),
                   3.0);
  EXPECT_EQ(std::string_view(newest["Users"].at(0)["UserName"]), "bob");
  EXPECT_EQ(std::string_view(newest["ServiceIds"].at(0)["Name"]), "backend");
  EXPECT_EQ(std::string_view(newest["ServiceIds"].at(1)["Name"]), "frontend");
  EXPECT_EQ(std::string_view(newest["EntryPoint"]["Name"]), "frontend");
  EXPECT_EQ(std::string_view(newest["EntryPoint"]["AccountId"]), "000000000000");
  EXPECT_EQ(uint64_t(doc_["TracesProcessedCount"]), 2u);
  EXPECT_EQ(doc_["NextToken"].error(), simdjson::NO_SUCH_FIELD);

  // The filter expression is the trace search's.
  r = post("/TraceSummaries",
           range(kBase, kBase + 60, R"(, "FilterExpression": "service(\"backend\") { fault }")"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(dom::array(doc_["TraceSummaries"]).size(), 1u);
  r = post("/TraceSummaries", range(kBase, kBase + 60, R"(, "FilterExpression": "nosuch(")"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(header(r, "x-amzn-ErrorType"), "InvalidRequestException");
  EXPECT_EQ(header(r, "x-amzn-RequestId").size(), 36u);
}

TEST_F(XrayTraceApiTest, TimeRangeTypeTraceIdCountsTraceStarts) {
  add_trace("t1", 0, 200);  // starts at kBase, its backend span at kBase + 0.012
  // A range that starts after the trace but holds none of its spans' starts: nothing.
  ASSERT_EQ(post("/TraceSummaries", range(kBase + 1, kBase + 60)).status, 200);
  EXPECT_EQ(dom::array(doc_["TraceSummaries"]).size(), 0u);
  // [kBase + 0.011, ...) holds the backend span but not the trace's start.
  const std::string from_mid = R"({"StartTime": )" + std::to_string(kBase) +
                               R"(.011, "EndTime": )" + std::to_string(kBase + 60);
  ASSERT_EQ(post("/TraceSummaries", from_mid + R"(, "TimeRangeType": "Event"})").status, 200);
  EXPECT_EQ(dom::array(doc_["TraceSummaries"]).size(), 1u);
  ASSERT_EQ(post("/TraceSummaries", from_mid + R"(, "TimeRangeType": "TraceId"})").status, 200);
  EXPECT_EQ(dom::array(doc_["TraceSummaries"]).size(), 0u);
  EXPECT_EQ(post("/TraceSummaries", from_mid + R"(, "TimeRangeType": "Bogus"})").status, 400);
  ASSERT_EQ(post("/TraceSummaries", range(kBase, kBase + 60)).status, 200);
  EXPECT_EQ(dom::array(doc_["TraceSummaries"]).size(), 1u);
}

TEST_F(XrayTraceApiTest, GetTraceSummariesPages) {
  for (int i = 0; i < 150; i++) add_trace(fmt::format("p{:03}", i), i * 10, 200);
  ASSERT_EQ(post("/TraceSummaries", range(kBase, kBase + 60)).status, 200);
  EXPECT_EQ(dom::array(doc_["TraceSummaries"]).size(), kTraceSummaryPage);
  const std::string token{std::string_view(doc_["NextToken"])};
  const std::string first_id{std::string_view(doc_["TraceSummaries"].at(0)["Id"])};
  auto r = post("/TraceSummaries",
                range(kBase, kBase + 60, fmt::format(R"(, "NextToken": "{}")", token)));
  ASSERT_EQ(r.status, 200) << r.body;
  dom::array page2 = doc_["TraceSummaries"];
  EXPECT_EQ(page2.size(), 50u);
  EXPECT_NE(std::string_view(page2.at(0)["Id"]), first_id);
  EXPECT_EQ(doc_["NextToken"].error(), simdjson::NO_SUCH_FIELD);
  // A token of another query is refused.
  r = post("/TraceSummaries",
           range(kBase, kBase + 61, fmt::format(R"(, "NextToken": "{}")", token)));
  EXPECT_EQ(r.status, 400);
}

TEST_F(XrayTraceApiTest, GetTraceSummariesNamesBadInput) {
  auto r = post("/TraceSummaries", R"({"EndTime": 1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(std::string_view(doc_["message"]), "GetTraceSummaries: StartTime is required");
  r = post("/TraceSummaries", range(kBase + 10, kBase));
  EXPECT_EQ(r.status, 400);
  r = post("/TraceSummaries", "[1]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(std::string_view(doc_["__type"]), "InvalidRequestException");
}

TEST_F(XrayTraceApiTest, BatchGetTracesReturnsSegmentDocuments) {
  // One X-Ray trace through its document, one OTLP trace.
  ASSERT_TRUE(ingest::aws::decode_xray_segment(
                  R"({"name": "web", "id": "70de5b6f19ff9a0a",
                      "trace_id": "1-581cf771-a006649127e371903a2de979",
                      "start_time": 1478293361.271, "end_time": 1478293361.449,
                      "annotations": {"tier": "gold"},
                      "subsegments": [{"name": "db", "id": "70de5b6f19ff9a0b",
                        "start_time": 1478293361.3, "end_time": 1478293361.4}]})",
                  {}, &store_.spans)
                  .ok());
  add_trace("t1", 0, 200);
  const std::string otlp_hex = hex_encode(testing::pad("t1", 16));
  auto r = post("/Traces", fmt::format(R"({{"TraceIds": ["1-581cf771-a006649127e371903a2de979",
      "{}", "1-00000000-000000000000000000000001"]}})",
                                       otlp_hex));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(header(r, "x-amzn-RequestId").size(), 36u);
  dom::array traces = doc_["Traces"];
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_EQ(std::string_view(traces.at(0)["Id"]), "1-581cf771-a006649127e371903a2de979");
  EXPECT_NEAR(double(traces.at(0)["Duration"]), 0.178, 1e-9);
  EXPECT_FALSE(bool(traces.at(0)["LimitExceeded"]));
  dom::array segments = traces.at(0)["Segments"];
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(std::string_view(segments.at(0)["Id"]), "70de5b6f19ff9a0a");
  {
    dom::parser p;
    simdjson::padded_string text(std::string_view(segments.at(0)["Document"]));
    dom::element seg = p.parse(text);
    EXPECT_EQ(std::string_view(seg["name"]), "web");
    EXPECT_EQ(std::string_view(seg["annotations"]["tier"]), "gold");
    EXPECT_EQ(std::string_view(seg["subsegments"].at(0)["name"]), "db");
  }
  EXPECT_EQ(std::string_view(traces.at(1)["Id"]),
            ingest::aws::format_xray_trace_id(testing::pad("t1", 16)));
  EXPECT_EQ(dom::array(traces.at(1)["Segments"]).size(), 2u);  // frontend and backend
  EXPECT_EQ(std::string_view(doc_["UnprocessedTraceIds"].at(0)),
            "1-00000000-000000000000000000000001");

  r = post("/BatchGetTraces", R"({"TraceIds": ["nope"]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(std::string_view(doc_["message"]).find("\"nope\""), std::string_view::npos);
  r = post("/Traces", R"({"TraceIds": []})");
  EXPECT_EQ(r.status, 400);
  r = post("/Traces",
           fmt::format(R"({{"TraceIds": ["{0}", "{0}", "{0}", "{0}", "{0}", "{0}"]}})", otlp_hex));
  EXPECT_EQ(r.status, 400);
}

TEST_F(XrayTraceApiTest, GetServiceGraphHasNodesEdgesAndCounts) {
  add_trace("t1", 0, 200);
  add_trace("t2", 1000, 503);
  auto r = post("/ServiceGraph", range(kBase, kBase + 60, R"(, "GroupName": "Default")"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(header(r, "x-amzn-RequestId").size(), 36u);
  dom::array services = doc_["Services"];
  ASSERT_EQ(services.size(), 2u);
  // Sorted by (type, name): backend, frontend.
  dom::element backend = services.at(0), frontend = services.at(1);
  EXPECT_EQ(std::string_view(backend["Name"]), "backend");
  EXPECT_FALSE(bool(backend["Root"]));
  EXPECT_TRUE(bool(frontend["Root"]));
  EXPECT_EQ(std::string_view(frontend["Type"]), "service");
  EXPECT_EQ(std::string_view(frontend["State"]), "active");
  EXPECT_EQ(uint64_t(backend["SummaryStatistics"]["TotalCount"]), 2u);
  EXPECT_EQ(uint64_t(backend["SummaryStatistics"]["OkCount"]), 1u);
  EXPECT_EQ(uint64_t(backend["SummaryStatistics"]["FaultStatistics"]["TotalCount"]), 1u);
  EXPECT_EQ(dom::array(backend["Edges"]).size(), 0u);
  dom::array edges = frontend["Edges"];
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(uint64_t(edges.at(0)["ReferenceId"]), uint64_t(backend["ReferenceId"]));
  EXPECT_EQ(uint64_t(edges.at(0)["SummaryStatistics"]["TotalCount"]), 2u);
  EXPECT_EQ(uint64_t(edges.at(0)["SummaryStatistics"]["FaultStatistics"]["TotalCount"]), 1u);
  EXPECT_DOUBLE_EQ(double(edges.at(0)["SummaryStatistics"]["TotalResponseTime"]), 0.1);
  // Two 50 ms calls from the caller's side: one histogram entry.
  EXPECT_EQ(uint64_t(edges.at(0)["ResponseTimeHistogram"].at(0)["Count"]), 2u);
  EXPECT_DOUBLE_EQ(double(edges.at(0)["ResponseTimeHistogram"].at(0)["Value"]), 0.05);
  EXPECT_DOUBLE_EQ(double(doc_["StartTime"]), double(kBase));
  EXPECT_FALSE(bool(doc_["ContainsOldGroupVersions"]));

  EXPECT_EQ(post("/ServiceGraph", R"({"StartTime": 5})").status, 400);
}

// A store that is overloaded: every read answers ResourceExhausted.
class OverloadedStore final : public storage::TraceStore {
 public:
  std::unique_ptr<storage::TraceAppender> appender(const storage::Tenant&) override {
    return nullptr;
  }
  Result<std::vector<storage::Span>> get_trace(const storage::Tenant&, std::string_view) override {
    return Status::resource_exhausted("trace store: too many reads");
  }
  Result<std::unique_ptr<storage::TraceScanner>> scan(const storage::SpanScan&) override {
    return Status::resource_exhausted("trace store: too many reads");
  }
  Status put_retention(const storage::Tenant&, int) override { return OkStatus(); }
  int retention_days(const storage::Tenant&) const override { return 30; }
  storage::TraceStoreStats stats() const override { return {}; }
  Status close() override { return OkStatus(); }
};

TEST(XrayTraceApiOverloadTest, AnOverloadedStoreIsThrottledException) {
  OverloadedStore store;
  ManualClock clock{1'700'000'000'000};
  XrayApiDeps deps{nullptr, &store, {}, nullptr};
  deps.clock = &clock;
  Router router;
  register_xray_trace_api(router, deps);
  HttpRequest req;
  req.method = "POST";
  req.path = req.target = "/Traces";
  req.body = R"({"TraceIds": ["1-581cf771-a006649127e371903a2de979"]})";
  HttpResponse r = router.dispatch(req);
  EXPECT_EQ(r.status, 429);
  bool throttled = false, retry = false;
  for (const auto& [k, v] : r.headers) {
    throttled |= k == "x-amzn-ErrorType" && v == "ThrottledException";
    retry |= k == "Retry-After";
  }
  EXPECT_TRUE(throttled) << r.body;
  EXPECT_TRUE(retry);
}

}  // namespace
}  // namespace opsight::api

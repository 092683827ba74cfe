#include "api/aws/xray_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>

namespace opsight::api {
namespace {

// An in-memory TraceStore that keeps what was committed.
class MemoryTraceStore final : public storage::TraceStore {
 public:
  class Appender final : public storage::TraceAppender {
   public:
    explicit Appender(MemoryTraceStore* s) : store_(s) {}
    Status append(std::span<const storage::Span> spans) override {
      staged_.insert(staged_.end(), spans.begin(), spans.end());
      return OkStatus();
    }
    Status commit() override {
      store_->spans.insert(store_->spans.end(), staged_.begin(), staged_.end());
      staged_.clear();
      return OkStatus();
    }
    void rollback() override { staged_.clear(); }

   private:
    MemoryTraceStore* store_;
    std::vector<storage::Span> staged_;
  };
  std::unique_ptr<storage::TraceAppender> appender(const storage::Tenant&) override {
    return std::make_unique<Appender>(this);
  }
  Result<std::vector<storage::Span>> get_trace(const storage::Tenant&, std::string_view) override {
    return spans;
  }
  Result<std::unique_ptr<storage::TraceScanner>> scan(const storage::SpanScan&) override {
    return Status::unimplemented("scan");
  }
  Status put_retention(const storage::Tenant&, int) override { return OkStatus(); }
  int retention_days(const storage::Tenant&) const override { return 30; }
  storage::TraceStoreStats stats() const override { return {}; }
  Status close() override { return OkStatus(); }

  std::vector<storage::Span> spans;
};

class XrayApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/opsight-xray-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto m = storage::meta::MetaStore::open(dir_ + "/meta.db", &clock_);
    ASSERT_TRUE(m.ok());
    meta_ = std::move(*m);
    sampling_ = std::make_unique<apm::xray::SamplingService>(meta_.get(), &clock_);
    XrayApiDeps deps{sampling_.get(), &traces_, {}, &span_metrics_};
    register_xray_api(main_, deps);
    register_xray_daemon_api(daemon_, deps);
  }
  void TearDown() override {
    sampling_.reset();
    meta_.reset();
    std::filesystem::remove_all(dir_);
  }

  HttpResponse post(const Router& r, std::string path, std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.method = "POST";
    req.path = req.target = std::move(path);
    req.body = std::move(body);
    req.headers = std::move(headers);
    return r.dispatch(req);
  }

  std::string dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<apm::xray::SamplingService> sampling_;
  MemoryTraceStore traces_;
  apm::SpanMetrics span_metrics_{{}, &clock_};
  Router main_, daemon_;
};

constexpr std::string_view kRule = R"({"SamplingRule": {"RuleName": "r", "ResourceARN": "*",
    "Priority": 5, "FixedRate": 0.25, "ReservoirSize": 4, "ServiceName": "svc",
    "ServiceType": "*", "Host": "*", "HTTPMethod": "*", "URLPath": "*", "Version": 1}})";
constexpr std::string_view kStats = R"({"SamplingStatisticsDocuments": [{"RuleName": "r",
    "ClientID": "0123456789abcdef01234567", "RequestCount": 10, "SampledCount": 5,
    "BorrowCount": 0, "Timestamp": 1700000000}]})";

TEST_F(XrayApiTest, RuleLifecycleThroughTheApi) {
  auto r = post(main_, "/CreateSamplingRule", std::string(kRule));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("RuleARN":"arn:aws:xray:local:000000000000:sampling-rule/r")"),
            std::string::npos);
  r = post(main_, "/CreateSamplingRule", std::string(kRule));
  EXPECT_EQ(r.status, 400);
  r = post(main_, "/UpdateSamplingRule",
           R"({"SamplingRuleUpdate": {"RuleARN": "arn:aws:xray:local:000000000000:sampling-rule/r",
               "FixedRate": 0.75}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("FixedRate":0.75)"), std::string::npos);
  r = post(main_, "/GetSamplingRules", "");
  ASSERT_EQ(r.status, 200);
  simdjson::dom::parser p;
  auto doc = p.parse(r.body);
  EXPECT_EQ(simdjson::dom::array(doc["SamplingRuleRecords"]).size(), 2u);
  r = post(main_, "/DeleteSamplingRule", R"({"RuleName": "r"})");
  EXPECT_EQ(r.status, 200);
  r = post(main_, "/DeleteSamplingRule", R"({"RuleName": "r"})");
  EXPECT_EQ(r.status, 400);
}

TEST_F(XrayApiTest, ErrorsHaveTheAwsShape) {
  auto r = post(main_, "/CreateSamplingRule", R"({"SamplingRule": {"RuleName": "x"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"__type":"InvalidRequestException","message":"ResourceARN is required"})");
  bool has_header = false;
  for (const auto& [k, v] : r.headers) {
    has_header |= k == "x-amzn-ErrorType" && v == "InvalidRequestException";
  }
  EXPECT_TRUE(has_header);
}

TEST_F(XrayApiTest, DaemonPortTimeStyleFollowsTheClient) {
  ASSERT_EQ(post(main_, "/CreateSamplingRule", std::string(kRule)).status, 200);
  // aws-xray-sdk-core (no User-Agent): LastRuleModification in ms, TTL as ISO-8601.
  auto node = post(daemon_, "/SamplingTargets", std::string(kStats));
  ASSERT_EQ(node.status, 200) << node.body;
  simdjson::dom::parser p;
  auto doc = p.parse(node.body);
  // The rule was created at the service's start: the modification time is one ms later, so it
  // is always after any fetch made before it.
  EXPECT_EQ(int64_t(doc["LastRuleModification"]), 1'700'000'000'001);
  EXPECT_EQ(std::string_view(doc["SamplingTargetDocuments"].at(0)["ReservoirQuotaTTL"]),
            "2023-11-14T22:14:20.000Z");
  EXPECT_EQ(int64_t(doc["SamplingTargetDocuments"].at(0)["ReservoirQuota"]), 4);
  // An AWS SDK: epoch seconds.
  auto sdk = post(daemon_, "/SamplingTargets", std::string(kStats),
                  {{"user-agent", "aws-sdk-go/1.44.0 (go1.20; linux; amd64)"}});
  ASSERT_EQ(sdk.status, 200);
  simdjson::dom::parser p2;
  auto doc2 = p2.parse(sdk.body);
  EXPECT_DOUBLE_EQ(double(doc2["LastRuleModification"]), 1'700'000'000.001);
  EXPECT_DOUBLE_EQ(double(doc2["SamplingTargetDocuments"].at(0)["ReservoirQuotaTTL"]),
                   1'700'000'060.0);
  // The daemon port only has the proxy paths.
  EXPECT_EQ(post(daemon_, "/CreateSamplingRule", std::string(kRule)).status, 404);
}

TEST_F(XrayApiTest, PutTraceSegmentsKeepsTheGoodDocuments) {
  const std::string good =
      R"({\"trace_id\": \"1-581cf771-a006649127e371903a2de979\", \"id\": \"70de5b6f19ff9a0a\", )"
      R"(\"name\": \"example.com\", \"start_time\": 1.478293361271E9, \"end_time\": 1.478293361449E9})";
  const std::string bad =
      R"({\"trace_id\": \"1-581cf771-a006649127e371903a2de979\", \"id\": \"70de5b6f19ff9a0b\", )"
      R"(\"name\": \"example.com\", \"start_time\": 1.478293361271E9})";
  auto r = post(main_, "/TraceSegments",
                R"({"TraceSegmentDocuments": [")" + good + R"(", ")" + bad + R"("]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"UnprocessedTraceSegments":[{"Id":"70de5b6f19ff9a0b","ErrorCode":"InvalidSegment",)"
            R"("Message":"X-Ray segment: end_time is required unless in_progress is true"}]})");
  ASSERT_EQ(traces_.spans.size(), 1u);
  EXPECT_EQ(traces_.spans[0].service, "example.com");
  EXPECT_EQ(span_metrics_.num_series(), 1u);  // the committed segment was counted
}

}  // namespace
}  // namespace opsight::api

#include "api/prom/push_api.h"

#include <gtest/gtest.h>

#include "collect/fake_store.h"
#include "collect/temp_dir.h"

namespace opsight::api {
namespace {

TEST(PushGrouping, PlainBase64AndErrors) {
  auto g = parse_push_grouping("job/backup/instance/db%2F1");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(g->to_string(), R"({instance="db/1", job="backup"})");
  // RFC 4648 URL-safe alphabet, padding optional; "=" is the empty value.
  g = parse_push_grouping("job@base64/YmFja3Vw/path@base64/L3Zhci90bXA/empty@base64/=/");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(g->to_string(), R"({job="backup", path="/var/tmp"})");
  EXPECT_EQ(parse_push_grouping("job/a/b").status().message(),
            "push URL: label b has no value (segments come in /<label>/<value> pairs)");
  EXPECT_NE(parse_push_grouping("jobs/a").status().message().find("must start with /metrics/job/"),
            std::string::npos);
  EXPECT_NE(parse_push_grouping("job/a/__x/1").status().message().find("not a valid label name"),
            std::string::npos);
  EXPECT_NE(parse_push_grouping("job/a/x/1/x/2").status().message().find("appears twice"),
            std::string::npos);
  EXPECT_NE(parse_push_grouping("job@base64/!!").status().message().find("invalid base64"),
            std::string::npos);
  EXPECT_NE(parse_push_grouping("job@base64/=").status().message().find("job name is empty"),
            std::string::npos);
}

class PushApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    collect::PushOptions o;
    o.dir = dir_.file("push");
    auto r = collect::PushRegistry::open(o, &store_, &clock_);
    ASSERT_TRUE(r.ok());
    reg_ = std::move(*r);
    register_push_api(router_, reg_.get(), ingest::Limits{});
  }
  HttpResponse call(std::string method, std::string target, std::string body,
                    std::string ct = "text/plain; version=0.0.4") {
    HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    req.path = url_decode(target, false);
    req.body = std::move(body);
    req.headers.emplace_back("content-type", std::move(ct));
    return router_.dispatch(req);
  }

  collect::testing::TempDir dir_;
  collect::testing::FakeStore store_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<collect::PushRegistry> reg_;
  Router router_;
};

TEST_F(PushApiTest, PutPostDeleteAndErrors) {
  EXPECT_EQ(call("PUT", "/metrics/job/j/instance/i", "a 1\nb 2\n").status, 200);
  EXPECT_EQ(reg_->series_of(Labels{{"job", "j"}, {"instance", "i"}}).size(), 2u);
  EXPECT_EQ(call("POST", "/metrics/job/j/instance/i", "a 3\n").status, 200);
  EXPECT_EQ(reg_->series_of(Labels{{"job", "j"}, {"instance", "i"}}).size(), 2u);
  auto bad = call("PUT", "/metrics/job/j/instance/i", "a 1\nb x\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("line 2: invalid value \"x\""), std::string::npos) << bad.body;
  auto proto = call("PUT", "/metrics/job/j", "\x0a\x01",
                    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
                    "encoding=delimited");
  EXPECT_EQ(proto.status, 415);
  EXPECT_NE(proto.body.find("send the text format"), std::string::npos);
  EXPECT_EQ(call("PUT", "/metrics/job/j/instance", "a 1\n").status, 400);
  EXPECT_EQ(call("DELETE", "/metrics/job/j/instance/i", "").status, 202);
  EXPECT_EQ(reg_->num_groups(), 0u);
  EXPECT_EQ(call("GET", "/metrics/job/j", "").status, 405);
}

}  // namespace
}  // namespace opsight::api

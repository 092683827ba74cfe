#include "aiops/investigate/log_analysis.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "storage/logstore/store.h"
#include "testing/temp_dir.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;  // window start
constexpr int64_t kBaselineStart = kStart - 3'600'000;
constexpr int64_t kEnd = kStart + 900'000;

AnalysisWindow window() {
  return AnalysisWindow{storage::Tenant{}, kBaselineStart, kStart, kEnd};
}

class LogAnalysisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::logstore::Options o;
    o.dir = dir_.path() + "/logs";
    o.clock = &clock_;
    o.background = false;
    o.wal_sync = storage::wal::SyncPolicy::kInterval;
    auto s = storage::logstore::Store::open(o);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }

  static storage::LogEvent event(int64_t ts, std::string message, std::string severity = "INFO",
                                 std::vector<storage::LogAttribute> attrs = {}) {
    storage::LogEvent e;
    e.timestamp_ms = ts;
    e.message = std::move(message);
    e.severity_text = std::move(severity);
    e.attributes = std::move(attrs);
    return e;
  }

  // Two steady INFO patterns every 5 s over B + W.
  static std::vector<storage::LogEvent> steady(std::vector<storage::LogAttribute> attrs = {}) {
    std::vector<storage::LogEvent> out;
    int i = 0;
    for (int64_t t = kBaselineStart; t < kEnd; t += 5'000, i++) {
      out.push_back(event(t,
                          "GET /items/" + std::to_string(1000 + i % 97) + " served in " +
                              std::to_string(10 + i % 13) + " ms",
                          "INFO", attrs));
      out.push_back(
          event(t + 1'000, "cache hit ratio 0." + std::to_string(90 + i % 9), "INFO", attrs));
    }
    return out;
  }

  void put(const std::string& group, const std::vector<storage::LogEvent>& events) {
    auto a = store_->appender(storage::Tenant{});
    ASSERT_TRUE(a->append(group, "s1", events, true).ok());
    ASSERT_TRUE(a->commit().ok());
  }

  testing::TempDir dir_{"log_analysis_test"};
  ManualClock clock_{kEnd};
  std::unique_ptr<storage::logstore::Store> store_;
};

TEST_F(LogAnalysisTest, NewErrorPatternPointsAtTheGroupsService) {
  std::vector<storage::LogEvent> payment = steady();
  const int64_t first_error = kStart + 125'000;
  for (int64_t t = first_error; t < kEnd; t += 10'000) {
    payment.push_back(event(
        t,
        "connect to 10.0.3." + std::to_string(t / 10'000 % 200) + ":5432 refused after 3 retries",
        "ERROR"));
  }
  put("/otel/payment", payment);
  put("/otel/checkout", steady());

  InvestigationStats stats;
  auto found = analyze_logs(*store_, window(), &stats);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 1u);
  const ComponentFinding& f = (*found)[0];
  EXPECT_EQ(f.component, "payment");
  EXPECT_EQ(f.component_type, "service");
  EXPECT_EQ(f.kind, "logs");
  EXPECT_EQ(f.onset_ms, first_error);
  EXPECT_GT(f.strength, 0.9);
  EXPECT_EQ(f.facts.at("new"), 1.0);
  EXPECT_NEAR(f.facts.at("window_count"), 78, 1);
  EXPECT_NE(f.clause.find("payment logs: new error pattern"), std::string::npos) << f.clause;
  ASSERT_EQ(f.evidence.size(), 1u);
  const Evidence& e = f.evidence[0];
  EXPECT_EQ(e.type, "log_pattern");
  EXPECT_EQ(e.link, "/api/v1/logs/patterns?group=%2Fotel%2Fpayment&start=" +
                        std::to_string(kStart) + "&end=" + std::to_string(kEnd));
  EXPECT_NE(e.data_json.find("\"log_group\":\"/otel/payment\""), std::string::npos);
  EXPECT_NE(e.data_json.find("\"new\":true"), std::string::npos);
  EXPECT_NE(e.data_json.find("\"baseline_count\":0"), std::string::npos);
  EXPECT_NE(e.data_json.find("\"samples\":[\"connect to 10.0.3."), std::string::npos)
      << e.data_json;
  // Both groups were read in full: 2 x (B + W) of the steady lines plus the errors.
  EXPECT_EQ(stats.log_events_scanned, 2 * steady().size() + 78);
  EXPECT_TRUE(stats.complete);
}

TEST_F(LogAnalysisTest, SteadyLogsGiveNoFinding) {
  put("/otel/payment", steady());
  put("/otel/checkout", steady());
  auto found = analyze_logs(*store_, window(), nullptr);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_TRUE(found->empty());
}

TEST_F(LogAnalysisTest, OtherGroupsAreMappedByTheServiceAttribute) {
  std::vector<storage::LogAttribute> attrs = {{"service.name", "inventory"}};
  std::vector<storage::LogEvent> events = steady(attrs);
  for (int64_t t = kStart + 60'000; t < kEnd; t += 20'000) {
    events.push_back(
        event(t, "stock reservation failed for sku " + std::to_string(t % 977), "WARN", attrs));
  }
  put("/app/inv", events);
  auto found = analyze_logs(*store_, window(), nullptr);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].component, "inventory");
  EXPECT_EQ((*found)[0].onset_ms, kStart + 60'000);
}

TEST_F(LogAnalysisTest, SpikingPatternIsReportedWithItsRatio) {
  std::vector<storage::LogEvent> events = steady();
  // "upstream timeout" once a minute in B, ten times a minute in W.
  for (int64_t t = kBaselineStart + 30'000; t < kEnd; t += (t < kStart ? 60'000 : 6'000)) {
    events.push_back(event(t, "upstream timeout after " + std::to_string(t % 5000) + " ms"));
  }
  put("/otel/gateway", events);
  auto found = analyze_logs(*store_, window(), nullptr);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 1u);
  const ComponentFinding& f = (*found)[0];
  EXPECT_EQ(f.component, "gateway");
  EXPECT_EQ(f.facts.at("new"), 0.0);
  EXPECT_NEAR(f.facts.at("ratio"), 10, 0.5);
  EXPECT_NEAR(f.facts.at("baseline_count"), 60, 1);
  EXPECT_GT(f.strength, 0.4);
  EXPECT_NE(f.clause.find("rose"), std::string::npos) << f.clause;
}

TEST_F(LogAnalysisTest, GroupWithoutBaselineIsNotCompared) {
  std::vector<storage::LogEvent> events;
  for (int64_t t = kStart; t < kEnd; t += 5'000) {
    events.push_back(event(t, "worker started job " + std::to_string(t % 1000), "ERROR"));
  }
  put("/otel/newcomer", events);
  auto found = analyze_logs(*store_, window(), nullptr);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST_F(LogAnalysisTest, BusyGroupsAreSampledAndCountsScaled) {
  // 25 lines/s over B + W: 22,500 in W (more than kLogSampleEvents) and 90,000 in B (only the
  // newest kLogSampleEvents are read), plus one new ERROR line per second from start + 300 s.
  std::vector<storage::LogEvent> events;
  int i = 0;
  for (int64_t t = kBaselineStart; t < kEnd; t += 40, i++) {
    events.push_back(event(t, "request " + std::to_string(i) + " ok"));
  }
  const int64_t first_error = kStart + 300'000;
  for (int64_t t = first_error; t < kEnd; t += 1'000) {
    events.push_back(
        event(t, "payment gateway returned 503 for order " + std::to_string(t % 7919), "ERROR"));
  }
  put("/otel/busy", events);
  InvestigationStats stats;
  auto found = analyze_logs(*store_, window(), &stats);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 1u);
  const ComponentFinding& f = (*found)[0];
  EXPECT_EQ(f.component, "busy");
  EXPECT_EQ(f.facts.at("new"), 1.0);
  EXPECT_NEAR(f.facts.at("window_count"), 600, 60);  // scaled from the sample
  EXPECT_GE(f.onset_ms, first_error);
  EXPECT_LT(f.onset_ms, first_error + 10'000);
  EXPECT_EQ(stats.log_events_scanned, 22'500 + 600 + kLogSampleEvents);
  EXPECT_TRUE(stats.complete);
}

}  // namespace
}  // namespace opsight::aiops

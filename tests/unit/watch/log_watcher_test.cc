// Tests of the log watcher: the per-group model (log_detector.h) driven directly, and passes over
// a real log store in a temp directory.
#include "aiops/watch/log_watcher.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>
#include <random>
#include <vector>

#include "common/clock.h"
#include "storage/logstore/store.h"
#include "testing/temp_dir.h"

namespace opsight::aiops::watch {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kPass = 30'000;

// ---- pure parts ----

TEST(TemplateCoversTest, WordTurnedVariable) {
  EXPECT_TRUE(template_covers("user <*> logged in", "user alice logged in"));
  EXPECT_TRUE(template_covers("user <*> logged in", "user <*> logged in"));
  EXPECT_FALSE(template_covers("user alice logged in", "user <*> logged in"));
  EXPECT_FALSE(template_covers("user <*> logged out", "user alice logged in"));
  EXPECT_FALSE(template_covers("user <*> logged in", "user alice smith logged in"));
  // Too general to stand for a specific event.
  EXPECT_FALSE(template_covers("<*> <*> <*> in", "user alice logged in"));
  EXPECT_FALSE(template_covers("<*>", "boom"));
}

TEST(LogLevelTest, NumbersThenText) {
  EXPECT_EQ(log_level(17, ""), LogLevel::kError);
  EXPECT_EQ(log_level(21, "whatever"), LogLevel::kError);
  EXPECT_EQ(log_level(13, ""), LogLevel::kWarn);
  EXPECT_EQ(log_level(9, "ERROR"), LogLevel::kInfo);  // the number rules
  EXPECT_EQ(log_level(0, "error"), LogLevel::kError);
  EXPECT_EQ(log_level(0, "CRITICAL"), LogLevel::kError);
  EXPECT_EQ(log_level(0, "Warning"), LogLevel::kWarn);
  EXPECT_EQ(log_level(0, "W"), LogLevel::kWarn);
  EXPECT_EQ(log_level(0, "info"), LogLevel::kInfo);
  EXPECT_EQ(log_level(0, ""), LogLevel::kUnknown);
}

TEST(LogRulesTest, ValidateNamesTheField) {
  EXPECT_TRUE(LogRules{}.validate().ok());
  LogRules r;
  r.ewma_tau_ms = 0;
  Status st = r.validate();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("ewma_tau_ms"), std::string::npos);
  r = LogRules{};
  r.spike_factor = 1;
  EXPECT_NE(r.validate().message().find("spike_factor"), std::string::npos);
}

TEST(ServiceOfGroupTest, OtelGroups) {
  EXPECT_EQ(service_of_group("/otel/payment"), "payment");
  EXPECT_EQ(service_of_group("/otel/unknown_service"), "");
  EXPECT_EQ(service_of_group("/aws/lambda/x"), "");
  EXPECT_EQ(service_of_group("/otel/"), "");
}

PatternObservation pat(uint64_t id, std::string text, double count,
                       LogLevel level = LogLevel::kInfo) {
  return PatternObservation{id, std::move(text), count, level, ""};
}

struct Collector {
  std::vector<LogFinding> got;
  bool accept = true;
  std::function<bool(const LogFinding&)> fn() {
    return [this](const LogFinding& f) {
      if (accept) got.push_back(f);
      return accept;
    };
  }
};

TEST(LogGroupModelTest, TemplateDriftIsNotANewPattern) {
  LogGroupModel m{LogRules{}};
  Collector c;
  int64_t t = kT0;
  for (int i = 0; i < 25; i++) {  // 12.5 min: warm
    t += kPass;
    std::vector<PatternObservation> ps = {pat(1, "user <*> logged in", 40)};
    m.observe(ps, t, kPass, c.fn());
  }
  ASSERT_TRUE(m.warm(t));
  // A quiet pass mines only alice's lines: the miner keeps her name.
  t += kPass;
  std::vector<PatternObservation> specific = {pat(2, "user alice logged in", 5)};
  m.observe(specific, t, kPass, c.fn());
  EXPECT_TRUE(c.got.empty());
  EXPECT_EQ(m.ewma_of(2), -1);  // counted under the general template
  // And the other way round: a general template over known specific ones is known too.
  LogGroupModel m2{LogRules{}};
  t = kT0;
  for (int i = 0; i < 25; i++) {
    t += kPass;
    std::vector<PatternObservation> ps = {pat(11, "disk sda is full", 4),
                                          pat(12, "disk sdb is full", 4)};
    m2.observe(ps, t, kPass, c.fn());
  }
  t += kPass;
  std::vector<PatternObservation> general = {pat(13, "disk <*> is full", 8)};
  m2.observe(general, t, kPass, c.fn());
  EXPECT_TRUE(c.got.empty());
  EXPECT_NEAR(m2.ewma_of(13), m2.ewma_of(11) + m2.ewma_of(12), 2.0);
}

TEST(LogGroupModelTest, RefusedAlarmIsOfferedAgain) {
  LogGroupModel m{LogRules{}};
  Collector c;
  int64_t t = kT0;
  for (int i = 0; i < 21; i++) {
    t += kPass;
    std::vector<PatternObservation> ps = {pat(1, "tick <*>", 10)};
    m.observe(ps, t, kPass, c.fn());
  }
  std::vector<PatternObservation> ps = {pat(1, "tick <*>", 10),
                                        pat(2, "Charge failed <*>", 4, LogLevel::kError)};
  c.accept = false;
  t += kPass;
  EXPECT_EQ(m.observe(ps, t, kPass, c.fn()).rejected, 1u);
  c.accept = true;
  t += kPass;
  m.observe(ps, t, kPass, c.fn());
  ASSERT_EQ(c.got.size(), 1u);
  EXPECT_EQ(c.got[0].kind, LogFinding::Kind::kNewPattern);
  EXPECT_EQ(c.got[0].count, 8);  // both passes' events
  EXPECT_GT(c.got[0].severity, 0.7);
}

TEST(LogGroupModelTest, PatternsAreBoundedLeastRecentlySeenFirst) {
  LogRules rules;
  rules.max_patterns = 5;
  LogGroupModel m{rules};
  Collector c;
  int64_t t = kT0;
  for (uint64_t id = 1; id <= 8; id++) {
    t += kPass;
    std::vector<PatternObservation> ps = {pat(id, fmt::format("event{} happened", id), 1),
                                          pat(100, "keepalive <*>", 1)};
    m.observe(ps, t, kPass, c.fn());
  }
  EXPECT_EQ(m.num_patterns(), 5u);
  EXPECT_GE(m.ewma_of(100), 0);  // seen every pass
  EXPECT_GE(m.ewma_of(8), 0);
  EXPECT_EQ(m.ewma_of(1), -1);
  EXPECT_EQ(m.ewma_of(4), -1);
  EXPECT_GE(m.ewma_of(5), 0);
}

TEST(LogSignalTest, SummaryAndIdentity) {
  LogFinding f;
  f.kind = LogFinding::Kind::kNewPattern;
  f.pattern_id = 0xabc;
  f.template_text = "Charge failed: <*>";
  f.count = 12;
  f.severity = 0.7;
  Signal s = log_signal(storage::Tenant{}, "/otel/payment", "payment", f, 1234);
  EXPECT_EQ(s.kind, SignalKind::kLogAnomaly);
  EXPECT_EQ(s.source, "/otel/payment#0000000000000abc");
  EXPECT_EQ(s.service, "payment");
  EXPECT_EQ(s.dimensions, (std::map<std::string, std::string>{{"log_group", "/otel/payment"}}));
  EXPECT_EQ(s.state, "ALARM");
  EXPECT_EQ(s.time_ms, 1234);
  EXPECT_EQ(s.summary, "new log pattern in /otel/payment: \"Charge failed: <*>\" (12 events)");
}

// ---- passes over the real store ----

class LogWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::logstore::Options o;
    o.dir = dir_.path() + "/logs";
    o.clock = &clock_;
    o.background = false;
    auto s = storage::logstore::Store::open(o);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }

  // Appends `events` to `group` as ingested at `t` (the store stamps the ingestion time).
  void ingest(const std::string& group, int64_t t, std::vector<storage::LogEvent> events) {
    clock_.set_ms(t);
    auto app = store_->appender(storage::Tenant{});
    ASSERT_TRUE(app->append(group, "host-1", events, /*create_missing=*/true).ok());
    ASSERT_TRUE(app->commit().ok());
  }

  static storage::LogEvent line(int64_t t, std::string message, std::string severity = "INFO") {
    storage::LogEvent e;
    e.timestamp_ms = t;
    e.message = std::move(message);
    e.severity_text = std::move(severity);
    return e;
  }

  // The steady traffic of one 30 s pass of a payment service.
  std::vector<storage::LogEvent> steady_batch(int64_t t, int cache_lines = 5) {
    std::vector<storage::LogEvent> out;
    for (int i = 0; i < 20; i++) {
      out.push_back(line(
          t + i, fmt::format("GET /api/cart/{} 200 in {} ms", rng_() % 10000, rng_() % 300 + 1)));
    }
    for (int i = 0; i < cache_lines; i++) {
      out.push_back(
          line(t + 20 + i, fmt::format("cache refresh completed in {} ms", rng_() % 50 + 1)));
    }
    out.push_back(line(t + 40, fmt::format("connected to orders-db pool size {}", rng_() % 20)));
    return out;
  }

  std::vector<storage::LogEvent> charge_failures(int64_t t, int n) {
    std::vector<storage::LogEvent> out;
    for (int i = 0; i < n; i++) {
      out.push_back(line(t + 100 + i,
                         fmt::format("Charge failed: card declined for order {}", rng_() % 100000),
                         "ERROR"));
    }
    return out;
  }

  LogWatcher& watcher(LogWatcherOptions o = {}) {
    if (watcher_ == nullptr) {
      watcher_ = std::make_unique<LogWatcher>(
          store_.get(),
          [this](Signal s) {
            signals_.push_back(std::move(s));
            return true;
          },
          std::move(o));
    }
    return *watcher_;
  }

  // Pass k runs at kT0 + k x 30 s over what was ingested 5 s before.
  std::vector<Signal> pass(int k,
                           const std::function<std::vector<storage::LogEvent>(int64_t)>& batch,
                           const std::string& group = "/otel/payment") {
    const int64_t now = kT0 + k * kPass;
    ingest(group, now - 5'000, batch(now - 5'000));
    Status st = watcher().run_once(now);
    EXPECT_TRUE(st.ok()) << st.to_string();
    std::vector<Signal> got;
    got.swap(signals_);
    return got;
  }

  opsight::testing::TempDir dir_{"watch_log"};
  ManualClock clock_{kT0};
  std::unique_ptr<storage::logstore::Store> store_;
  std::unique_ptr<LogWatcher> watcher_;
  std::vector<Signal> signals_;
  std::mt19937 rng_{42};
};

TEST_F(LogWatcherTest, NewErrorPatternAfterSteadyTraffic) {
  auto steady = [&](int64_t t) { return steady_batch(t); };
  for (int k = 1; k <= 30; k++) {  // 15 min
    EXPECT_TRUE(pass(k, steady).empty()) << "pass " << k;
  }
  std::vector<Signal> all;
  auto failing = [&](int64_t t) {
    auto b = steady_batch(t);
    auto f = charge_failures(t, 12);
    b.insert(b.end(), f.begin(), f.end());
    return b;
  };
  std::vector<Signal> got = pass(31, failing);
  ASSERT_EQ(got.size(), 1u);
  const Signal s = got[0];
  EXPECT_EQ(s.kind, SignalKind::kLogAnomaly);
  EXPECT_EQ(s.state, "ALARM");
  EXPECT_EQ(s.service, "payment");
  EXPECT_EQ(s.dimensions.at("log_group"), "/otel/payment");
  EXPECT_EQ(s.source.substr(0, 14), "/otel/payment#");
  EXPECT_EQ(s.source.size(), 14u + 16);
  EXPECT_EQ(s.summary,
            "new log pattern in /otel/payment: \"Charge failed: card declined for order <*>\" "
            "(12 events)");
  EXPECT_GT(s.severity, 0.7);  // an ERROR pattern
  EXPECT_EQ(s.time_ms, kT0 + 31 * kPass);
  // It goes on for a while: nothing new; then it stops: OK after two quiet passes.
  for (int k = 32; k <= 35; k++) EXPECT_TRUE(pass(k, failing).empty()) << "pass " << k;
  EXPECT_TRUE(pass(36, steady).empty());
  got = pass(37, steady);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state, "OK");
  EXPECT_EQ(got[0].source, s.source);
  LogWatcherStats st = watcher().stats();
  EXPECT_EQ(st.passes, 37u);
  EXPECT_EQ(st.new_patterns, 1u);
  EXPECT_EQ(st.recoveries, 1u);
  EXPECT_EQ(st.groups_tracked, 1u);
  EXPECT_EQ(st.scan_errors, 0u);
  EXPECT_EQ(st.events_read, st.events_mined);  // no sampling at these volumes
}

TEST_F(LogWatcherTest, RateSpikeOfAKnownPattern) {
  auto steady = [&](int64_t t) { return steady_batch(t); };
  for (int k = 1; k <= 25; k++) ASSERT_TRUE(pass(k, steady).empty()) << "pass " << k;
  std::vector<Signal> got = pass(26, [&](int64_t t) { return steady_batch(t, 100); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state, "ALARM");
  EXPECT_NE(got[0].summary.find("log pattern spike in /otel/payment: \"cache refresh completed "
                                "in <*> ms\" (100 events, x"),
            std::string::npos)
      << got[0].summary;
  EXPECT_TRUE(pass(27, steady).empty());
  got = pass(28, steady);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state, "OK");
  EXPECT_EQ(watcher().stats().spikes, 1u);
}

TEST_F(LogWatcherTest, NothingDuringWarmUp) {
  auto steady = [&](int64_t t) { return steady_batch(t); };
  auto failing = [&](int64_t t) {
    auto b = steady_batch(t);
    auto f = charge_failures(t, 12);
    b.insert(b.end(), f.begin(), f.end());
    return b;
  };
  for (int k = 1; k <= 8; k++) EXPECT_TRUE(pass(k, steady).empty());
  EXPECT_TRUE(pass(9, failing).empty());  // minute 4.5: still learning
  for (int k = 10; k <= 24; k++) EXPECT_TRUE(pass(k, steady).empty());
  EXPECT_TRUE(pass(25, failing).empty());  // known by now (and no spike: 12 < 20 events)
  EXPECT_EQ(watcher().stats().new_patterns, 0u);
}

TEST_F(LogWatcherTest, ServiceFromTheEventsWhenTheGroupDoesNotSayIt) {
  auto tagged = [](std::vector<storage::LogEvent> b) {
    for (auto& e : b) e.attributes.push_back({"service.name", "inventory"});
    return b;
  };
  auto steady = [&](int64_t t) { return tagged(steady_batch(t)); };
  for (int k = 1; k <= 21; k++) ASSERT_TRUE(pass(k, steady, "app-logs").empty());
  std::vector<Signal> got = pass(
      22,
      [&](int64_t t) {
        auto b = steady_batch(t);
        auto f = charge_failures(t, 5);
        b.insert(b.end(), f.begin(), f.end());
        return tagged(b);
      },
      "app-logs");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].service, "inventory");
  EXPECT_EQ(got[0].source.substr(0, 9), "app-logs#");
}

TEST_F(LogWatcherTest, LargePassesAreSampledEvenlyAndScaledBack) {
  std::vector<storage::LogEvent> big;
  int failed = 0;
  for (int i = 0; i < 12'000; i++) {
    const bool fail = rng_() % 4 == 0;
    failed += fail ? 1 : 0;
    big.push_back(fail ? line(kT0 + i, fmt::format("job {} failed", i), "ERROR")
                       : line(kT0 + i, fmt::format("job {} done", i)));
  }
  ingest("/otel/batch", kT0 + 20'000, big);
  LogWatcherOptions o;
  auto batch =
      LogWatcher::read_batch(store_.get(), storage::Tenant{}, "/otel/batch", kT0, kT0 + 30'000, o);
  ASSERT_TRUE(batch.ok()) << batch.status().to_string();
  EXPECT_EQ(batch->total, 12'000u);
  EXPECT_EQ(batch->lines.size(), 5'000u);
  for (const auto& l : batch->lines) ASSERT_FALSE(l.empty());
  std::vector<PatternObservation> ps = mine_batch(*batch);
  ASSERT_EQ(ps.size(), 2u);
  double sum = 0;
  for (const auto& p : ps) {
    sum += p.count;
    if (p.template_text == "job <*> failed") {
      EXPECT_NEAR(p.count, failed, 300);
      EXPECT_EQ(p.level, LogLevel::kError);
    } else {
      EXPECT_EQ(p.template_text, "job <*> done");
      EXPECT_NEAR(p.count, 12'000 - failed, 300);
    }
  }
  EXPECT_NEAR(sum, 12'000, 1e-6);
  // Outside the ingestion interval: nothing.
  auto none = LogWatcher::read_batch(store_.get(), storage::Tenant{}, "/otel/batch", kT0 + 20'001,
                                     kT0 + 60'000, o);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->total, 0u);
}

TEST_F(LogWatcherTest, DeletedGroupsAreForgotten) {
  auto steady = [&](int64_t t) { return steady_batch(t); };
  pass(1, steady);
  pass(2, steady, "/otel/other");
  EXPECT_EQ(watcher().stats().groups_tracked, 2u);
  ASSERT_TRUE(store_->delete_group(storage::Tenant{}, "/otel/other").ok());
  ASSERT_TRUE(watcher().run_once(kT0 + 3 * kPass).ok());
  EXPECT_EQ(watcher().stats().groups_tracked, 1u);
}

}  // namespace
}  // namespace opsight::aiops::watch

// Tests of the RED watcher: the rules and the counter arithmetic (red_detector.h) and passes over
// span-derived counters written by apm::SpanMetrics into a real tsdb.
#include "aiops/watch/red_watcher.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "apm/span_metrics.h"
#include "common/clock.h"
#include "testing/any_time_tsdb.h"

namespace opsight::aiops::watch {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kT0 = 1'700'000'000'000;  // minute 0 of every scenario
constexpr int64_t kWriteEvery = 15'000;     // SpanMetrics write interval

using ValuePoints = std::vector<storage::ValuePoint>;

// ---- pure parts ----

TEST(CounterIncreaseTest, SplitsIntervalsAndHandlesResets) {
  // (0, 10] and (10, 20]; the sample at 0 is the anchor, the drop at 15 a reset.
  ValuePoints p = {{-5, 1}, {0, 2}, {5, 7}, {10, 9}, {15, 3}, {20, 5}, {25, 100}};
  IncreasePair inc = counter_increase(p, 0, 10, 20);
  EXPECT_DOUBLE_EQ(inc.first, 7);   // 2 -> 7 -> 9
  EXPECT_DOUBLE_EQ(inc.second, 5);  // reset to 3 (counts 3), then +2
}

TEST(CounterIncreaseTest, NoAnchorAddsNothingAndNaNIsSkipped) {
  ValuePoints p = {{5, 4}, {8, storage::stale_nan()}, {12, 6}};
  IncreasePair inc = counter_increase(p, 0, 10, 20);
  EXPECT_DOUBLE_EQ(inc.first, 0);
  EXPECT_DOUBLE_EQ(inc.second, 2);
}

RedObservation obs(double base_req, double base_faults, double base_lat, double win_req,
                   double win_faults, double win_lat) {
  RedObservation o;
  o.baseline = {base_req, base_faults, base_req * base_lat, base_req, 30 * kMin};
  o.window = {win_req, win_faults, win_req * win_lat, win_req, 2 * kMin};
  return o;
}

TEST(RedDeviationsTest, FaultRatioThresholds) {
  RedRules rules;
  // Baseline 0.2%: the limit is max(5%, 3 x 0.2% + 1%) = 5%.
  EXPECT_TRUE(red_deviations(obs(18000, 36, 0.1, 1200, 60, 0.1), rules).size() == 1);
  EXPECT_TRUE(red_deviations(obs(18000, 36, 0.1, 1200, 59, 0.1), rules).empty());
  // Baseline 4%: the limit is 13%.
  EXPECT_TRUE(red_deviations(obs(18000, 720, 0.1, 1200, 150, 0.1), rules).empty());
  EXPECT_EQ(red_deviations(obs(18000, 720, 0.1, 1200, 160, 0.1), rules).size(), 1u);
  // Fewer than min_requests in the window: errors and latency are not judged (traffic is).
  auto devs = red_deviations(obs(18000, 0, 0.1, 19, 19, 3.0), rules);
  ASSERT_EQ(devs.size(), 1u);
  EXPECT_EQ(devs[0].aspect, RedAspect::kTraffic);
}

TEST(RedDeviationsTest, LatencyNeedsFactorAndAbsoluteIncrease) {
  RedRules rules;
  auto devs = red_deviations(obs(18000, 0, 0.1, 1200, 0, 0.35), rules);
  ASSERT_EQ(devs.size(), 1u);
  EXPECT_EQ(devs[0].aspect, RedAspect::kLatency);
  EXPECT_NEAR(devs[0].value, 0.35, 1e-9);
  EXPECT_NEAR(devs[0].baseline, 0.1, 1e-9);
  // x5 but only +40 ms.
  EXPECT_TRUE(red_deviations(obs(18000, 0, 0.010, 1200, 0, 0.050), rules).empty());
  // +150 ms but only x2.5.
  EXPECT_TRUE(red_deviations(obs(18000, 0, 0.1, 1200, 0, 0.25), rules).empty());
}

TEST(RedDeviationsTest, TrafficDropNeedsBusyBaseline) {
  RedRules rules;
  // 10/s -> 1/s (and -> 0): a drop.
  auto devs = red_deviations(obs(18000, 0, 0.1, 120, 0, 0.1), rules);
  ASSERT_EQ(devs.size(), 1u);
  EXPECT_EQ(devs[0].aspect, RedAspect::kTraffic);
  EXPECT_EQ(red_deviations(obs(18000, 0, 0.1, 0, 0, 0), rules).size(), 1u);
  EXPECT_GT(red_deviations(obs(18000, 0, 0.1, 0, 0, 0), rules)[0].severity, devs[0].severity);
  // 10/s -> 3/s: not enough of a drop.
  EXPECT_TRUE(red_deviations(obs(18000, 0, 0.1, 360, 0, 0.1), rules).empty());
  // 0.5/s -> 0: the baseline is too quiet to call it a drop.
  EXPECT_TRUE(red_deviations(obs(900, 0, 0.1, 0, 0, 0), rules).empty());
}

TEST(RedRulesTest, ValidateNamesTheField) {
  EXPECT_TRUE(RedRules{}.validate().ok());
  RedRules r;
  r.traffic_drop_factor = 1.5;
  Status st = r.validate();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("traffic_drop_factor"), std::string::npos);
  r = RedRules{};
  r.window_ms = 0;
  EXPECT_NE(r.validate().message().find("window_ms"), std::string::npos);
}

TEST(RedSummaryTest, ReadsLikeTheTimeline) {
  RedDeviation d{RedAspect::kErrors, 0.31, 0.002, 0.7};
  EXPECT_EQ(red_summary("payment", "POST /charges", d, false),
            "payment POST /charges fault ratio 31% (baseline 0.2%)");
  RedDeviation l{RedAspect::kLatency, 2.4, 0.12, 0.8};
  EXPECT_EQ(red_summary("payment", "POST /charges", l, false),
            "payment POST /charges mean latency 2.4 s (baseline 120 ms, x20.0)");
  RedDeviation t{RedAspect::kTraffic, 0.5, 12.3, 0.6};
  EXPECT_EQ(red_summary("payment", "POST /charges", t, true),
            "payment POST /charges request rate back to 0.5/s (baseline 12.3/s)");
}

TEST(RedDetectorTest, RefusedAlarmIsOfferedAgainAndRecoveryTakesTwoPasses) {
  RedDetector det{RedRules{}};
  std::map<ServiceOperation, RedObservation> bad = {
      {{"payment", "POST /charges"}, obs(18000, 36, 0.1, 1200, 400, 0.1)}};
  std::map<ServiceOperation, RedObservation> good = {
      {{"payment", "POST /charges"}, obs(18000, 36, 0.1, 1200, 2, 0.1)}};
  std::vector<Signal> got;
  bool accept = false;
  SignalSink sink = [&](Signal s) {
    if (accept) got.push_back(std::move(s));
    return accept;
  };
  storage::Tenant t;
  EXPECT_EQ(det.observe(t, bad, 1000, sink).rejected, 1u);
  EXPECT_EQ(det.num_alarming(), 0u);
  accept = true;
  det.observe(t, bad, 2000, sink);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state, "ALARM");
  EXPECT_EQ(got[0].source, "payment/POST /charges/errors");
  det.observe(t, bad, 3000, sink);   // still bad: nothing new
  det.observe(t, good, 4000, sink);  // 1st pass within bounds
  EXPECT_EQ(got.size(), 1u);
  det.observe(t, bad, 5000, sink);  // relapses: the count starts again
  det.observe(t, good, 6000, sink);
  EXPECT_EQ(got.size(), 1u);
  det.observe(t, {}, 7000, sink);  // no data at all counts as within bounds
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].state, "OK");
  EXPECT_EQ(got[1].source, "payment/POST /charges/errors");
  EXPECT_EQ(got[1].time_ms, 7000);
  EXPECT_EQ(det.num_alarming(), 0u);
}

// ---- passes over the real store ----

// One (service, operation)'s traffic per minute of the scenario.
struct Traffic {
  std::string service, operation;
  double rps = 10;
  double fault_ratio = 0.002;
  double latency_s = 0.1;
};

class RedWatcherTest : public ::testing::Test {
 protected:
  RedWatcherTest() : clock_(kT0) { restart_span_metrics(); }

  void restart_span_metrics() {
    metrics_ = std::make_unique<apm::SpanMetrics>(apm::SpanMetricsOptions{}, &clock_);
  }

  // Counts the traffic of [from, to) minutes in 15 s steps and writes them as SpanMetrics does.
  void run_traffic(double from_min, double to_min,
                   const std::function<std::vector<Traffic>(double minute)>& traffic) {
    for (int64_t t = kT0 + static_cast<int64_t>(from_min * kMin) + kWriteEvery;
         t <= kT0 + static_cast<int64_t>(to_min * kMin); t += kWriteEvery) {
      clock_.set_ms(t);
      double minute = static_cast<double>(t - kWriteEvery - kT0) / kMin;
      apm::SpanTally tally;
      for (const Traffic& tr : traffic(minute)) {
        apm::SpanIncrement inc;
        inc.requests = static_cast<uint64_t>(tr.rps * kWriteEvery / 1000);
        inc.faults = static_cast<uint64_t>(static_cast<double>(inc.requests) * tr.fault_ratio +
                                           carry_[tr.service + tr.operation]);
        carry_[tr.service + tr.operation] +=
            static_cast<double>(inc.requests) * tr.fault_ratio - static_cast<double>(inc.faults);
        inc.sum_seconds = static_cast<double>(inc.requests) * tr.latency_s;
        inc.buckets[0] = inc.requests;
        tally[{tr.service, tr.operation}] = inc;
      }
      if (!tally.empty()) metrics_->add(storage::Tenant{}, tally);
      ASSERT_TRUE(metrics_->write(&tsdb_.db()).ok());
    }
  }

  std::vector<Signal> pass(double minute) {
    std::vector<Signal> got;
    RedWatcher* w = watcher();
    Status st = w->run_once(kT0 + static_cast<int64_t>(minute * kMin));
    EXPECT_TRUE(st.ok()) << st.to_string();
    got.swap(signals_);
    return got;
  }

  RedWatcher* watcher() {
    if (watcher_ == nullptr) {
      watcher_ = std::make_unique<RedWatcher>(
          &tsdb_.db(),
          [this](Signal s) {
            signals_.push_back(std::move(s));
            return true;
          },
          RedWatcherOptions{});
    }
    return watcher_.get();
  }

  static std::vector<Traffic> steady(double) {
    return {{"payment", "POST /charges"}, {"checkout", "POST /checkout", 5, 0, 0.2}};
  }

  ManualClock clock_;
  opsight::testing::AnyTimeTsdb tsdb_;
  std::unique_ptr<apm::SpanMetrics> metrics_;
  std::unique_ptr<RedWatcher> watcher_;
  std::vector<Signal> signals_;
  std::map<std::string, double> carry_;
};

TEST_F(RedWatcherTest, FaultStepRaisesOneAlarmAndRecovers) {
  auto traffic = [](double minute) {
    auto t = steady(minute);
    if (minute >= 35 && minute < 40) t[0].fault_ratio = 0.31;
    return t;
  };
  run_traffic(0, 37, traffic);
  std::vector<Signal> got = pass(37);
  ASSERT_EQ(got.size(), 1u);
  const Signal& s = got[0];
  EXPECT_EQ(s.kind, SignalKind::kRed);
  EXPECT_EQ(s.state, "ALARM");
  EXPECT_EQ(s.source, "payment/POST /charges/errors");
  EXPECT_EQ(s.service, "payment");
  EXPECT_EQ(s.dimensions.at("operation"), "POST /charges");
  EXPECT_EQ(s.time_ms, kT0 + 37 * kMin);
  EXPECT_EQ(s.tenant, storage::Tenant{});
  EXPECT_GT(s.severity, 0.6);
  EXPECT_LE(s.severity, 1.0);
  EXPECT_NE(s.summary.find("payment POST /charges fault ratio 3"), std::string::npos) << s.summary;
  EXPECT_NE(s.summary.find("(baseline 0.2"), std::string::npos) << s.summary;

  // The fault goes on until minute 40, then stops; passes every 30 s.
  std::vector<Signal> later;
  for (double m = 37.5; m <= 45; m += 0.5) {
    run_traffic(m - 0.5, m, traffic);
    for (auto& x : pass(m)) later.push_back(std::move(x));
    if (m < 41) {
      EXPECT_TRUE(later.empty()) << m << ": " << later[0].summary;
    }
  }
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].state, "OK");
  EXPECT_EQ(later[0].source, "payment/POST /charges/errors");
  EXPECT_LE(later[0].time_ms, kT0 + 43 * kMin);
  RedWatcherStats st = watcher()->stats();
  EXPECT_EQ(st.alarms, 1u);
  EXPECT_EQ(st.recoveries, 1u);
  EXPECT_EQ(st.alarming, 0u);
  EXPECT_EQ(st.read_errors, 0u);
  EXPECT_GT(st.series_read, 0u);
}

TEST_F(RedWatcherTest, SteadyServicesRaiseNothing) {
  run_traffic(0, 32, steady);
  for (double m = 32; m <= 40; m += 0.5) {
    if (m > 32) run_traffic(m - 0.5, m, steady);
    EXPECT_TRUE(pass(m).empty()) << m;
  }
  EXPECT_EQ(watcher()->stats().operations_evaluated, 17u * 2);
}

TEST_F(RedWatcherTest, CounterResetIsNotADeviation) {
  run_traffic(0, 36, steady);
  restart_span_metrics();  // the process restarted: every counter starts again from 0
  run_traffic(36, 40, steady);
  for (double m = 36.5; m <= 40; m += 0.5) EXPECT_TRUE(pass(m).empty()) << m;
  auto obs = RedWatcher::read_observations(&tsdb_.db(), storage::Tenant{}, kT0 + 37 * kMin,
                                           RedRules{}, 10 * kMin, 100);
  ASSERT_TRUE(obs.ok()) << obs.status().to_string();
  const RedObservation& o = obs->at({"payment", "POST /charges"});
  EXPECT_NEAR(o.window.rate_per_s(), 10, 0.01);
  EXPECT_NEAR(o.baseline.rate_per_s(), 10, 0.01);
  EXPECT_NEAR(o.window.mean_latency_s(), 0.1, 1e-9);
}

TEST_F(RedWatcherTest, LatencyRiseAndTrafficDrop) {
  auto traffic = [](double minute) {
    auto t = steady(minute);
    if (minute >= 35) {
      t[0].latency_s = 0.9;  // payment x9
      t.pop_back();          // checkout stops answering
    }
    return t;
  };
  run_traffic(0, 37, traffic);
  std::vector<Signal> got = pass(37);
  ASSERT_EQ(got.size(), 2u);
  std::map<std::string, Signal> by_source;
  for (auto& s : got) by_source[s.source] = s;
  ASSERT_TRUE(by_source.count("payment/POST /charges/latency"));
  ASSERT_TRUE(by_source.count("checkout/POST /checkout/traffic"));
  EXPECT_EQ(by_source["payment/POST /charges/latency"].summary,
            "payment POST /charges mean latency 900 ms (baseline 100 ms, x9.0)");
  EXPECT_EQ(by_source["checkout/POST /checkout/traffic"].summary,
            "checkout POST /checkout request rate 0/s (baseline 5/s)");
}

TEST_F(RedWatcherTest, OnlyTheListedTenantsAreRead) {
  RedWatcherOptions o;
  storage::Tenant other{"111111111111", "eu-west-1"};
  o.tenants = [other] { return std::vector<storage::Tenant>{other}; };
  std::vector<Signal> got;
  RedWatcher w(
      &tsdb_.db(),
      [&](Signal s) {
        got.push_back(std::move(s));
        return true;
      },
      o);
  auto traffic = [](double minute) {
    auto t = steady(minute);
    if (minute >= 35) t[0].fault_ratio = 0.5;
    return t;
  };
  run_traffic(0, 37, traffic);
  ASSERT_TRUE(w.run_once(kT0 + 37 * kMin).ok());
  EXPECT_TRUE(got.empty());  // the data is the default tenant's
  EXPECT_EQ(w.stats().series_read, 0u);
}

}  // namespace
}  // namespace opsight::aiops::watch

// Rule group evaluation over the real tsdb: recording rules, staleness, the alert state machine
// with `for` and keep_firing_for, templates, limits, ALERTS series, notifications, and the
// manager's load/reload. Time is the evaluation timestamp passed to eval(); nothing waits.
#include "rules/group.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "promql/promql_test_util.h"
#include "rules/manager.h"

namespace opsight::rules {
namespace {

using query::promql::testing::TestStore;
constexpr int64_t kMin = 60'000;

struct Raw {
  Labels labels;
  std::vector<storage::Sample> samples;
};

class GroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    opts_.store = &store_.db();
    opts_.engine = &engine_;
    opts_.clock = &clock_;
    opts_.external_url = "http://opsight:4318";
    opts_.external_labels = Labels{{"cluster", "eu1"}};
    opts_.notify = [this](std::vector<NotifyAlert> a) {
      for (auto& x : a) sent_.push_back(std::move(x));
    };
  }

  void put(const Labels& l, int64_t t, double v) {
    ASSERT_TRUE(store_.append(l, {storage::Sample::value(t, v)}).ok());
  }

  std::unique_ptr<Group> group(std::string_view yaml) {
    auto gs = parse_rule_file(yaml, "test.yml");
    EXPECT_TRUE(gs.ok()) << gs.status().to_string();
    if (!gs.ok() || gs->empty()) return nullptr;
    return std::make_unique<Group>(std::move((*gs)[0]), opts_);
  }

  // Raw samples of every series whose __name__ is `name`, sorted by labels.
  std::vector<Raw> raw(const std::string& name) {
    auto q = store_.db().querier(storage::QueryScope{}, 0, 1'000 * kMin);
    EXPECT_TRUE(q.ok());
    std::vector<storage::Matcher> ms{storage::Matcher::equal("__name__", name)};
    auto set = (*q)->select(true, storage::SelectHints{0, 1'000 * kMin, 0, 0}, ms);
    std::vector<Raw> out;
    while (set->next()) {
      Raw r;
      r.labels = set->at().labels();
      auto it = set->at().iterator();
      while (it->next()) r.samples.push_back(it->at());
      out.push_back(std::move(r));
    }
    return out;
  }

  RuleStatus rule_status(const Group& g, size_t i) { return g.status().rules.at(i); }

  TestStore store_;
  ManualClock clock_{0};
  query::promql::Engine engine_;
  GroupOptions opts_;
  std::vector<NotifyAlert> sent_;
};

TEST_F(GroupTest, RecordingRulesWriteResultsAndLaterRulesSeeThem) {
  for (int i = 0; i < 3; i++) {
    put(Labels{{"__name__", "requests"}, {"job", i < 2 ? "api" : "db"}, {"i", std::to_string(i)}},
        0, 10.0 * (i + 1));
  }
  auto g = group(R"(
groups:
  - name: rec
    rules:
      - record: job:requests:sum
        expr: sum by (job) (requests)
        labels: {team: core}
      - record: job:requests:double
        expr: job:requests:sum * 2
      - record: answer
        expr: "42"
)");
  ASSERT_NE(g, nullptr);
  g->eval(kMin);
  auto sums = raw("job:requests:sum");
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_EQ(sums[0].labels,
            (Labels{{"__name__", "job:requests:sum"}, {"job", "api"}, {"team", "core"}}));
  ASSERT_EQ(sums[0].samples.size(), 1u);
  EXPECT_EQ(sums[0].samples[0].t, kMin);
  EXPECT_EQ(sums[0].samples[0].v, 30);
  EXPECT_EQ(sums[1].samples[0].v, 30);  // db: 30
  auto doubled = raw("job:requests:double");
  ASSERT_EQ(doubled.size(), 2u);  // the second rule saw the first rule's fresh output
  EXPECT_EQ(doubled[0].samples.at(0).v, 60);
  EXPECT_EQ(doubled[0].labels.get("team"), "core");
  auto answer = raw("answer");  // a scalar becomes one sample without labels
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].labels, (Labels{{"__name__", "answer"}}));
  EXPECT_EQ(answer[0].samples.at(0).v, 42);
  for (size_t i = 0; i < 3; i++) {
    RuleStatus s = rule_status(*g, i);
    EXPECT_EQ(s.health, RuleHealth::kOk) << s.last_error;
  }
  EXPECT_EQ(g->status().rules[0].spec->query, "sum by (job) (requests)");
}

TEST_F(GroupTest, DisappearingSeriesGetStalenessMarkers) {
  Labels a{{"__name__", "temp"}, {"room", "a"}}, b{{"__name__", "temp"}, {"room", "b"}};
  put(a, 0, 30);
  put(b, 0, 30);
  put(a, kMin, 30);
  put(b, kMin, 10);  // b drops below the threshold at 1m
  auto g = group(R"(
groups:
  - name: hot
    rules:
      - record: hot_rooms
        expr: temp > 20
)");
  ASSERT_NE(g, nullptr);
  g->eval(30'000);
  g->eval(90'000);
  auto hot = raw("hot_rooms");
  ASSERT_EQ(hot.size(), 2u);
  ASSERT_EQ(hot[0].samples.size(), 2u);  // room a: 30 at both evaluations
  EXPECT_EQ(hot[0].samples[1].v, 30);
  ASSERT_EQ(hot[1].samples.size(), 2u);  // room b: 30, then a staleness marker
  EXPECT_EQ(hot[1].samples[0].v, 30);
  EXPECT_EQ(hot[1].samples[1].t, 90'000);
  EXPECT_TRUE(storage::is_stale_nan(hot[1].samples[1].v));
  // mark_stale (group removed) ends the remaining series.
  g->mark_stale(150'000);
  hot = raw("hot_rooms");
  EXPECT_TRUE(storage::is_stale_nan(hot[0].samples.back().v));
  EXPECT_EQ(hot[0].samples.back().t, 150'000);
}

TEST_F(GroupTest, AlertGoesPendingFiringResolved) {
  Labels up{{"__name__", "up"}, {"instance", "h1:9100"}, {"job", "node"}};
  for (int m = 0; m <= 3; m++) put(up, m * kMin, 0);
  put(up, 4 * kMin, 1);  // back up at 4m
  auto g = group(R"(
groups:
  - name: alerts
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 2m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} of {{ $externalLabels.cluster }} is down"
          value: "{{ $value }}"
)");
  ASSERT_NE(g, nullptr);
  g->eval(0);
  RuleStatus s = rule_status(*g, 0);
  EXPECT_EQ(s.health, RuleHealth::kOk) << s.last_error;
  EXPECT_EQ(s.state, AlertState::kPending);
  ASSERT_EQ(s.alerts.size(), 1u);
  const Alert& a = s.alerts[0];
  EXPECT_EQ(a.labels, (Labels{{"alertname", "InstanceDown"},
                              {"instance", "h1:9100"},
                              {"job", "node"},
                              {"severity", "page"}}));
  EXPECT_EQ(a.annotations.get("summary"), "h1:9100 of eu1 is down");
  EXPECT_EQ(a.annotations.get("value"), "0");
  EXPECT_EQ(a.active_at_ms, 0);
  EXPECT_TRUE(sent_.empty());  // pending alerts are not sent

  g->eval(kMin);
  EXPECT_EQ(rule_status(*g, 0).state, AlertState::kPending);
  g->eval(2 * kMin);
  s = rule_status(*g, 0);
  EXPECT_EQ(s.state, AlertState::kFiring);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].starts_at_ms, 2 * kMin);
  EXPECT_EQ(sent_[0].ends_at_ms, 2 * kMin + 4 * kMin);  // valid for 4 x resend delay
  EXPECT_EQ(sent_[0].generator_url, "http://opsight:4318/graph?g0.expr=up+%3D%3D+0&g0.tab=1");
  EXPECT_EQ(sent_[0].labels.get("severity"), "page");

  g->eval(3 * kMin);  // still firing: not resent before resend_delay (1m) has passed
  EXPECT_EQ(sent_.size(), 1u);
  g->eval(4 * kMin);  // resolved
  s = rule_status(*g, 0);
  EXPECT_EQ(s.state, AlertState::kInactive);
  EXPECT_TRUE(s.alerts.empty());
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].ends_at_ms, 4 * kMin);
  EXPECT_EQ(sent_[1].starts_at_ms, 2 * kMin);

  // ALERTS: pending at 0..1m, firing at 2..3m, each ended by a staleness marker.
  auto alerts = raw("ALERTS");
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].labels.get("alertstate"), "firing");
  EXPECT_EQ(alerts[0].labels.get("alertname"), "InstanceDown");
  EXPECT_EQ(alerts[0].labels.get("severity"), "page");
  ASSERT_EQ(alerts[0].samples.size(), 3u);
  EXPECT_EQ(alerts[0].samples[0].t, 2 * kMin);
  EXPECT_EQ(alerts[0].samples[0].v, 1);
  EXPECT_TRUE(storage::is_stale_nan(alerts[0].samples[2].v));
  EXPECT_EQ(alerts[1].labels.get("alertstate"), "pending");
  ASSERT_EQ(alerts[1].samples.size(), 3u);
  EXPECT_EQ(alerts[1].samples[2].t, 2 * kMin);
  EXPECT_TRUE(storage::is_stale_nan(alerts[1].samples[2].v));
  auto for_state = raw("ALERTS_FOR_STATE");
  ASSERT_EQ(for_state.size(), 1u);
  EXPECT_FALSE(for_state[0].labels.has("alertstate"));
  EXPECT_EQ(for_state[0].samples[0].v, 0);  // activeAt in seconds

  // Resolved alerts are resent every resend_delay for 15 minutes, then forgotten.
  g->eval(5 * kMin + 1);
  EXPECT_EQ(sent_.size(), 3u);
  g->eval(20 * kMin);
  g->eval(21 * kMin);
  size_t n = sent_.size();
  g->eval(30 * kMin);
  EXPECT_EQ(sent_.size(), n);
}

TEST_F(GroupTest, ForZeroFiresAtOnceAndKeepFiringFor) {
  Labels err{{"__name__", "errors"}};
  put(err, 0, 5);
  put(err, kMin, 0);
  put(err, 2 * kMin, 0);
  put(err, 3 * kMin, 0);
  auto g = group(R"(
groups:
  - name: k
    rules:
      - alert: Errors
        expr: errors > 0
        keep_firing_for: 2m
)");
  ASSERT_NE(g, nullptr);
  g->eval(0);
  EXPECT_EQ(rule_status(*g, 0).state, AlertState::kFiring);
  g->eval(kMin);  // condition gone, kept firing
  EXPECT_EQ(rule_status(*g, 0).state, AlertState::kFiring);
  ASSERT_EQ(rule_status(*g, 0).alerts.size(), 1u);
  EXPECT_EQ(rule_status(*g, 0).alerts[0].keep_firing_since_ms, kMin);
  g->eval(2 * kMin);
  EXPECT_EQ(rule_status(*g, 0).state, AlertState::kFiring);
  g->eval(3 * kMin);  // 2m after it stopped matching: resolved
  EXPECT_EQ(rule_status(*g, 0).state, AlertState::kInactive);
  ASSERT_FALSE(sent_.empty());
  EXPECT_EQ(sent_.back().ends_at_ms, 3 * kMin);
}

TEST_F(GroupTest, TemplatedLabelsSplitAlerts) {
  put(Labels{{"__name__", "disk_used"}, {"dev", "a"}}, 0, 0.95);
  put(Labels{{"__name__", "disk_used"}, {"dev", "b"}}, 0, 0.85);
  auto g = group(R"(
groups:
  - name: t
    rules:
      - alert: DiskFull
        expr: disk_used > 0.8
        labels:
          severity: "{{ if gt $value 0.9 }}critical{{ else }}warning{{ end }}"
        annotations:
          summary: "{{ $labels.dev }} at {{ humanizePercentage $value }}"
)");
  ASSERT_NE(g, nullptr);
  g->eval(0);
  RuleStatus s = rule_status(*g, 0);
  ASSERT_EQ(s.alerts.size(), 2u);
  std::map<std::string, std::string> sev, sum;
  for (const auto& a : s.alerts) {
    sev[std::string(a.labels.get("dev"))] = a.labels.get("severity");
    sum[std::string(a.labels.get("dev"))] = a.annotations.get("summary");
  }
  EXPECT_EQ(sev["a"], "critical");
  EXPECT_EQ(sev["b"], "warning");
  EXPECT_EQ(sum["a"], "a at 95%");
  EXPECT_EQ(sum["b"], "b at 85%");
}

TEST_F(GroupTest, RuleErrorsAndLimits) {
  for (int i = 0; i < 3; i++) put(Labels{{"__name__", "x"}, {"i", std::to_string(i)}}, 0, i);
  auto g = group(R"(
groups:
  - name: lim
    limit: 2
    rules:
      - record: too_many
        expr: x
      - record: same_labels
        expr: x
        labels: {i: fixed}
      - alert: TooManyAlerts
        expr: x >= 0
      - record: fine
        expr: sum(x)
      - record: range_result
        expr: x[5m]
)");
  ASSERT_NE(g, nullptr);
  g->eval(0);
  auto st = g->status();
  EXPECT_EQ(st.rules[0].health, RuleHealth::kErr);
  EXPECT_EQ(st.rules[0].last_error, "exceeded limit of 2 with 3 series");
  EXPECT_EQ(st.rules[1].health, RuleHealth::kErr);
  EXPECT_EQ(st.rules[1].last_error,
            "vector contains metrics with the same labelset after applying rule labels");
  EXPECT_EQ(st.rules[2].health, RuleHealth::kErr);
  EXPECT_EQ(st.rules[2].last_error, "exceeded limit of 2 with 3 alerts");
  EXPECT_TRUE(st.rules[2].alerts.empty());
  EXPECT_EQ(st.rules[3].health, RuleHealth::kOk);  // later rules still run
  EXPECT_EQ(st.rules[4].last_error, "rule result is not a vector or scalar");
  EXPECT_TRUE(raw("too_many").empty());
  EXPECT_EQ(raw("fine").size(), 1u);
  EXPECT_EQ(st.last_eval_ms, 0);  // the manual clock's wall time
}

TEST_F(GroupTest, EvalTimestampsAreAlignedSlots) {
  auto g = group("groups:\n  - name: slots\n    interval: 30s\n");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->interval_ms(), 30'000);
  const int64_t now = 1'700'000'000'000;
  int64_t slot = g->eval_timestamp(now);
  EXPECT_LE(slot, now);
  EXPECT_GT(slot, now - 30'000);
  // Every time within the same slot maps to it; the next slot is one interval later.
  EXPECT_EQ(g->eval_timestamp(slot), slot);
  EXPECT_EQ(g->eval_timestamp(slot + 29'999), slot);
  EXPECT_EQ(g->eval_timestamp(slot + 30'000), slot + 30'000);
  // The offset depends on the group, not on the time.
  EXPECT_EQ((slot % 30'000 + 30'000) % 30'000,
            (g->eval_timestamp(now + 7 * 30'000 + 123) % 30'000 + 30'000) % 30'000);
  auto other = group("groups:\n  - name: other-group\n    interval: 30s\n");
  EXPECT_NE(other->eval_timestamp(now) % 30'000, slot % 30'000);
  // The global default applies without an interval.
  opts_.default_interval_ms = 15'000;
  EXPECT_EQ(group("groups:\n  - name: d\n")->interval_ms(), 15'000);
}

class ManagerTest : public GroupTest {
 protected:
  void SetUp() override {
    GroupTest::SetUp();
    std::string tmpl = (std::filesystem::temp_directory_path() / "rules_mgr_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(ManagerTest, LoadEvaluateReload) {
  put(Labels{{"__name__", "up"}, {"job", "a"}}, 0, 0);
  write("a.yml", R"(
groups:
  - name: g1
    interval: 10s
    rules:
      - alert: Down
        expr: up == 0
        for: 1h
      - record: job:up
        expr: max by (job) (up)
)");
  ManagerOptions mo;
  mo.store = &store_.db();
  mo.clock = &clock_;
  mo.rule_files = {"*.yml"};
  mo.base_dir = dir_;
  mo.run_threads = false;
  Manager m(mo);
  ASSERT_TRUE(m.reload().ok());
  auto gs = m.groups();
  ASSERT_EQ(gs.size(), 1u);
  EXPECT_EQ(gs[0].file, dir_ + "/a.yml");
  EXPECT_EQ(gs[0].interval_ms, 10'000);
  EXPECT_EQ(gs[0].rules[0].health, RuleHealth::kUnknown);
  m.evaluate_all(60'000);
  gs = m.groups();
  EXPECT_EQ(gs[0].rules[0].state, AlertState::kPending);
  int64_t active_at = gs[0].rules[0].alerts.at(0).active_at_ms;
  EXPECT_EQ(raw("job:up").size(), 1u);

  // A broken file keeps the running groups.
  write("b.yml",
        "groups:\n  - name: g2\n    rules:\n      - record: 'no good'\n        expr: up\n");
  Status st = m.reload();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("b.yml"), std::string::npos);
  EXPECT_EQ(m.groups().size(), 1u);

  // A valid reload keeps the alert's state (same group, same rule).
  write("b.yml", "groups:\n  - name: g2\n    rules:\n      - record: other\n        expr: up\n");
  ASSERT_TRUE(m.reload().ok());
  gs = m.groups();
  ASSERT_EQ(gs.size(), 2u);
  ASSERT_EQ(gs[0].rules[0].alerts.size(), 1u);
  EXPECT_EQ(gs[0].rules[0].alerts[0].active_at_ms, active_at);

  // Removing the group ends its recorded series with a staleness marker.
  std::filesystem::remove(dir_ + "/a.yml");
  clock_.set_ms(120'000);
  ASSERT_TRUE(m.reload().ok());
  EXPECT_EQ(m.groups().size(), 1u);
  auto rec = raw("job:up");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_TRUE(storage::is_stale_nan(rec[0].samples.back().v));
  EXPECT_EQ(rec[0].samples.back().t, 120'000);
}

}  // namespace
}  // namespace opsight::rules

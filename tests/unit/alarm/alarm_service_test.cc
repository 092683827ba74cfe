// AlarmService: put/describe/delete, the scheduler with a ManualClock, SetAlarmState,
// composites (children, nesting, cycles, suppression), events, actions, history with
// pagination and retention, and persistence across reopen.
#include "alarm/alarm_service.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <string>
#include <vector>

#include "alarm/alarm_test_util.h"

namespace opsight::alarm {
namespace {

constexpr int64_t kT0 = 1'700'000'040'000;  // minute-aligned
// Alarms without data that keep their (forced) state across evaluations.
constexpr const char* kIgnore = R"(, "TreatMissingData": "ignore")";

std::string metric_alarm_json(const std::string& name, const std::string& metric,
                              const std::string& extra = "") {
  return R"({"AlarmName": ")" + name + R"(", "Namespace": "App", "MetricName": ")" + metric +
         R"(", "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1, "Threshold": 50,
           "ComparisonOperator": "GreaterThanThreshold")" +
         extra + "}";
}

class AlarmServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto meta = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(meta.ok()) << meta.status().to_string();
    meta_ = std::move(*meta);
    open();
  }
  void TearDown() override {
    service_.reset();
    meta_.reset();
  }

  void open() {
    service_.reset();
    AlarmServiceOptions o;
    o.state_db_path = dir_.file("alarms.db");
    o.clock = &clock_;
    o.history_retention_ms = retention_ms_;
    o.data_source = [this](const storage::Tenant&, const MetricAlarm& a, int64_t start,
                           int64_t end) -> Result<AlarmSeries> {
      AlarmSeries s;
      for (const auto& [t, v] : points_[a.metric_name]) {
        if (t >= start && t < end) {
          s.timestamps_ms.push_back(t);
          s.values.push_back(v);
        }
      }
      return s;
    };
    o.event_sink = [this](const storage::Tenant&, const std::string& ev) { events_.push_back(ev); };
    o.dispatch.post = [this](const std::string& url, const std::string& body, const Headers&,
                             int64_t) -> Result<int> {
      posts_.push_back({url, body});
      return 200;
    };
    auto s = AlarmService::open(meta_.get(), std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    service_ = std::move(*s);
  }

  AlarmView describe_one(const std::string& name) {
    DescribeAlarmsRequest r;
    r.alarm_names = {name};
    r.alarm_types = {AlarmType::kMetric, AlarmType::kComposite};
    auto d = service_->describe_alarms(t_, r);
    EXPECT_TRUE(d.ok()) << d.status().to_string();
    if (!d.ok()) return {};
    if (!d->metric_alarms.empty()) return d->metric_alarms[0];
    EXPECT_EQ(d->composite_alarms.size(), 1u) << name;
    return d->composite_alarms.empty() ? AlarmView{} : d->composite_alarms[0];
  }
  StateValue state(const std::string& name) { return describe_one(name).state.state; }

  void set_state(const std::string& name, StateValue s, const std::string& reason = "test") {
    ASSERT_TRUE(service_->set_alarm_state(t_, {name, s, reason, ""}).ok());
  }

  std::vector<HistoryItem> history(const std::string& name) {
    HistoryQuery q;
    q.alarm_name = name;
    auto h = service_->describe_alarm_history(t_, q);
    EXPECT_TRUE(h.ok()) << h.status().to_string();
    return h.ok() ? h->items : std::vector<HistoryItem>{};
  }

  testing::TempDir dir_;
  ManualClock clock_{kT0};
  int64_t retention_ms_ = kDefaultHistoryRetentionMs;
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<AlarmService> service_;
  std::map<std::string, std::vector<std::pair<int64_t, double>>> points_;
  std::vector<std::string> events_;
  std::vector<std::pair<std::string, std::string>> posts_;
  storage::Tenant t_;
};

TEST_F(AlarmServiceTest, ScheduledEvaluationChangesStateAndRunsActions) {
  ASSERT_TRUE(service_
                  ->put_metric_alarm(t_, metric_alarm_json("cpu", "cpu",
                                                           R"(, "AlarmActions": ["http://hook/a"],
                                                               "OKActions": ["http://hook/ok"])"))
                  .ok());
  AlarmView v = describe_one("cpu");
  EXPECT_EQ(v.state.state, StateValue::kInsufficientData);
  EXPECT_EQ(v.state.reason, "Unchecked: Initial alarm creation");

  points_["cpu"].push_back({kT0 - 60'000, 90});
  EXPECT_EQ(service_->run_due(), 1u);
  v = describe_one("cpu");
  EXPECT_EQ(v.state.state, StateValue::kAlarm);
  EXPECT_EQ(v.state.reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [90.0 (14/11/23 22:13:00)] was "
            "greater than the threshold (50.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> "
            "ALARM transition).");
  EXPECT_EQ(v.state.transitioned_ms, kT0);
  EXPECT_EQ(service_->run_due(), 0u);  // once per period

  ASSERT_EQ(events_.size(), 1u);
  simdjson::dom::parser p;
  simdjson::dom::element ev = p.parse(events_[0]);
  EXPECT_EQ(std::string_view(ev["detail-type"]), "CloudWatch Alarm State Change");
  EXPECT_EQ(std::string_view(ev["source"]), "aws.cloudwatch");
  EXPECT_EQ(std::string_view(ev["account"]), "000000000000");
  EXPECT_EQ(std::string_view(ev["time"]), "2023-11-14T22:14:00Z");
  EXPECT_EQ(std::string_view(ev["resources"].at(0)),
            "arn:aws:cloudwatch:local:000000000000:alarm:cpu");
  EXPECT_EQ(std::string_view(ev["detail"]["alarmName"]), "cpu");
  EXPECT_EQ(std::string_view(ev["detail"]["state"]["value"]), "ALARM");
  EXPECT_EQ(std::string_view(ev["detail"]["state"]["timestamp"]), "2023-11-14T22:14:00.000+0000");
  EXPECT_EQ(std::string_view(ev["detail"]["previousState"]["value"]), "INSUFFICIENT_DATA");
  EXPECT_EQ(std::string_view(
                ev["detail"]["configuration"]["metrics"].at(0)["metricStat"]["metric"]["name"]),
            "cpu");

  EXPECT_EQ(service_->dispatcher().pending(), 1u);
  EXPECT_EQ(service_->dispatcher().run_due(), 1u);
  ASSERT_EQ(posts_.size(), 1u);
  EXPECT_EQ(posts_[0].first, "http://hook/a");
  EXPECT_EQ(posts_[0].second, events_[0]);  // a URL action gets the event

  // The next minute, no new data: the point is still in the evaluation range -> still ALARM.
  clock_.advance_ms(60'000);
  EXPECT_EQ(service_->run_due(), 1u);
  EXPECT_EQ(state("cpu"), StateValue::kAlarm);
  points_["cpu"].push_back({kT0, 10});
  clock_.advance_ms(60'000);
  service_->run_due();
  EXPECT_EQ(state("cpu"), StateValue::kOk);
  service_->dispatcher().run_due();
  ASSERT_EQ(posts_.size(), 2u);
  EXPECT_EQ(posts_[1].first, "http://hook/ok");

  auto h = history("cpu");
  ASSERT_EQ(h.size(), 5u);  // newest first
  EXPECT_EQ(h[0].item_type, HistoryItemType::kAction);
  EXPECT_EQ(h[0].summary, "Successfully executed action http://hook/ok");
  EXPECT_EQ(h[1].summary, "Alarm updated from ALARM to OK");
  EXPECT_EQ(h[2].item_type, HistoryItemType::kAction);
  EXPECT_EQ(h[3].summary, "Alarm updated from INSUFFICIENT_DATA to ALARM");
  EXPECT_NE(h[3].data.find(R"("newState":{"stateValue":"ALARM")"), std::string::npos);
  EXPECT_EQ(h[4].item_type, HistoryItemType::kConfigurationUpdate);
  EXPECT_EQ(h[4].summary, "Alarm \"cpu\" created");
}

TEST_F(AlarmServiceTest, SetAlarmStateHoldsUntilTheNextEvaluation) {
  ASSERT_TRUE(service_->put_metric_alarm(t_, metric_alarm_json("cpu", "cpu")).ok());
  points_["cpu"].push_back({kT0 - 60'000, 10});
  service_->run_due();
  EXPECT_EQ(state("cpu"), StateValue::kOk);
  clock_.advance_ms(5'000);
  set_state("cpu", StateValue::kAlarm, "testing the pager");
  AlarmView v = describe_one("cpu");
  EXPECT_EQ(v.state.state, StateValue::kAlarm);
  EXPECT_EQ(v.state.reason, "testing the pager");
  EXPECT_TRUE(v.state.forced);
  EXPECT_EQ(service_->run_due(), 0u);  // no evaluation before the next period
  EXPECT_EQ(state("cpu"), StateValue::kAlarm);
  clock_.advance_ms(55'000);
  points_["cpu"].push_back({kT0, 10});
  EXPECT_EQ(service_->run_due(), 1u);
  v = describe_one("cpu");
  EXPECT_EQ(v.state.state, StateValue::kOk);
  EXPECT_FALSE(v.state.forced);
  auto st = service_->set_alarm_state(t_, {"nope", StateValue::kOk, "x", ""});
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(aws_error_code(st), "ResourceNotFound");
}

TEST_F(AlarmServiceTest, CompositeAlarmsFollowTheirChildren) {
  ASSERT_TRUE(service_->put_metric_alarm(t_, metric_alarm_json("a", "a")).ok());
  ASSERT_TRUE(service_->put_metric_alarm(t_, metric_alarm_json("b", "b")).ok());
  Status unknown = service_->put_composite_alarm(
      t_, R"j({"AlarmName": "c1", "AlarmRule": "ALARM(a) OR ALARM(zz) OR ALARM(yy)"})j");
  EXPECT_EQ(unknown.message(),
            "ValidationError: Could not save the composite alarm as alarms [zz, yy] in the alarm "
            "rule do not exist");
  ASSERT_TRUE(service_
                  ->put_composite_alarm(
                      t_, R"j({"AlarmName": "c1", "AlarmRule": "ALARM(a) AND NOT ALARM(\"b\")"})j")
                  .ok());
  EXPECT_EQ(state("c1"), StateValue::kOk);
  ASSERT_TRUE(service_
                  ->put_composite_alarm(t_,
                                        R"j({"AlarmName": "c2",
                          "AlarmRule": "ALARM(arn:aws:cloudwatch:local:000000000000:alarm:c1)"})j")
                  .ok());
  clock_.advance_ms(1'000);
  set_state("a", StateValue::kAlarm);
  AlarmView c1 = describe_one("c1");
  EXPECT_EQ(c1.state.state, StateValue::kAlarm);
  EXPECT_EQ(c1.state.reason,
            "arn:aws:cloudwatch:local:000000000000:alarm:a transitioned to ALARM at Tuesday 14 "
            "November, 2023 22:14:01 UTC");
  EXPECT_EQ(c1.state.reason_data,
            R"({"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:local:000000000000:alarm:a",)"
            R"("state":{"value":"ALARM","timestamp":"2023-11-14T22:14:01.000+0000"}}]})");
  EXPECT_EQ(state("c2"), StateValue::kAlarm);  // nested
  set_state("b", StateValue::kAlarm);
  EXPECT_EQ(state("c1"), StateValue::kOk);
  EXPECT_EQ(state("c2"), StateValue::kOk);

  // Cycles and self references are rejected.
  Status cycle = service_->put_composite_alarm(
      t_, R"j({"AlarmName": "c1", "AlarmRule": "ALARM(a) OR ALARM(c2)"})j");
  EXPECT_EQ(cycle.message(),
            "ValidationError: AlarmRule of \"c1\" would create a cycle of composite alarms.");
  EXPECT_FALSE(
      service_->put_composite_alarm(t_, R"j({"AlarmName": "c3", "AlarmRule": "OK(c3)"})j").ok());
  // A metric alarm cannot replace a composite of the same name.
  EXPECT_EQ(aws_error_code(service_->put_metric_alarm(t_, metric_alarm_json("c1", "x"))),
            "InvalidParameterCombination");

  // Children cannot be deleted before their parents; together they can.
  Status del = service_->delete_alarms(t_, {"a"});
  EXPECT_EQ(del.message(),
            "ValidationError: Alarm \"a\" is used by composite alarm \"c1\"; delete or change "
            "that alarm first.");
  EXPECT_EQ(aws_error_code(service_->delete_alarms(t_, {"nope"})), "ResourceNotFound");
  ASSERT_TRUE(service_->delete_alarms(t_, {"c2", "c1", "a"}).ok());
  DescribeAlarmsRequest all;
  all.alarm_types = {AlarmType::kMetric, AlarmType::kComposite};
  auto d = service_->describe_alarms(t_, all);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->metric_alarms.size(), 1u);
  EXPECT_TRUE(d->composite_alarms.empty());
  auto h = history("c1");
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h[0].summary, "Alarm \"c1\" deleted");  // history outlives the alarm
}

TEST_F(AlarmServiceTest, DescribeFiltersAndPagination) {
  for (const char* n : {"web-1", "web-2", "web-3", "db-1"}) {
    ASSERT_TRUE(service_->put_metric_alarm(t_, metric_alarm_json(n, n)).ok());
  }
  ASSERT_TRUE(service_
                  ->put_metric_alarm(t_, metric_alarm_json("web-4", "w4",
                                                           R"(, "AlarmActions":
                                                               ["arn:aws:sns:local:0:pager"])"))
                  .ok());
  ASSERT_TRUE(
      service_
          ->put_composite_alarm(
              t_, R"j({"AlarmName": "web", "AlarmRule": "ALARM(\"web-1\") OR ALARM(web-2)"})j")
          .ok());
  set_state("web-2", StateValue::kAlarm);

  auto names = [](const DescribeAlarmsResult& r) {
    std::vector<std::string> out;
    for (const auto& v : r.metric_alarms) out.push_back(common_of(v.def).alarm_name);
    for (const auto& v : r.composite_alarms) out.push_back(common_of(v.def).alarm_name);
    return out;
  };
  DescribeAlarmsRequest r;
  auto d = service_->describe_alarms(t_, r);  // metric alarms only by default
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(names(*d), (std::vector<std::string>{"db-1", "web-1", "web-2", "web-3", "web-4"}));
  r.alarm_name_prefix = "web";
  r.alarm_types = {AlarmType::kComposite};
  EXPECT_EQ(names(*service_->describe_alarms(t_, r)), (std::vector<std::string>{"web"}));
  r = {};
  r.state_value = StateValue::kAlarm;
  r.alarm_types = {AlarmType::kMetric, AlarmType::kComposite};
  EXPECT_EQ(names(*service_->describe_alarms(t_, r)), (std::vector<std::string>{"web-2", "web"}));
  r = {};
  r.action_prefix = "arn:aws:sns:";
  EXPECT_EQ(names(*service_->describe_alarms(t_, r)), (std::vector<std::string>{"web-4"}));
  r = {};
  r.children_of_alarm_name = "web";
  EXPECT_EQ(names(*service_->describe_alarms(t_, r)), (std::vector<std::string>{"web-1", "web-2"}));
  r = {};
  r.parents_of_alarm_name = "web-1";
  EXPECT_EQ(names(*service_->describe_alarms(t_, r)), (std::vector<std::string>{"web"}));

  // Pages of 2.
  r = {};
  r.max_records = 2;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; page++) {
    auto p = service_->describe_alarms(t_, r);
    ASSERT_TRUE(p.ok());
    for (const auto& n : names(*p)) seen.push_back(n);
    if (p->next_token.empty()) break;
    r.next_token = p->next_token;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"db-1", "web-1", "web-2", "web-3", "web-4"}));
  r.next_token = "garbage";
  EXPECT_EQ(aws_error_code(service_->describe_alarms(t_, r).status()), "InvalidNextToken");

  // Another tenant sees nothing.
  storage::Tenant other{"111111111111", "local"};
  EXPECT_TRUE(service_->describe_alarms(other, {})->metric_alarms.empty());

  // The response JSON in CloudWatch field names.
  DescribeAlarmsRequest one;
  one.alarm_names = {"web-2", "web"};
  one.alarm_types = {AlarmType::kMetric, AlarmType::kComposite};
  const std::string json =
      describe_alarms_response(t_, *service_->describe_alarms(t_, one), TimeFormat::kIso8601);
  simdjson::dom::parser p;
  simdjson::dom::element e = p.parse(json);
  EXPECT_EQ(std::string_view(e["MetricAlarms"].at(0)["AlarmName"]), "web-2");
  EXPECT_EQ(std::string_view(e["MetricAlarms"].at(0)["StateValue"]), "ALARM");
  EXPECT_EQ(std::string_view(e["MetricAlarms"].at(0)["AlarmArn"]),
            "arn:aws:cloudwatch:local:000000000000:alarm:web-2");
  EXPECT_EQ(int64_t(e["MetricAlarms"].at(0)["Period"]), 60);
  EXPECT_EQ(std::string_view(e["CompositeAlarms"].at(0)["AlarmRule"]),
            "ALARM(\"web-1\") OR ALARM(web-2)");
  EXPECT_EQ(std::string_view(e["CompositeAlarms"].at(0)["StateValue"]), "ALARM");
}

TEST_F(AlarmServiceTest, StateHistoryAndPendingWorkSurviveRestart) {
  ASSERT_TRUE(service_
                  ->put_metric_alarm(
                      t_, metric_alarm_json("cpu", "cpu", R"(, "AlarmActions": ["http://h/a"])"))
                  .ok());
  ASSERT_TRUE(service_->put_metric_alarm(t_, metric_alarm_json("mem", "mem")).ok());
  points_["cpu"].push_back({kT0 - 60'000, 90});
  points_["mem"].push_back({kT0 - 60'000, 10});
  service_->run_due();
  set_state("mem", StateValue::kAlarm, "forced");
  const AlarmView cpu_before = describe_one("cpu");
  const size_t history_before = history("cpu").size();
  ASSERT_EQ(service_->dispatcher().pending(), 1u);  // not delivered before the "crash"

  open();  // restart
  AlarmView cpu = describe_one("cpu");
  EXPECT_EQ(cpu.state, cpu_before.state);
  AlarmView mem = describe_one("mem");
  EXPECT_EQ(mem.state.state, StateValue::kAlarm);
  EXPECT_TRUE(mem.state.forced);
  EXPECT_EQ(history("cpu").size(), history_before);
  EXPECT_EQ(service_->dispatcher().pending(), 1u);  // the outbox was reloaded
  EXPECT_EQ(service_->dispatcher().run_due(), 1u);
  EXPECT_EQ(posts_.size(), 1u);

  // Same period: the checkpoint says it was evaluated; nothing runs.
  EXPECT_EQ(service_->run_due(), 0u);
  // Down for three periods: the restarted scheduler evaluates at once (once, at the latest tick).
  service_.reset();
  clock_.advance_ms(3 * 60'000);
  points_["cpu"].push_back({kT0 + 2 * 60'000, 10});
  open();
  EXPECT_EQ(service_->run_due(), 2u);
  EXPECT_EQ(state("cpu"), StateValue::kOk);
  EXPECT_EQ(state("mem"), StateValue::kInsufficientData);  // forced state ended; data is old
}

TEST_F(AlarmServiceTest, HistoryQueriesPagesAndRetention) {
  ASSERT_TRUE(service_->put_metric_alarm(t_, metric_alarm_json("cpu", "cpu")).ok());
  for (int i = 0; i < 6; i++) {
    clock_.advance_ms(1'000);
    set_state("cpu", i % 2 == 0 ? StateValue::kAlarm : StateValue::kOk);
  }
  HistoryQuery q;
  q.alarm_name = "cpu";
  q.item_type = HistoryItemType::kStateUpdate;
  q.max_records = 4;
  auto p1 = service_->describe_alarm_history(t_, q);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->items.size(), 4u);
  EXPECT_EQ(p1->items[0].ts_ms, kT0 + 6'000);
  EXPECT_FALSE(p1->next_token.empty());
  q.next_token = p1->next_token;
  auto p2 = service_->describe_alarm_history(t_, q);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->items.size(), 2u);
  EXPECT_EQ(p2->items[1].ts_ms, kT0 + 1'000);
  EXPECT_TRUE(p2->next_token.empty());
  q = {};
  q.ascending = true;
  q.max_records = 1;
  EXPECT_EQ(service_->describe_alarm_history(t_, q)->items[0].item_type,
            HistoryItemType::kConfigurationUpdate);
  q = {};
  q.start_ms = kT0 + 2'000;
  q.end_ms = kT0 + 3'000;
  EXPECT_EQ(service_->describe_alarm_history(t_, q)->items.size(), 2u);
  q = {};
  q.alarm_types = {AlarmType::kComposite};
  EXPECT_TRUE(service_->describe_alarm_history(t_, q)->items.empty());
  q.next_token = "bogus";
  EXPECT_EQ(aws_error_code(service_->describe_alarm_history(t_, q).status()), "InvalidNextToken");
  const std::string json = describe_alarm_history_response(*p2, TimeFormat::kEpochSeconds);
  EXPECT_NE(json.find(R"("AlarmName":"cpu","AlarmType":"MetricAlarm","Timestamp":1700000042)"),
            std::string::npos)
      << json;

  // Retention: items older than the retention are purged by the scheduler (hourly).
  service_.reset();
  retention_ms_ = 3'600'000;
  open();
  clock_.advance_ms(2 * 3'600'000);
  service_->run_due();
  EXPECT_TRUE(history("cpu").empty() || history("cpu")[0].ts_ms > kT0 + 3'600'000);
}

TEST_F(AlarmServiceTest, CompositeActionsAreSuppressed) {
  ASSERT_TRUE(service_->put_metric_alarm(t_, metric_alarm_json("a", "a", kIgnore)).ok());
  ASSERT_TRUE(service_->put_metric_alarm(t_, metric_alarm_json("maint", "maint", kIgnore)).ok());
  ASSERT_TRUE(service_
                  ->put_composite_alarm(t_, R"j({"AlarmName": "svc", "AlarmRule": "ALARM(a)",
                      "AlarmActions": ["http://hook/svc"], "ActionsSuppressor": "maint",
                      "ActionsSuppressorWaitPeriod": 120, "ActionsSuppressorExtensionPeriod": 180})j")
                  .ok());
  set_state("a", StateValue::kAlarm);
  AlarmView svc = describe_one("svc");
  EXPECT_EQ(svc.state.state, StateValue::kAlarm);
  EXPECT_EQ(svc.state.suppression.by, SuppressedBy::kWaitPeriod);
  EXPECT_EQ(service_->dispatcher().pending(), 0u);
  const std::string json = alarm_view_json(t_, svc, TimeFormat::kIso8601);
  EXPECT_NE(json.find(R"("ActionsSuppressedBy":"WaitPeriod")"), std::string::npos);
  EXPECT_NE(json.find(R"("ActionsSuppressedReason":"Actions suppressed by WaitPeriod")"),
            std::string::npos);

  clock_.advance_ms(60'000);
  set_state("maint", StateValue::kAlarm);  // the suppressor fires within the wait period
  EXPECT_EQ(describe_one("svc").state.suppression.by, SuppressedBy::kAlarm);
  clock_.advance_ms(600'000);
  service_->run_due();
  EXPECT_EQ(service_->dispatcher().pending(), 0u);  // held while the suppressor alarms
  set_state("maint", StateValue::kOk);
  EXPECT_EQ(describe_one("svc").state.suppression.by, SuppressedBy::kExtensionPeriod);
  clock_.advance_ms(179'000);
  service_->run_due();
  EXPECT_EQ(service_->dispatcher().pending(), 0u);
  clock_.advance_ms(1'000);
  service_->run_due();  // extension over, still ALARM: the actions run
  EXPECT_EQ(service_->dispatcher().pending(), 1u);
  EXPECT_EQ(describe_one("svc").state.suppression.by, SuppressedBy::kNone);

  // Without the suppressor firing, the actions run when the wait period ends.
  set_state("a", StateValue::kOk);
  clock_.advance_ms(200'000);  // past the extension of the last suppressor alarm
  service_->run_due();
  set_state("a", StateValue::kAlarm);
  EXPECT_EQ(describe_one("svc").state.suppression.by, SuppressedBy::kWaitPeriod);
  clock_.advance_ms(120'000);
  service_->run_due();
  EXPECT_EQ(service_->dispatcher().pending(), 2u);
}

TEST_F(AlarmServiceTest, ActionsUseConfiguredTargets) {
  ASSERT_TRUE(service_
                  ->put_target(t_, R"({"Name": "pager", "Type": "pagerduty",
                      "Url": "http://pd/v2/enqueue", "RoutingKey": "rk"})")
                  .ok());
  EXPECT_EQ(
      service_->put_target(t_, R"({"Name": "x", "Type": "sms", "Url": "http://a"})").message(),
      "InvalidParameterValue: The parameter Type \"sms\" must be one of generic, slack, "
      "pagerduty, alertmanager.");
  ASSERT_TRUE(service_
                  ->put_metric_alarm(t_, metric_alarm_json("cpu", "cpu",
                                                           R"(, "AlarmActions":
                      ["arn:aws:sns:local:000000000000:pager", "arn:aws:sns:local:0:missing"])"))
                  .ok());
  set_state("cpu", StateValue::kAlarm);
  EXPECT_EQ(service_->dispatcher().run_due(), 2u);
  ASSERT_EQ(posts_.size(), 1u);  // the unknown target is not posted
  EXPECT_EQ(posts_[0].first, "http://pd/v2/enqueue");
  simdjson::dom::parser p;
  simdjson::dom::element body = p.parse(posts_[0].second);
  EXPECT_EQ(std::string_view(body["event_action"]), "trigger");
  EXPECT_EQ(std::string_view(body["dedup_key"]), "arn:aws:cloudwatch:local:000000000000:alarm:cpu");
  EXPECT_EQ(std::string_view(body["routing_key"]), "rk");
  auto h = history("cpu");
  bool failed_recorded = false;
  for (const auto& item : h) {
    if (item.summary ==
        "Failed to execute action arn:aws:sns:local:0:missing. Received error: \"alarm-target "
        "\"missing\" does not exist\"") {
      failed_recorded = true;
    }
    if (item.summary.starts_with("Failed")) {
      EXPECT_NE(item.data.find(R"("actionState":"Failed")"), std::string::npos);
    }
  }
  EXPECT_TRUE(failed_recorded);
  auto targets = service_->list_targets(t_);
  ASSERT_TRUE(targets.ok());
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ((*targets)[0].type, TargetType::kPagerDuty);
  EXPECT_TRUE(service_->delete_target(t_, "pager").ok());
  EXPECT_EQ(service_->delete_target(t_, "pager").code(), Code::kNotFound);
}

TEST_F(AlarmServiceTest, DisabledActionsStillChangeStateAndRecordHistory) {
  ASSERT_TRUE(service_
                  ->put_metric_alarm(
                      t_, metric_alarm_json("cpu", "cpu", R"(, "AlarmActions": ["http://h/a"])"))
                  .ok());
  ASSERT_TRUE(service_->set_actions_enabled(t_, {"cpu"}, false).ok());
  EXPECT_FALSE(common_of(describe_one("cpu").def).actions_enabled);
  set_state("cpu", StateValue::kAlarm);
  EXPECT_EQ(service_->dispatcher().pending(), 0u);
  EXPECT_EQ(events_.size(), 1u);  // the event is still published
  ASSERT_TRUE(service_->set_actions_enabled(t_, {"cpu"}, true).ok());
  auto h = history("cpu");
  ASSERT_GE(h.size(), 3u);
  EXPECT_EQ(h[0].summary, "Alarm \"cpu\" updated");
  EXPECT_NE(h[0].data.find(R"("type":"Update")"), std::string::npos);
  EXPECT_EQ(aws_error_code(service_->set_actions_enabled(t_, {"nope"}, true)), "ResourceNotFound");
}

}  // namespace
}  // namespace opsight::alarm

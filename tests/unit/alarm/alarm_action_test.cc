// Webhook delivery to a real loopback HTTP server (Boost.Asio, port 0): a 500 is retried after
// the backoff and the success is recorded as an Action history item; permanent failures; the
// payload templates (Slack, PagerDuty Events v2, Alertmanager v4, generic event).
#include "alarm/action_dispatcher.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alarm/action_target.h"
#include "alarm/alarm_event.h"
#include "alarm/alarm_test_util.h"
#include "testing/loopback_http.h"

namespace opsight::alarm {
namespace {

constexpr int64_t kT0 = 1'700'000'040'000;

// The loopback receiver answering with these statuses (empty bodies).
std::deque<opsight::testing::LoopbackHttp::Answer> statuses(std::initializer_list<int> codes) {
  std::deque<opsight::testing::LoopbackHttp::Answer> out;
  for (int c : codes) out.push_back({c, ""});
  return out;
}

class ActionDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = AlarmStore::open(dir_.file("alarms.db"));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }
  std::unique_ptr<ActionDispatcher> dispatcher(int max_attempts = 3) {
    DispatcherOptions o;
    o.clock = &clock_;
    o.max_attempts = max_attempts;
    o.initial_backoff_ms = 1'000;
    o.max_backoff_ms = 60'000;
    auto d = std::make_unique<ActionDispatcher>(store_.get(), o);
    EXPECT_TRUE(d->load().ok());
    return d;
  }
  Delivery delivery(const std::string& url) {
    Delivery d;
    d.alarm_name = "cpu";
    d.action = url;
    d.url = url;
    d.body = R"({"hello":"world"})";
    d.headers = {{std::string(kDedupHeader), "key-1"}};
    d.dedup_key = "key-1";
    d.state = StateValue::kAlarm;
    d.state_ts_ms = kT0;
    d.target_type = "generic";
    return d;
  }
  std::vector<HistoryItem> history() {
    auto h = store_->query_history(storage::Tenant{}, HistoryQuery{});
    EXPECT_TRUE(h.ok());
    return h.ok() ? h->items : std::vector<HistoryItem>{};
  }

  testing::TempDir dir_;
  ManualClock clock_{kT0};
  std::unique_ptr<AlarmStore> store_;
};

TEST_F(ActionDispatcherTest, RetriesAfterA500ThenRecordsSuccess) {
  opsight::testing::LoopbackHttp server(statuses({500, 200}));
  auto d = dispatcher();
  ASSERT_TRUE(d->enqueue(delivery(server.url("/hook"))).ok());
  EXPECT_EQ(d->run_due(), 1u);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(d->pending(), 1u);
  EXPECT_EQ(d->next_due_ms(), kT0 + 1'000);
  EXPECT_EQ(d->run_due(), 0u);  // backoff not over
  clock_.advance_ms(1'000);
  EXPECT_EQ(d->run_due(), 1u);
  EXPECT_EQ(d->pending(), 0u);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[1].head.starts_with("POST /hook HTTP/1.1\r\n")) << reqs[1].head;
  EXPECT_NE(reqs[1].head.find("X-Opsight-Dedup-Key: key-1"), std::string::npos) << reqs[1].head;
  EXPECT_NE(reqs[1].head.find("Content-Type: application/json"), std::string::npos);
  EXPECT_EQ(reqs[1].body, R"({"hello":"world"})");
  auto h = history();
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].item_type, HistoryItemType::kAction);
  EXPECT_EQ(h[0].summary, "Successfully executed action " + server.url("/hook"));
  EXPECT_NE(h[0].data.find(R"("actionState":"Succeeded")"), std::string::npos);
  EXPECT_NE(h[0].data.find(R"("attempts":2)"), std::string::npos);
  EXPECT_NE(h[0].data.find(R"("httpStatus":200)"), std::string::npos);
  EXPECT_NE(h[0].data.find(R"("dedupKey":"key-1")"), std::string::npos);
}

TEST_F(ActionDispatcherTest, GivesUpAfterMaxAttemptsAndOn4xx) {
  opsight::testing::LoopbackHttp server(statuses({503, 503, 404}));
  auto d = dispatcher(2);
  ASSERT_TRUE(d->enqueue(delivery(server.url("/a"))).ok());
  d->run_due();
  clock_.advance_ms(1'000);
  d->run_due();
  EXPECT_EQ(d->pending(), 0u);
  ASSERT_TRUE(d->enqueue(delivery(server.url("/b"))).ok());
  EXPECT_EQ(d->run_due(), 1u);  // 404: not retried
  EXPECT_EQ(d->pending(), 0u);
  auto h = history();
  ASSERT_EQ(h.size(), 2u);
  for (const auto& item : h) {
    EXPECT_TRUE(item.summary.starts_with("Failed to execute action")) << item.summary;
    EXPECT_NE(item.data.find(R"("actionState":"Failed")"), std::string::npos);
  }
  EXPECT_NE(h[0].summary.find("HTTP status 404"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(ActionDispatcherTest, UnreachableServerIsRetriedAndPendingDeliveriesSurviveRestart) {
  int port = 0;
  {
    opsight::testing::LoopbackHttp probe;
    port = probe.port();
  }  // closed: connection refused from now on
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  {
    auto d = dispatcher();
    ASSERT_TRUE(d->enqueue(delivery(url)).ok());
    EXPECT_EQ(d->run_due(), 1u);
    EXPECT_EQ(d->pending(), 1u);
  }
  auto d = dispatcher();  // restart: the outbox is reloaded with its attempt count
  EXPECT_EQ(d->pending(), 1u);
  EXPECT_EQ(d->next_due_ms(), kT0 + 1'000);
  clock_.advance_ms(2'000);
  d->run_due();  // attempt 2 fails: backoff 2 s
  EXPECT_EQ(d->next_due_ms(), kT0 + 4'000);
  clock_.advance_ms(2'000);
  d->run_due();  // attempt 3 of 3
  EXPECT_EQ(d->pending(), 0u);
  auto h = history();
  ASSERT_EQ(h.size(), 1u);
  EXPECT_NE(h[0].data.find(R"("attempts":3)"), std::string::npos) << h[0].data;
}

StateChange change(StateValue from, StateValue to) {
  StateChange ch;
  ch.alarm_name = "cpu-high";
  ch.description = "CPU above 50%";
  ch.old_state = from;
  ch.new_state = to;
  ch.old_reason = "Unchecked: Initial alarm creation";
  ch.new_reason = "Threshold Crossed: ...";
  ch.new_reason_data = R"({"version":"1.0"})";
  ch.old_ts_ms = kT0 - 60'000;
  ch.new_ts_ms = kT0 + 123;
  MetricAlarm a = testing::threshold_alarm(3, 3, TreatMissingData::kMissing);
  a.description = ch.description;
  ch.configuration_json = event_configuration(AlarmDefinition(a));
  return ch;
}

TEST(ActionTemplatesTest, EventBridgeEnvelope) {
  const StateChange ch = change(StateValue::kOk, StateValue::kAlarm);
  const std::string ev = alarm_state_change_event(ch);
  simdjson::dom::parser p;
  simdjson::dom::element e = p.parse(ev);
  EXPECT_EQ(std::string_view(e["version"]), "0");
  EXPECT_EQ(std::string_view(e["id"]), event_id(ch));
  EXPECT_EQ(std::string_view(e["id"]).size(), 36u);
  EXPECT_EQ(std::string_view(e["detail-type"]), "CloudWatch Alarm State Change");
  EXPECT_EQ(std::string_view(e["source"]), "aws.cloudwatch");
  EXPECT_EQ(std::string_view(e["region"]), "local");
  EXPECT_EQ(std::string_view(e["time"]), "2023-11-14T22:14:00Z");
  EXPECT_EQ(std::string_view(e["detail"]["state"]["reasonData"]), R"({"version":"1.0"})");
  EXPECT_EQ(std::string_view(e["detail"]["state"]["timestamp"]), "2023-11-14T22:14:00.123+0000");
  EXPECT_EQ(std::string_view(e["detail"]["previousState"]["value"]), "OK");
  EXPECT_EQ(std::string_view(e["detail"]["configuration"]["description"]), "CPU above 50%");
  auto stat = e["detail"]["configuration"]["metrics"].at(0)["metricStat"];
  EXPECT_EQ(std::string_view(stat["metric"]["namespace"]), "AWS/EC2");
  EXPECT_EQ(std::string_view(stat["metric"]["dimensions"]["InstanceId"]), "i-1");
  EXPECT_EQ(int64_t(stat["period"]), 60);
  EXPECT_EQ(std::string_view(stat["stat"]), "Average");
  EXPECT_NE(event_id(ch), event_id(change(StateValue::kAlarm, StateValue::kOk)));
}

TEST(ActionTemplatesTest, Payloads) {
  ActionTarget t;
  t.name = "team";
  simdjson::dom::parser p;
  const StateChange firing = change(StateValue::kOk, StateValue::kAlarm);
  const StateChange resolved = change(StateValue::kAlarm, StateValue::kOk);

  t.type = TargetType::kSlack;
  simdjson::dom::element slack = p.parse(render_payload(t, firing, "{}", "http://ops:4318"));
  EXPECT_EQ(std::string_view(slack["text"]),
            "*ALARM: \"cpu-high\" in local (000000000000) changed from OK to ALARM*\n"
            ">Threshold Crossed: ...\nCPU above 50%\n<http://ops:4318/alarms/cpu-high|View "
            "alarm>");

  t.type = TargetType::kPagerDuty;
  t.routing_key = "R0UTING";
  simdjson::dom::element pd = p.parse(render_payload(t, firing, "{}", ""));
  EXPECT_EQ(std::string_view(pd["routing_key"]), "R0UTING");
  EXPECT_EQ(std::string_view(pd["event_action"]), "trigger");
  EXPECT_EQ(std::string_view(pd["dedup_key"]),
            "arn:aws:cloudwatch:local:000000000000:alarm:cpu-high");
  EXPECT_EQ(std::string_view(pd["payload"]["severity"]), "critical");
  EXPECT_EQ(std::string_view(pd["payload"]["timestamp"]), "2023-11-14T22:14:00.123Z");
  simdjson::dom::element pd_resolve = p.parse(render_payload(t, resolved, "{}", ""));
  EXPECT_EQ(std::string_view(pd_resolve["event_action"]), "resolve");
  EXPECT_EQ(std::string_view(pd_resolve["dedup_key"]),
            "arn:aws:cloudwatch:local:000000000000:alarm:cpu-high");
  EXPECT_TRUE(pd_resolve["payload"].error());

  t.type = TargetType::kAlertmanager;
  const std::string am_firing = render_payload(t, firing, "{}", "");
  simdjson::dom::element am = p.parse(am_firing);
  EXPECT_EQ(std::string_view(am["version"]), "4");
  EXPECT_EQ(std::string_view(am["status"]), "firing");
  EXPECT_EQ(std::string_view(am["receiver"]), "team");
  EXPECT_EQ(std::string_view(am["groupKey"]), "{}:{alertname=\"cpu-high\"}");
  EXPECT_EQ(std::string_view(am["alerts"].at(0)["labels"]["alertname"]), "cpu-high");
  EXPECT_EQ(std::string_view(am["alerts"].at(0)["endsAt"]), "0001-01-01T00:00:00Z");
  const std::string fp(std::string_view(am["alerts"].at(0)["fingerprint"]));
  simdjson::dom::parser p2;
  simdjson::dom::element am2 = p2.parse(render_payload(t, resolved, "{}", ""));
  EXPECT_EQ(std::string_view(am2["status"]), "resolved");
  EXPECT_EQ(std::string_view(am2["alerts"].at(0)["endsAt"]), "2023-11-14T22:14:00.123Z");
  EXPECT_EQ(std::string_view(am2["alerts"].at(0)["fingerprint"]), fp);  // same alert

  t.type = TargetType::kGeneric;
  EXPECT_EQ(render_payload(t, firing, "{\"event\":1}", ""), "{\"event\":1}");
}

TEST(ActionTemplatesTest, TargetsAndActions) {
  auto t = parse_action_target(
      R"({"Name": "pd", "Type": "pagerduty", "Url": "http://pd", "RoutingKey": "k",
          "Headers": {"Authorization": "Token x"}})");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  auto back = parse_action_target(action_target_json(*t));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *t);
  EXPECT_EQ(parse_action_target(R"({"Name": "pd", "Type": "pagerduty", "Url": "http://pd"})")
                .status()
                .message(),
            "MissingParameter: The parameter RoutingKey is required.");
  EXPECT_EQ(target_name_of_action("arn:aws:sns:local:000000000000:oncall"), "oncall");
  EXPECT_EQ(target_name_of_action("arn:opsight:alarm-target/team"), "team");
  EXPECT_EQ(target_name_of_action("http://hook"), "");
  Delivery d;
  d.alarm_name = "a";
  d.url = "http://x";
  d.headers = {{"A", "b"}};
  d.state = StateValue::kOk;
  auto dd = parse_delivery_doc(delivery_doc(d));
  ASSERT_TRUE(dd.ok());
  EXPECT_EQ(dd->headers, d.headers);
  EXPECT_EQ(dd->state, StateValue::kOk);
}

}  // namespace
}  // namespace opsight::alarm

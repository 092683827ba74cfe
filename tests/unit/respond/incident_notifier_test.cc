// Incident notifications delivered through the alarm action dispatcher to real loopback HTTP
// servers: the right targets for each change, retries with backoff (ManualClock), outcomes
// reported for the timeline and kept out of alarm history, the outbox surviving a restart.
#include "aiops/respond/incident_notifier.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alarm/alarm_store.h"
#include "testing/loopback_http.h"
#include "testing/temp_dir.h"

namespace opsight::aiops::respond {
namespace {

using opsight::testing::LoopbackHttp;

// A target built in code (designated initializers would need every field).
NotifyTarget target(std::string name, NotifyType type, std::string url,
                    const std::function<void(NotifyTarget&)>& more = {}) {
  NotifyTarget t;
  t.name = std::move(name);
  t.type = type;
  t.url = std::move(url);
  if (more) more(t);
  return t;
}

constexpr int64_t kT0 = 1'700'000'040'000;
const storage::Tenant kTenant{"123456789012", "eu-west-1"};

events::Event incident_event(const std::string& id, std::string state, std::string previous,
                             std::string change) {
  events::Event e;
  e.id = "ev-" + id + "-" + state;
  e.source = "opsight.incidents";
  e.detail_type = "Incident State Change";
  e.time_ms = kT0;
  e.tenant = kTenant;
  e.resources = {"incident/" + id};
  e.detail_json =
      R"({"incidentId":")" + id + R"(","state":")" + state + R"(","previousState":")" + previous +
      R"(","title":"payment: errors 12%","services":["payment"],"change":")" + change + R"("})";
  return e;
}

std::string json_str(const std::string& json, std::string_view pointer) {
  simdjson::dom::parser p;
  std::string_view v;
  if (p.parse(json).at_pointer(pointer).get_string().get(v)) return "<missing>";
  return std::string(v);
}

class IncidentNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override { open_store(); }
  void open_store() {
    auto s = alarm::AlarmStore::open(dir_.file("alarms.db"));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }
  std::unique_ptr<alarm::ActionDispatcher> dispatcher() {
    alarm::DispatcherOptions o;
    o.clock = &clock_;
    o.max_attempts = 3;
    o.initial_backoff_ms = 1'000;
    auto d = std::make_unique<alarm::ActionDispatcher>(store_.get(), o);
    EXPECT_TRUE(d->load().ok());
    return d;
  }
  NotifierOptions options(std::vector<NotifyTarget> targets) {
    NotifierOptions o;
    o.targets = std::move(targets);
    o.external_url = "http://opsight.local:4318/";
    o.hypothesis = [](const IncidentNotice& n) { return "payment deployed v2 before " + n.title; };
    o.on_delivery = [this](const DeliveryReport& r) { reports_.push_back(r); };
    return o;
  }
  const DeliveryReport* report_for(const std::string& target) const {
    for (const auto& r : reports_) {
      if (r.target == target) return &r;
    }
    return nullptr;
  }

  opsight::testing::TempDir dir_{"respond_notifier"};
  ManualClock clock_{kT0};
  std::unique_ptr<alarm::AlarmStore> store_;
  std::vector<DeliveryReport> reports_;
};

TEST_F(IncidentNotifierTest, OpenedGoesToEveryTargetThatWantsIt) {
  LoopbackHttp pd({{500, ""}, {202, R"({"status":"success"})"}});
  LoopbackHttp slack, jira({{201, R"({"key":"OPS-1"})"}}), hook;
  auto d = dispatcher();
  IncidentNotifier n(
      d.get(), options({target("oncall", NotifyType::kPagerDuty, pd.url("/v2/enqueue"),
                               [](NotifyTarget& t) { t.routing_key = "R0123"; }),
                        target("chat", NotifyType::kSlack, slack.url("/hook")),
                        target("tickets", NotifyType::kJira, jira.url(""),
                               [](NotifyTarget& t) {
                                 t.project_key = "OPS";
                                 t.headers = {{"Authorization", "Basic dTpw"}};
                               }),
                        target("archive", NotifyType::kWebhook, hook.url("/events"),
                               [](NotifyTarget& t) { t.on = {IncidentChange::kResolved}; })}));
  const events::Event ev = incident_event("inc-0000000000a1", "open", "", "opened");
  EXPECT_EQ(n.on_event(ev), 3u);  // not the webhook: it only wants resolved

  EXPECT_EQ(d->run_due(), 3u);
  EXPECT_EQ(d->pending(), 1u);  // pagerduty answered 500: retried after the backoff
  ASSERT_EQ(reports_.size(), 2u);
  clock_.advance_ms(1'000);
  EXPECT_EQ(d->run_due(), 1u);
  EXPECT_EQ(d->pending(), 0u);
  ASSERT_EQ(reports_.size(), 3u);

  const DeliveryReport* r = report_for("oncall");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(r->http_status, 202);
  EXPECT_EQ(r->incident_id, "inc-0000000000a1");
  EXPECT_EQ(r->change, "opened");
  EXPECT_EQ(r->target_type, "pagerduty");
  EXPECT_EQ(r->tenant, kTenant);
  EXPECT_EQ(r->timeline_text(), "Notified oncall (pagerduty) of opened: HTTP 202");
  EXPECT_EQ(json_str(r->data_json(), "/action"), "notify");

  ASSERT_EQ(pd.requests().size(), 2u);
  const auto pd_req = pd.requests()[1];
  EXPECT_EQ(pd_req.line(), "POST /v2/enqueue HTTP/1.1");
  EXPECT_EQ(pd_req.header("X-Opsight-Dedup-Key"), ev.id + "/oncall");
  EXPECT_EQ(json_str(pd_req.body, "/event_action"), "trigger");
  EXPECT_EQ(json_str(pd_req.body, "/dedup_key"), "inc-0000000000a1");
  EXPECT_EQ(json_str(pd_req.body, "/links/0/href"),
            "http://opsight.local:4318/incidents/inc-0000000000a1");
  EXPECT_EQ(json_str(pd_req.body, "/payload/custom_details/likely_cause"),
            "payment deployed v2 before payment: errors 12%");

  ASSERT_EQ(jira.requests().size(), 1u);
  EXPECT_EQ(jira.requests()[0].line(), "POST /rest/api/2/issue HTTP/1.1");
  EXPECT_EQ(jira.requests()[0].header("Authorization"), "Basic dTpw");
  EXPECT_EQ(json_str(jira.requests()[0].body, "/fields/project/key"), "OPS");
  ASSERT_EQ(slack.requests().size(), 1u);
  EXPECT_EQ(json_str(slack.requests()[0].body, "/blocks/0/type"), "section");
  EXPECT_TRUE(hook.requests().empty());

  // Incident deliveries are not alarm actions: no alarm history item.
  auto history = store_->query_history(kTenant, alarm::HistoryQuery{});
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->items.empty());
  const NotifierStats s = n.stats();
  EXPECT_EQ(s.enqueued, 3u);
  EXPECT_EQ(s.delivered, 3u);
  EXPECT_EQ(s.failed, 0u);
}

TEST_F(IncidentNotifierTest, ResolvedAndIgnoredChanges) {
  LoopbackHttp pd, jira, hook;
  auto d = dispatcher();
  IncidentNotifier n(d.get(),
                     options({target("oncall", NotifyType::kPagerDuty, pd.url("/v2/enqueue"),
                                     [](NotifyTarget& t) { t.routing_key = "R0123"; }),
                              target("tickets", NotifyType::kJira, jira.url(""),
                                     [](NotifyTarget& t) { t.project_key = "OPS"; }),
                              target("archive", NotifyType::kWebhook, hook.url("/events"))}));
  // A signal added to an open incident, a note, another source: nothing to send.
  EXPECT_EQ(n.on_event(incident_event("inc-0000000000a2", "open", "open", "signal")), 0u);
  events::Event other = incident_event("inc-0000000000a2", "open", "", "opened");
  other.source = "opsight.change";
  EXPECT_EQ(n.on_event(other), 0u);

  const events::Event ev =
      incident_event("inc-0000000000a2", "resolved", "acknowledged", "resolved");
  EXPECT_EQ(n.on_event(ev), 2u);  // pagerduty and the webhook; jira only on opened
  d->run_due();
  ASSERT_EQ(pd.requests().size(), 1u);
  EXPECT_EQ(json_str(pd.requests()[0].body, "/event_action"), "resolve");
  EXPECT_EQ(json_str(pd.requests()[0].body, "/payload/summary"), "<missing>");
  ASSERT_EQ(hook.requests().size(), 1u);
  EXPECT_EQ(hook.requests()[0].body, events::event_json(ev));
  EXPECT_TRUE(jira.requests().empty());
  EXPECT_EQ(reports_.size(), 2u);
}

TEST_F(IncidentNotifierTest, PermanentFailureIsReported) {
  LoopbackHttp slack({{404, "no_team"}});
  auto d = dispatcher();
  IncidentNotifier n(d.get(), options({target("chat", NotifyType::kSlack, slack.url("/"))}));
  n.on_event(incident_event("inc-0000000000a3", "acknowledged", "open", "acknowledged"));
  EXPECT_EQ(d->run_due(), 1u);
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_FALSE(reports_[0].ok);
  EXPECT_EQ(reports_[0].attempts, 1);
  EXPECT_EQ(reports_[0].http_status, 404);
  EXPECT_EQ(reports_[0].change, "acknowledged");
  EXPECT_EQ(reports_[0].timeline_text(),
            "Notification to chat (slack) of acknowledged failed after 1 attempt: HTTP status "
            "404");
  EXPECT_EQ(n.stats().failed, 1u);
}

TEST_F(IncidentNotifierTest, PendingDeliveryResumesAfterRestart) {
  LoopbackHttp pd;
  const std::vector<NotifyTarget> targets = {
      target("oncall", NotifyType::kPagerDuty, pd.url("/v2/enqueue"),
             [](NotifyTarget& t) { t.routing_key = "R0123"; })};
  {
    auto d = dispatcher();
    IncidentNotifier n(d.get(), options(targets));
    EXPECT_EQ(n.on_event(incident_event("inc-0000000000a4", "open", "", "opened")), 1u);
  }  // stopped before delivering
  store_.reset();
  open_store();
  auto d = dispatcher();
  EXPECT_EQ(d->pending(), 1u);
  IncidentNotifier n(d.get(), options(targets));
  EXPECT_EQ(d->run_due(), 1u);
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_TRUE(reports_[0].ok);
  EXPECT_EQ(reports_[0].incident_id, "inc-0000000000a4");
  EXPECT_EQ(reports_[0].change, "opened");
  ASSERT_EQ(pd.requests().size(), 1u);
  EXPECT_EQ(json_str(pd.requests()[0].body, "/dedup_key"), "inc-0000000000a4");
}

}  // namespace
}  // namespace opsight::aiops::respond

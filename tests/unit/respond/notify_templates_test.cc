// Notification bodies for incident changes: each receiver's required fields, parsed back from
// the JSON; change classification; target validation.
#include "aiops/respond/notify_templates.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <functional>
#include <string>

#include "aiops/respond/text_util.h"

namespace opsight::aiops::respond {
namespace {

namespace dom = simdjson::dom;

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

events::Event incident_event(std::string state, std::string previous, std::string change) {
  events::Event e;
  e.id = "0b5e7c4e-1111-4222-8333-444455556666";
  e.source = "opsight.incidents";
  e.detail_type = "Incident State Change";
  e.time_ms = kT0;
  e.tenant = {"123456789012", "eu-west-1"};
  e.resources = {"incident/inc-00000000abcd"};
  e.detail_json =
      R"({"incidentId":"inc-00000000abcd","state":")" + state + R"(","previousState":")" +
      previous +
      R"(","title":"payment: p99 latency 2.3 s <x8>","services":["checkout","payment"],"change":")" +
      change + R"(","severity":0.9})";
  return e;
}

IncidentNotice notice(const events::Event& e) {
  auto n = parse_incident_event(e);
  EXPECT_TRUE(n.ok()) << n.status().to_string();
  return *n;
}

const NotifyContext kCtx{"payment latency rose 8x at 10:02",
                         "http://opsight.local:4318/incidents/inc-00000000abcd"};

class JsonDoc {
 public:
  explicit JsonDoc(const std::string& s) : padded_(s) {
    auto r = parser_.parse(padded_);
    EXPECT_FALSE(r.error()) << s;
    root_ = r.value_unsafe();
  }
  std::string str(std::string_view ptr) {
    std::string_view v;
    auto err = root_.at_pointer(ptr).get_string().get(v);
    EXPECT_FALSE(err) << ptr;
    return std::string(v);
  }
  bool has(std::string_view ptr) { return !root_.at_pointer(ptr).error(); }
  size_t count(std::string_view ptr) {
    dom::array a;
    EXPECT_FALSE(root_.at_pointer(ptr).get_array().get(a)) << ptr;
    return a.size();
  }

 private:
  simdjson::padded_string padded_;
  dom::parser parser_;
  dom::element root_;
};

TEST(IncidentEventTest, ClassifiesChanges) {
  EXPECT_EQ(notice(incident_event("open", "", "opened")).kind, IncidentChange::kOpened);
  EXPECT_EQ(notice(incident_event("open", "resolved", "reopened")).kind, IncidentChange::kOpened);
  EXPECT_EQ(notice(incident_event("acknowledged", "open", "acknowledged")).kind,
            IncidentChange::kAcknowledged);
  EXPECT_EQ(notice(incident_event("resolved", "acknowledged", "resolved")).kind,
            IncidentChange::kResolved);
  EXPECT_EQ(notice(incident_event("open", "open", "signal")).kind, IncidentChange::kNone);
  EXPECT_EQ(notice(incident_event("acknowledged", "acknowledged", "annotated")).kind,
            IncidentChange::kNone);
  const IncidentNotice n = notice(incident_event("open", "", "opened"));
  EXPECT_EQ(n.incident_id, "inc-00000000abcd");
  EXPECT_EQ(n.services, (std::vector<std::string>{"checkout", "payment"}));
  ASSERT_TRUE(n.severity.has_value());
  EXPECT_DOUBLE_EQ(*n.severity, 0.9);
}

TEST(IncidentEventTest, RefusesOtherEvents) {
  events::Event e = incident_event("open", "", "opened");
  e.source = "opsight.change";
  EXPECT_EQ(parse_incident_event(e).status().code(), Code::kInvalidArgument);
  e = incident_event("open", "", "opened");
  e.detail_json = R"({"state":"open"})";
  auto r = parse_incident_event(e);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("incidentId"), std::string::npos);
}

TEST(NotifyTemplatesTest, SlackBlockKit) {
  JsonDoc d(slack_body(notice(incident_event("open", "", "opened")), kCtx));
  EXPECT_NE(d.str("/text").find("Incident opened"), std::string::npos);
  EXPECT_EQ(d.count("/blocks"), 2u);
  EXPECT_EQ(d.str("/blocks/0/type"), "section");
  EXPECT_EQ(d.str("/blocks/0/text/type"), "mrkdwn");
  const std::string section = d.str("/blocks/0/text/text");
  EXPECT_NE(section.find("&lt;x8&gt;"), std::string::npos) << "mrkdwn escaping: " << section;
  EXPECT_NE(section.find("payment latency rose 8x"), std::string::npos);
  EXPECT_NE(section.find("<http://opsight.local:4318/incidents/inc-00000000abcd|"),
            std::string::npos);
  EXPECT_EQ(d.str("/blocks/1/type"), "context");
  EXPECT_NE(d.str("/blocks/1/elements/0/text").find("inc-00000000abcd"), std::string::npos);
}

TEST(NotifyTemplatesTest, SlackSectionStaysUnder3000Characters) {
  IncidentNotice n = notice(incident_event("open", "", "opened"));
  n.title = std::string(5000, 'x');
  JsonDoc d(slack_body(n, kCtx));
  const std::string section = d.str("/blocks/0/text/text");
  EXPECT_LE(section.size(), 3000u);
  EXPECT_NE(section.find("|View incident"), std::string::npos);  // the link survives
}

TEST(NotifyTemplatesTest, PagerDutyTriggerAcknowledgeResolve) {
  JsonDoc t(pagerduty_body(notice(incident_event("open", "", "opened")), kCtx, "R0123"));
  EXPECT_EQ(t.str("/routing_key"), "R0123");
  EXPECT_EQ(t.str("/event_action"), "trigger");
  EXPECT_EQ(t.str("/dedup_key"), "inc-00000000abcd");
  EXPECT_FALSE(t.str("/payload/summary").empty());
  EXPECT_EQ(t.str("/payload/source"), "checkout");
  EXPECT_EQ(t.str("/payload/severity"), "critical");
  EXPECT_EQ(t.str("/payload/timestamp"), "2023-11-14T22:14:00.000Z");
  EXPECT_EQ(t.str("/payload/custom_details/incident_id"), "inc-00000000abcd");
  EXPECT_EQ(t.str("/links/0/href"), kCtx.incident_url);

  JsonDoc a(pagerduty_body(notice(incident_event("acknowledged", "open", "acknowledged")), kCtx,
                           "R0123"));
  EXPECT_EQ(a.str("/event_action"), "acknowledge");
  EXPECT_EQ(a.str("/dedup_key"), "inc-00000000abcd");
  EXPECT_FALSE(a.has("/payload"));
  JsonDoc r(pagerduty_body(notice(incident_event("resolved", "open", "resolved")), kCtx, "R0123"));
  EXPECT_EQ(r.str("/event_action"), "resolve");
  EXPECT_FALSE(r.has("/payload"));
  EXPECT_FALSE(r.has("/links"));
}

TEST(NotifyTemplatesTest, PagerDutySeverityScale) {
  EXPECT_EQ(pagerduty_severity(0.95), "critical");
  EXPECT_EQ(pagerduty_severity(0.6), "error");
  EXPECT_EQ(pagerduty_severity(0.3), "warning");
  EXPECT_EQ(pagerduty_severity(0.1), "info");
  EXPECT_EQ(pagerduty_severity(std::nullopt), "error");
}

TEST(NotifyTemplatesTest, JiraCreateIssue) {
  JsonDoc d(jira_body(notice(incident_event("open", "", "opened")), kCtx, "OPS", "Bug"));
  EXPECT_EQ(d.str("/fields/project/key"), "OPS");
  EXPECT_EQ(d.str("/fields/issuetype/name"), "Bug");
  EXPECT_NE(d.str("/fields/summary").find("payment: p99 latency"), std::string::npos);
  EXPECT_NE(d.str("/fields/description").find("Likely cause: payment latency rose 8x"),
            std::string::npos);
  EXPECT_EQ(d.str("/fields/labels/0"), "opsight");
  EXPECT_EQ(d.str("/fields/labels/1"), "inc-00000000abcd");
  EXPECT_EQ(jira_issue_url("http://jira-proxy:8080/"), "http://jira-proxy:8080/rest/api/2/issue");
  EXPECT_EQ(jira_issue_url("http://j/rest/api/2/issue"), "http://j/rest/api/2/issue");
}

TEST(NotifyTemplatesTest, JiraSummaryAndLabelsWithinLimits) {
  IncidentNotice n = notice(incident_event("open", "", "opened"));
  n.title = std::string(300, 'y');
  n.services = {"order service", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  JsonDoc d(jira_body(n, kCtx, "OPS", "Task"));
  EXPECT_LE(d.str("/fields/summary").size(), 255u);
  EXPECT_EQ(d.str("/fields/labels/2"), "order_service");  // no spaces in Jira labels
  EXPECT_EQ(d.count("/fields/labels"), 10u);
}

TEST(NotifyTemplatesTest, ServiceNowIncident) {
  JsonDoc d(servicenow_body(notice(incident_event("open", "", "opened")), kCtx));
  EXPECT_NE(d.str("/short_description").find("payment: p99"), std::string::npos);
  EXPECT_FALSE(d.str("/description").empty());
  EXPECT_EQ(d.str("/urgency"), "1");
  EXPECT_EQ(d.str("/impact"), "1");
  EXPECT_EQ(d.str("/correlation_id"), "inc-00000000abcd");
  EXPECT_EQ(d.str("/state"), "1");
  EXPECT_EQ(servicenow_incident_url("http://snow:8080"), "http://snow:8080/api/now/table/incident");
}

TEST(NotifyTemplatesTest, RenderPerTypeAndChange) {
  const events::Event opened = incident_event("open", "", "opened");
  const events::Event resolved = incident_event("resolved", "open", "resolved");
  NotifyTarget jira = target("tickets", NotifyType::kJira, "http://j:1",
                             [](NotifyTarget& t) { t.project_key = "OPS"; });
  auto r = render_notification(jira, notice(opened), opened, kCtx);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->url, "http://j:1/rest/api/2/issue");
  EXPECT_FALSE(render_notification(jira, notice(resolved), resolved, kCtx).has_value());
  NotifyTarget snow = target("snow", NotifyType::kServiceNow, "http://s:1");
  EXPECT_FALSE(render_notification(snow, notice(resolved), resolved, kCtx).has_value());

  // The generic webhook gets the event envelope itself.
  NotifyTarget hook = target("hook", NotifyType::kWebhook, "http://h:1/x");
  auto w = render_notification(hook, notice(resolved), resolved, kCtx);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->body, events::event_json(resolved));
  JsonDoc d(w->body);
  EXPECT_EQ(d.str("/source"), "opsight.incidents");
  EXPECT_EQ(d.str("/detail-type"), "Incident State Change");
  EXPECT_EQ(d.str("/detail/incidentId"), "inc-00000000abcd");

  // Nothing for changes that are not opened / acknowledged / resolved.
  const events::Event signal = incident_event("open", "open", "signal");
  EXPECT_FALSE(render_notification(hook, notice(signal), signal, kCtx).has_value());
}

TEST(NotifyTargetTest, Validation) {
  NotifyTarget t = target("oncall", NotifyType::kPagerDuty, "http://pd:1/v2/enqueue",
                          [](NotifyTarget& t) { t.routing_key = "R"; });
  EXPECT_TRUE(validate_notify_target(t, "incidents.notify[0]").ok());
  NotifyTarget no_key = t;
  no_key.routing_key = "";
  Status st = validate_notify_target(no_key, "incidents.notify[0]");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("incidents.notify[0].routing_key"), std::string::npos);
  NotifyTarget https = t;
  https.url = "https://events.pagerduty.com/v2/enqueue";
  EXPECT_NE(validate_notify_target(https, "n").message().find("proxy"), std::string::npos);
  NotifyTarget jira = target("j", NotifyType::kJira, "http://j:1");
  EXPECT_NE(validate_notify_target(jira, "n").message().find("project_key"), std::string::npos);
  jira.project_key = "OPS";
  jira.on = {IncidentChange::kResolved};
  EXPECT_NE(validate_notify_target(jira, "n").message().find("only opened"), std::string::npos);
  NotifyTarget bad_header = t;
  bad_header.headers = {{"X-A", "1\r\nInjected: yes"}};
  EXPECT_EQ(validate_notify_target(bad_header, "n").code(), Code::kInvalidArgument);

  EXPECT_TRUE(target_wants(t, IncidentChange::kAcknowledged));
  jira.on.clear();
  EXPECT_TRUE(target_wants(jira, IncidentChange::kOpened));
  EXPECT_FALSE(target_wants(jira, IncidentChange::kResolved));
  t.on = {IncidentChange::kOpened, IncidentChange::kResolved};
  EXPECT_FALSE(target_wants(t, IncidentChange::kAcknowledged));
}

TEST(TextUtilTest, Utf8Capping) {
  bool cut = false;
  // "é" is 2 bytes: a cap of 3 bytes keeps "aé" and not half of the next one.
  EXPECT_EQ(utf8_capped("a\xC3\xA9\xC3\xA9", 4, &cut), "a\xC3\xA9");
  EXPECT_TRUE(cut);
  EXPECT_EQ(utf8_capped("ok", 10, &cut), "ok");
  EXPECT_FALSE(cut);
  // Invalid bytes become U+FFFD; an overlong "/" and a lone surrogate are invalid.
  EXPECT_EQ(utf8_capped("a\xFFz", 100), "a\xEF\xBF\xBDz");
  EXPECT_EQ(utf8_capped("\xC0\xAF", 100), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8_capped("\xED\xA0\x80", 100).find("\xED\xA0"), std::string::npos);
  EXPECT_EQ(utf8_ellipsized("abcdef", 5), "ab...");
}

}  // namespace
}  // namespace opsight::aiops::respond

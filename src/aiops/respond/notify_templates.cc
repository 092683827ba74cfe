// Notification bodies for incident changes (sources cited in notify_templates.h).
#include "aiops/respond/notify_templates.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "aiops/respond/text_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::aiops::respond {
namespace {

namespace dom = simdjson::dom;

// Receiver limits (see the header's sources).
constexpr size_t kSlackSectionMax = 3000;
constexpr size_t kPagerDutySummaryMax = 1024;
constexpr size_t kJiraSummaryMax = 255;
constexpr size_t kServiceNowShortMax = 160;  // the default dictionary length of short_description
constexpr size_t kMaxLabels = 10;

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string_view verb(IncidentChange c) {
  switch (c) {
    case IncidentChange::kOpened:
      return "Incident opened";
    case IncidentChange::kAcknowledged:
      return "Incident acknowledged";
    case IncidentChange::kResolved:
      return "Incident resolved";
    case IncidentChange::kNone:
      break;
  }
  return "Incident updated";
}

// "Incident opened: <title> (inc-...)"
std::string headline(const IncidentNotice& n) {
  return fmt::format("{}: {} ({})", verb(n.kind), n.title.empty() ? "(untitled)" : n.title,
                     n.incident_id);
}

// Slack mrkdwn control characters (api.slack.com/reference/surfaces/formatting, "Escaping
// text"): &, <, >.
std::string slack_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A Jira label: no whitespace (Jira rejects labels with spaces), at most 255 characters.
std::string jira_label(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == ' ' || c == '\t' || c == '\n' || c == '\r') ? '_' : c;
  return utf8_capped(out, 255);
}

std::string trim_slash(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

// ServiceNow urgency / impact: 1 high, 2 medium, 3 low.
std::string_view servicenow_level(std::optional<double> severity) {
  if (!severity) return "2";
  if (*severity >= 0.8) return "1";
  if (*severity >= 0.5) return "2";
  return "3";
}

// The plain-text description shared by Jira and ServiceNow.
std::string description(const IncidentNotice& n, const NotifyContext& ctx) {
  std::string d = fmt::format("{} at {}.\n\n", headline(n), format_rfc3339_ms(n.time_ms));
  if (!n.services.empty()) d += fmt::format("Services: {}\n", join(n.services, ", "));
  if (!ctx.hypothesis.empty()) d += fmt::format("Likely cause: {}\n", ctx.hypothesis);
  d += fmt::format("State: {}\n", n.state);
  d += fmt::format("Account: {}, region: {}\n", n.tenant.account, n.tenant.region);
  if (!ctx.incident_url.empty()) d += fmt::format("\n{}\n", ctx.incident_url);
  d += "\nCreated by opsight.";
  return d;
}

}  // namespace

std::string_view notify_type_name(NotifyType type) {
  switch (type) {
    case NotifyType::kSlack:
      return "slack";
    case NotifyType::kPagerDuty:
      return "pagerduty";
    case NotifyType::kJira:
      return "jira";
    case NotifyType::kServiceNow:
      return "servicenow";
    case NotifyType::kWebhook:
      return "webhook";
  }
  return "";
}

std::optional<NotifyType> parse_notify_type(std::string_view name) {
  for (NotifyType t : {NotifyType::kSlack, NotifyType::kPagerDuty, NotifyType::kJira,
                       NotifyType::kServiceNow, NotifyType::kWebhook}) {
    if (notify_type_name(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view incident_change_name(IncidentChange change) {
  switch (change) {
    case IncidentChange::kOpened:
      return "opened";
    case IncidentChange::kAcknowledged:
      return "acknowledged";
    case IncidentChange::kResolved:
      return "resolved";
    case IncidentChange::kNone:
      break;
  }
  return "";
}

std::optional<IncidentChange> parse_incident_change(std::string_view name) {
  for (IncidentChange c :
       {IncidentChange::kOpened, IncidentChange::kAcknowledged, IncidentChange::kResolved}) {
    if (incident_change_name(c) == name) return c;
  }
  return std::nullopt;
}

Status validate_notify_target(const NotifyTarget& t, std::string_view where) {
  auto bad = [&](std::string_view field, std::string_view rule) {
    return Status::invalid_argument(fmt::format("{}.{} {}", where, field, rule));
  };
  if (t.name.empty() || t.name.size() > 64 ||
      t.name.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
          std::string::npos) {
    return bad("name", fmt::format("\"{}\" must be 1 to 64 of A-Z, a-z, 0-9, '_', '.', '-'",
                                   utf8_capped(t.name, 80)));
  }
  if (t.url.starts_with("https://")) {
    return bad("url",
               "is https://, which the built-in HTTP client cannot send: point it at a local "
               "TLS-forwarding proxy over http:// (docs/respond.md, \"HTTPS receivers\")");
  }
  if (!t.url.starts_with("http://") || t.url.size() <= 7) {
    return bad("url", fmt::format("must be an http:// URL, got \"{}\"", utf8_capped(t.url, 200)));
  }
  if (t.type == NotifyType::kPagerDuty && t.routing_key.empty()) {
    return bad("routing_key", "is required for type pagerduty");
  }
  if (t.type == NotifyType::kJira) {
    if (t.project_key.empty()) return bad("project_key", "is required for type jira");
    if (t.issue_type.empty()) return bad("issue_type", "must not be empty");
  }
  if (t.timeout_ms < 1 || t.timeout_ms > 120'000) {
    return bad("timeout_ms", "must be between 1 and 120000");
  }
  for (const auto& [k, v] : t.headers) {
    if (k.empty() || k.find_first_of(":\r\n ") != std::string::npos ||
        v.find_first_of("\r\n") != std::string::npos) {
      return bad("headers", fmt::format("\"{}\" is not a valid header (name without ':', spaces "
                                        "or line breaks; value without line breaks)",
                                        utf8_capped(k, 80)));
    }
  }
  const bool opened_only = t.type == NotifyType::kJira || t.type == NotifyType::kServiceNow;
  for (IncidentChange c : t.on) {
    if (c == IncidentChange::kNone)
      return bad("on", "entries must be opened, acknowledged or resolved");
    if (opened_only && c != IncidentChange::kOpened) {
      return bad("on", fmt::format("type {} supports only opened (it creates a record)",
                                   notify_type_name(t.type)));
    }
  }
  return OkStatus();
}

bool target_wants(const NotifyTarget& t, IncidentChange change) {
  if (change == IncidentChange::kNone) return false;
  if (t.on.empty()) {
    if (t.type == NotifyType::kJira || t.type == NotifyType::kServiceNow) {
      return change == IncidentChange::kOpened;
    }
    return true;
  }
  for (IncidentChange c : t.on) {
    if (c == change) return true;
  }
  return false;
}

Result<IncidentNotice> parse_incident_event(const events::Event& event) {
  if (event.source != kIncidentEventSource || event.detail_type != kIncidentEventDetailType) {
    return Status::invalid_argument(
        fmt::format("event {}: not an incident change (source \"{}\", detail-type \"{}\")",
                    event.id, utf8_capped(event.source, 100), utf8_capped(event.detail_type, 100)));
  }
  dom::parser parser;
  dom::object detail;
  if (parser.parse(event.detail_json).get_object().get(detail)) {
    return Status::invalid_argument(
        fmt::format("event {}: detail must be a JSON object", event.id));
  }
  IncidentNotice n;
  n.event_id = event.id;
  n.tenant = event.tenant;
  n.time_ms = event.time_ms;
  auto str = [&](std::string_view key, std::string* out) {
    std::string_view v;
    if (!detail[key].get_string().get(v)) *out = std::string(v);
  };
  str("incidentId", &n.incident_id);
  str("state", &n.state);
  str("previousState", &n.previous_state);
  str("title", &n.title);
  str("change", &n.change);
  if (n.incident_id.empty()) {
    return Status::invalid_argument(
        fmt::format("event {}: detail.incidentId must be a non-empty string", event.id));
  }
  if (n.state.empty()) {
    return Status::invalid_argument(
        fmt::format("event {}: detail.state must be a non-empty string", event.id));
  }
  dom::array services;
  if (!detail["services"].get_array().get(services)) {
    for (dom::element s : services) {
      std::string_view v;
      if (!s.get_string().get(v) && !v.empty()) n.services.emplace_back(v);
    }
  }
  double severity = 0;
  if (!detail["severity"].get_double().get(severity)) n.severity = severity;
  const bool changed = n.state != n.previous_state;
  if (n.change == "opened" || (n.state == "open" && changed)) {
    n.kind = IncidentChange::kOpened;  // new, or reopened
  } else if (changed && n.state == "acknowledged") {
    n.kind = IncidentChange::kAcknowledged;
  } else if (changed && n.state == "resolved") {
    n.kind = IncidentChange::kResolved;
  }
  return n;
}

std::string_view pagerduty_severity(std::optional<double> severity) {
  if (!severity) return "error";
  if (*severity >= 0.8) return "critical";
  if (*severity >= 0.5) return "error";
  if (*severity >= 0.3) return "warning";
  return "info";
}

std::string slack_body(const IncidentNotice& n, const NotifyContext& ctx) {
  std::string section = fmt::format("*{}*: {}", verb(n.kind), slack_escape(n.title));
  if (!n.services.empty()) {
    section += fmt::format("\n*Services:* {}", slack_escape(join(n.services, ", ")));
  }
  if (!ctx.hypothesis.empty()) {
    section += fmt::format("\n*Likely cause:* {}", slack_escape(ctx.hypothesis));
  }
  std::string link;
  if (!ctx.incident_url.empty()) {
    link = fmt::format("\n<{}|View incident {}>", ctx.incident_url, n.incident_id);
  }
  // The link is kept whole: the text before it is what gets shortened.
  section = utf8_ellipsized(section, kSlackSectionMax - std::min(link.size(), kSlackSectionMax));
  section += link;
  std::string context = fmt::format("opsight · {} · state {}", n.incident_id, n.state);
  if (!n.previous_state.empty()) context += fmt::format(" (was {})", n.previous_state);
  context +=
      fmt::format(" · {}/{} · {}", n.tenant.account, n.tenant.region, format_rfc3339_ms(n.time_ms));
  json::Writer w(1024);
  w.begin_object();
  w.kv("text", utf8_capped(headline(n), 3000));
  w.key("blocks").begin_array();
  w.begin_object().kv("type", "section");
  w.key("text").begin_object().kv("type", "mrkdwn").kv("text", section).end_object();
  w.end_object();
  w.begin_object().kv("type", "context");
  w.key("elements").begin_array();
  w.begin_object().kv("type", "mrkdwn").kv("text", slack_escape(context)).end_object();
  w.end_array();
  w.end_object();
  w.end_array();
  w.end_object();
  return w.take();
}

std::string pagerduty_body(const IncidentNotice& n, const NotifyContext& ctx,
                           std::string_view routing_key) {
  std::string_view action = "trigger";
  if (n.kind == IncidentChange::kAcknowledged) action = "acknowledge";
  if (n.kind == IncidentChange::kResolved) action = "resolve";
  json::Writer w(1024);
  w.begin_object();
  w.kv("routing_key", routing_key);
  w.kv("event_action", action);
  w.kv("dedup_key", n.incident_id);
  if (action == "trigger") {
    std::string summary = n.title.empty() ? headline(n) : n.title;
    if (!ctx.hypothesis.empty()) summary += " — likely cause: " + ctx.hypothesis;
    w.key("payload").begin_object();
    w.kv("summary", utf8_ellipsized(summary, kPagerDutySummaryMax));
    w.kv("source", n.services.empty() ? std::string("opsight") : n.services.front());
    w.kv("severity", pagerduty_severity(n.severity));
    w.kv("timestamp", format_rfc3339_ms(n.time_ms));
    if (!n.services.empty()) w.kv("component", n.services.front());
    w.kv("group", n.tenant.region);
    w.kv("class", "incident");
    w.key("custom_details").begin_object();
    w.kv("incident_id", n.incident_id);
    w.kv("title", n.title);
    w.kv("state", n.state);
    w.key("services").begin_array();
    for (const auto& s : n.services) w.value(s);
    w.end_array();
    if (!ctx.hypothesis.empty()) w.kv("likely_cause", ctx.hypothesis);
    w.kv("account", n.tenant.account);
    w.kv("region", n.tenant.region);
    w.end_object();
    w.end_object();
    if (!ctx.incident_url.empty()) {
      w.key("links").begin_array();
      w.begin_object().kv("href", ctx.incident_url).kv("text", "View incident in opsight");
      w.end_object().end_array();
    }
    w.kv("client", "opsight");
    if (!ctx.incident_url.empty()) w.kv("client_url", ctx.incident_url);
  }
  w.end_object();
  return w.take();
}

std::string jira_body(const IncidentNotice& n, const NotifyContext& ctx,
                      std::string_view project_key, std::string_view issue_type) {
  json::Writer w(1024);
  w.begin_object();
  w.key("fields").begin_object();
  w.key("project").begin_object().kv("key", project_key).end_object();
  w.kv("summary",
       utf8_ellipsized(fmt::format("[opsight] {}", n.title.empty() ? n.incident_id : n.title),
                       kJiraSummaryMax));
  w.kv("description", description(n, ctx));
  w.key("issuetype").begin_object().kv("name", issue_type).end_object();
  w.key("labels").begin_array();
  w.value("opsight");
  w.value(jira_label(n.incident_id));
  for (size_t i = 0; i < n.services.size() && i + 2 < kMaxLabels; i++) {
    w.value(jira_label(n.services[i]));
  }
  w.end_array();
  w.end_object();
  w.end_object();
  return w.take();
}

std::string servicenow_body(const IncidentNotice& n, const NotifyContext& ctx) {
  json::Writer w(1024);
  w.begin_object();
  w.kv("short_description",
       utf8_ellipsized(fmt::format("[opsight] {}", n.title.empty() ? n.incident_id : n.title),
                       kServiceNowShortMax));
  w.kv("description", description(n, ctx));
  w.kv("urgency", servicenow_level(n.severity));
  w.kv("impact", servicenow_level(n.severity));
  w.kv("correlation_id", n.incident_id);
  w.kv("correlation_display", "opsight");
  w.kv("state", "1");  // New
  w.end_object();
  return w.take();
}

std::string jira_issue_url(std::string_view base) {
  constexpr std::string_view kPath = "/rest/api/2/issue";
  std::string b = trim_slash(base);
  if (b.ends_with(kPath)) return b;
  return b + std::string(kPath);
}

std::string servicenow_incident_url(std::string_view instance) {
  constexpr std::string_view kPath = "/api/now/table/incident";
  std::string b = trim_slash(instance);
  if (b.ends_with(kPath)) return b;
  return b + std::string(kPath);
}

std::optional<NotifyRequest> render_notification(const NotifyTarget& target,
                                                 const IncidentNotice& notice,
                                                 const events::Event& event,
                                                 const NotifyContext& context) {
  if (notice.kind == IncidentChange::kNone) return std::nullopt;
  switch (target.type) {
    case NotifyType::kSlack:
      return NotifyRequest{target.url, slack_body(notice, context)};
    case NotifyType::kPagerDuty:
      return NotifyRequest{target.url, pagerduty_body(notice, context, target.routing_key)};
    case NotifyType::kJira:
      if (notice.kind != IncidentChange::kOpened) return std::nullopt;
      return NotifyRequest{jira_issue_url(target.url),
                           jira_body(notice, context, target.project_key, target.issue_type)};
    case NotifyType::kServiceNow:
      if (notice.kind != IncidentChange::kOpened) return std::nullopt;
      return NotifyRequest{servicenow_incident_url(target.url), servicenow_body(notice, context)};
    case NotifyType::kWebhook:
      break;
  }
  return NotifyRequest{target.url, events::event_json(event)};
}

}  // namespace opsight::aiops::respond

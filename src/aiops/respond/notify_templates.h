#pragma once
// Request bodies that tell people about an incident change, one per receiver, each written from
// the receiver's public documentation:
//
//   slack       Slack incoming webhooks with Block Kit (api.slack.com/messaging/webhooks;
//               api.slack.com/reference/block-kit/blocks: "section" text <= 3000 characters,
//               "context" elements <= 10): {"text": <fallback>, "blocks": [section, context]}.
//   pagerduty   PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/
//               trigger-events, .../acknowledge-events, .../resolve-events):
//               {"routing_key", "event_action": trigger|acknowledge|resolve, "dedup_key":
//               <incident id>, and on trigger only "payload": {"summary" (<= 1024 chars),
//               "source", "severity": critical|error|warning|info, "timestamp" (ISO 8601),
//               "component", "group", "class", "custom_details"}, "links": [{"href", "text"}],
//               "client", "client_url"}.
//   jira        Jira Cloud platform REST API v2, "Create issue" (developer.atlassian.com/cloud/
//               jira/platform/rest/v2/api-group-issues/#api-rest-api-2-issue-post): POST
//               <base>/rest/api/2/issue {"fields": {"project": {"key"}, "summary" (<= 255
//               chars), "description" (plain text / wiki markup in v2), "issuetype": {"name"},
//               "labels": ["opsight", ...]}}; labels may not contain spaces. On opened only.
//   servicenow  ServiceNow Table API (docs.servicenow.com, "Table API", POST
//               /api/now/table/{tableName}) on the incident table: POST
//               <instance>/api/now/table/incident {"short_description", "description",
//               "urgency", "impact" (1 high, 2 medium, 3 low), "correlation_id": <incident id>,
//               "correlation_display": "opsight", "state": "1" (New)}. On opened
//               only: resolving needs the record's sys_id from the create answer (PATCH
//               .../incident/<sys_id> with state 6 and close_notes), which the fire-and-forget
//               delivery path does not keep (docs/respond.md, "Limits").
//   webhook     the EventBridge event itself (events/event.h), unchanged.
//
// Input: an incident change event of aiops/correlate (source "opsight.incidents", detail-type
// "Incident State Change", detail {incidentId, state, previousState, title, services, change,
// severity?}), parsed into an IncidentNotice.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "events/event.h"

namespace opsight::aiops::respond {

inline constexpr std::string_view kIncidentEventSource = "opsight.incidents";
inline constexpr std::string_view kIncidentEventDetailType = "Incident State Change";

enum class NotifyType { kSlack, kPagerDuty, kJira, kServiceNow, kWebhook };
std::string_view notify_type_name(NotifyType type);  // "slack", ..., "servicenow", "webhook"
std::optional<NotifyType> parse_notify_type(std::string_view name);

// The incident changes a target can be told about.
enum class IncidentChange { kNone, kOpened, kAcknowledged, kResolved };
std::string_view incident_change_name(IncidentChange change);  // "", "opened", ...
std::optional<IncidentChange> parse_incident_change(std::string_view name);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One configured notification target (config `incidents.notify[]`, docs/respond.md).
struct NotifyTarget {
  std::string name;  // 1..64 of [A-Za-z0-9_.-]
  NotifyType type = NotifyType::kWebhook;
  // slack: the incoming webhook URL; pagerduty: the Events API v2 enqueue URL
  // (e.g. http://proxy/v2/enqueue); jira: the site base URL; servicenow: the instance URL;
  // webhook: the receiver. http:// only (the built-in client has no TLS: use a local proxy).
  std::string url;
  std::string routing_key;          // pagerduty (required)
  std::string project_key;          // jira (required)
  std::string issue_type = "Task";  // jira
  HeaderList headers;               // e.g. Authorization for jira and servicenow
  int64_t timeout_ms = 10'000;      // per attempt, 1..120000
  // Which changes to send; empty = every change the type supports (jira and servicenow:
  // opened only).
  std::vector<IncidentChange> on;
  bool operator==(const NotifyTarget&) const = default;
};

// InvalidArgument naming the field and the rule (`where` prefixes the message, e.g.
// "incidents.notify[0]").
Status validate_notify_target(const NotifyTarget& target, std::string_view where);
// Whether `target` is told about `change` (its `on` list, or the type's default).
bool target_wants(const NotifyTarget& target, IncidentChange change);

// An incident change event, parsed.
struct IncidentNotice {
  std::string event_id;
  storage::Tenant tenant;
  int64_t time_ms = 0;
  std::string incident_id;
  std::string state;           // "open", "acknowledged", "resolved"
  std::string previous_state;  // "" for a new incident
  std::string title;
  std::vector<std::string> services;
  std::string change;              // the detail's free "change" word ("opened", "signal", ...)
  std::optional<double> severity;  // [0, 1] when the detail carries it
  IncidentChange kind = IncidentChange::kNone;  // what a notification is about
};

// InvalidArgument when `event` is not an incident change (source / detail-type) or its detail
// lacks incidentId or state. `kind`: opened when change is "opened" or the state became open
// (from nothing or from resolved), acknowledged / resolved when the state became that, none
// otherwise (signals added, notes).
Result<IncidentNotice> parse_incident_event(const events::Event& event);

// What the templates add to the event.
struct NotifyContext {
  std::string hypothesis;    // one line, the top root-cause hypothesis; "" = none yet
  std::string incident_url;  // console link; "" = none
};

// One request to make.
struct NotifyRequest {
  std::string url;
  std::string body;  // application/json
};

// The request for `target`, or nullopt when the target type has nothing to send for this
// change (jira / servicenow except opened; any type for kNone). Does not check `on`.
std::optional<NotifyRequest> render_notification(const NotifyTarget& target,
                                                 const IncidentNotice& notice,
                                                 const events::Event& event,
                                                 const NotifyContext& context);

// The individual bodies (exposed for tests and the docs).
std::string slack_body(const IncidentNotice& notice, const NotifyContext& context);
std::string pagerduty_body(const IncidentNotice& notice, const NotifyContext& context,
                           std::string_view routing_key);
std::string jira_body(const IncidentNotice& notice, const NotifyContext& context,
                      std::string_view project_key, std::string_view issue_type);
std::string servicenow_body(const IncidentNotice& notice, const NotifyContext& context);
// <base>/rest/api/2/issue and <instance>/api/now/table/incident (a URL that already ends with
// the path is kept).
std::string jira_issue_url(std::string_view base);
std::string servicenow_incident_url(std::string_view instance);

// PagerDuty severity of an incident severity in [0, 1]: >= 0.8 critical, >= 0.5 error,
// >= 0.3 warning, else info; unknown = error.
std::string_view pagerduty_severity(std::optional<double> severity);

}  // namespace opsight::aiops::respond

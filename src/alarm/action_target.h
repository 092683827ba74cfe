#pragma once
// Where alarm actions go. An action of AlarmActions / OKActions / InsufficientDataActions is
//   - an http(s) URL: a `generic` webhook receiving the EventBridge-shaped event, or
//   - an ARN ("arn:aws:sns:local:000000000000:oncall", "arn:opsight:alarm-target:oncall"): its
//     last segment (after the last ':' or '/') names an alarm-target configuration object
//     (meta store kind "alarm-target"), so alarms written for SNS topics work unchanged once a
//     target of that name exists.
//
// An alarm-target object (JSON): {"Name": "oncall", "Type": "slack" | "pagerduty" |
// "alertmanager" | "generic", "Url": "http://...", "RoutingKey": "..." (pagerduty),
// "Headers": {"Authorization": "..."}, "TimeoutMs": 10000}.
//
// Payload templates (written from each receiver's public documentation):
//   - slack: Slack incoming webhooks, {"text": "..."} with mrkdwn
//     (api.slack.com/messaging/webhooks).
//   - pagerduty: PagerDuty Events API v2 (developer.pagerduty.com, "Events API v2 Overview"):
//     {"routing_key", "event_action": "trigger" (ALARM, INSUFFICIENT_DATA) | "resolve" (OK),
//      "dedup_key": the alarm ARN, "payload": {"summary", "source", "severity", "timestamp",
//      "component", "group", "class", "custom_details"}, "client", "client_url"}.
//   - alertmanager: the Alertmanager webhook format version "4"
//     (prometheus.io/docs/alerting/latest/configuration/#webhook_config): one alert, status
//     "firing" (ALARM, INSUFFICIENT_DATA) or "resolved" (OK).
//   - generic: the EventBridge event (alarm_event.h).
// Every delivery carries an idempotency key header (X-Opsight-Dedup-Key: the event id), so a
// receiver can drop the duplicates that retries may cause.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alarm/alarm_event.h"
#include "common/status.h"

namespace opsight::alarm {

inline constexpr std::string_view kAlarmKind = "alarm";
inline constexpr std::string_view kAlarmTargetKind = "alarm-target";
inline constexpr std::string_view kDedupHeader = "X-Opsight-Dedup-Key";

enum class TargetType { kGeneric, kSlack, kPagerDuty, kAlertmanager };
std::string_view target_type_name(TargetType t);

struct ActionTarget {
  std::string name;
  TargetType type = TargetType::kGeneric;
  std::string url;
  std::string routing_key;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timeout_ms = 10'000;
  bool operator==(const ActionTarget&) const = default;
};

Result<ActionTarget> parse_action_target(std::string_view json);
std::string action_target_json(const ActionTarget& target);

// The alarm-target name an ARN action refers to; "" for a URL action.
std::string target_name_of_action(std::string_view action);

// The request body for `target` (content type application/json for every type).
// `external_url` (may be "") links back to the console.
std::string render_payload(const ActionTarget& target, const StateChange& change,
                           std::string_view event_json, std::string_view external_url);

}  // namespace opsight::alarm

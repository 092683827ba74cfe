#pragma once
// Alarm state changes as events: the EventBridge envelope of "CloudWatch Alarm State Change"
// (Amazon EventBridge user guide, "Alarm events and EventBridge" in the CloudWatch user guide):
//
//   {"version": "0", "id": "<uuid>", "detail-type": "CloudWatch Alarm State Change",
//    "source": "aws.cloudwatch", "account": "...", "time": "2024-01-02T03:04:05Z",
//    "region": "...", "resources": ["arn:aws:cloudwatch:<region>:<account>:alarm:<name>"],
//    "detail": {"alarmName": "...",
//               "state": {"value", "reason", "reasonData", "timestamp"},
//               "previousState": {...},
//               "configuration": {"description", "metrics": [...]}  (metric alarm)
//                                {"alarmRule", "actionsSuppressor", ...}  (composite)}}
//
// The event id is derived from the alarm ARN, the new state and its timestamp (a v4-shaped
// UUID from xxHash64), so the same change always has the same id (consumers can dedup).
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <string>

#include "alarm/alarm_model.h"
#include "alarm/alarm_types.h"

namespace opsight::alarm {

inline constexpr std::string_view kStateChangeDetailType = "CloudWatch Alarm State Change";

struct StateChange {
  storage::Tenant tenant;
  std::string alarm_name;
  AlarmType alarm_type = AlarmType::kMetric;
  std::string description;
  StateValue old_state = StateValue::kInsufficientData;
  StateValue new_state = StateValue::kInsufficientData;
  std::string old_reason, new_reason;
  std::string old_reason_data, new_reason_data;  // JSON text, "" when none
  int64_t old_ts_ms = 0, new_ts_ms = 0;
  std::string configuration_json;  // detail.configuration (event_configuration())
  // Composite alarms with held actions (suppression.h): "WaitPeriod", ...; "" otherwise.
  std::string actions_suppressed_by, actions_suppressed_reason;
};

// detail.configuration of an alarm.
std::string event_configuration(const AlarmDefinition& def);
// The whole event (compact JSON).
std::string alarm_state_change_event(const StateChange& change);
// The event id of a change ("xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx").
std::string event_id(const StateChange& change);

}  // namespace opsight::alarm

#pragma once
// An event: the Amazon EventBridge envelope (EventBridge user guide, "Amazon EventBridge events"):
//
//   {"version": "0", "id": "<uuid>", "detail-type": "...", "source": "...",
//    "account": "<12 digits>", "time": "2024-01-02T03:04:05Z", "region": "...",
//    "resources": ["arn:..."], "detail": {...}}
//
// Alarm state changes, change events (deploys, config, scale, flags), incident changes and, later,
// canary runs and the event bus all travel as events and are kept in the event store
// (events/event_store.h).
//
// Sources written by opsight itself:
//   "opsight.change"     detail-type "Change Event"            (events/change_event.h)
//   "opsight.incidents"  detail-type "Incident State Change"   (aiops/correlate)
//   "aws.cloudwatch"     detail-type "CloudWatch Alarm State Change" (alarm/alarm_event.h)
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::events {

struct Event {
  std::string id;  // unique per tenant; a v4-shaped UUID when opsight makes it
  std::string source;
  std::string detail_type;
  int64_t time_ms = 0;
  storage::Tenant tenant;
  std::vector<std::string> resources;
  std::string detail_json = "{}";  // a JSON object, compact

  bool operator==(const Event&) const = default;
};

// The envelope as compact JSON (time in RFC 3339 with second precision, as EventBridge writes it).
std::string event_json(const Event& event);

// Parses an envelope written by event_json (or by EventBridge). InvalidArgument names the field and
// the rule: id, source and detail-type non-empty; time RFC 3339; detail an object.
Result<Event> parse_event_json(std::string_view json);

// A new random v4 UUID ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string new_event_id();

}  // namespace opsight::events

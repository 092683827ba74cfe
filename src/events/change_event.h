#pragma once
// Change events: deploys, configuration changes, scaling and feature-flag flips, recorded so an
// investigation can show "payment was deployed v2.3.1 at 10:01" as evidence.
//
// Native JSON (POST /api/v1/events/change):
//   {"service": "payment", "kind": "deploy", "version": "v2.3.1", "author": "ci",
//    "time": <ms> | "RFC 3339" (default now), "description": "...",
//    "attributes": {"commit": "abc123", ...}}
// Rules: service 1..255 chars; kind one of deploy, config, scale, flag; version, author <= 255;
// description <= 4096; attributes: <= 50 string values, keys <= 128, values <= 1024; time at most
// 14 days in the past and 2 hours in the future.
// Stored as an event with source "opsight.change", detail-type "Change Event", resources
// ["service/<service>"] and the change (without "time") as detail.
//
// Thread safety: plain values and pure functions (list_changes reads the thread-safe store).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/event.h"
#include "events/event_store.h"

namespace opsight::events {

inline constexpr std::string_view kChangeSource = "opsight.change";
inline constexpr std::string_view kChangeDetailType = "Change Event";

struct ChangeEvent {
  std::string id;  // the event id; made when empty
  std::string service;
  std::string kind;  // deploy | config | scale | flag
  std::string version;
  std::string author;
  std::string description;
  int64_t time_ms = 0;
  std::map<std::string, std::string> attributes;
  bool operator==(const ChangeEvent&) const = default;
};

// Parses and validates one change (see above). InvalidArgument names the field and the rule.
Result<ChangeEvent> parse_change_event(std::string_view json, int64_t now_ms);
// The same, but a change without "time" takes `default_time_ms` (the envelope's time on the
// event bus path) instead of now; the time window is checked either way.
Result<ChangeEvent> parse_change_event(std::string_view json, int64_t now_ms,
                                       int64_t default_time_ms);

// The change as JSON (the native shape, "time" in ms).
std::string change_event_json(const ChangeEvent& change);

Event change_to_event(const storage::Tenant& tenant, const ChangeEvent& change);
// InvalidArgument when the event is not a change event.
Result<ChangeEvent> change_from_event(const Event& event);

// Changes of a tenant in [start, end), oldest first; `service` "" = every service.
Result<std::vector<ChangeEvent>> list_changes(const EventStore& store,
                                              const storage::Tenant& tenant, int64_t start_ms,
                                              int64_t end_ms, std::string_view service = {},
                                              size_t limit = 10000);

}  // namespace opsight::events

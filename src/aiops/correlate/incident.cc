#include "aiops/correlate/incident.h"

#include "common/json_writer.h"

namespace opsight::aiops {

std::string_view incident_state_name(IncidentState state) {
  switch (state) {
    case IncidentState::kOpen:
      return "open";
    case IncidentState::kAcknowledged:
      return "acknowledged";
    case IncidentState::kResolved:
      return "resolved";
  }
  return "open";
}

std::optional<IncidentState> parse_incident_state(std::string_view name) {
  if (name == "open") return IncidentState::kOpen;
  if (name == "acknowledged") return IncidentState::kAcknowledged;
  if (name == "resolved") return IncidentState::kResolved;
  return std::nullopt;
}

std::string_view timeline_type_name(TimelineType type) {
  switch (type) {
    case TimelineType::kSignal:
      return "signal";
    case TimelineType::kState:
      return "state";
    case TimelineType::kNote:
      return "note";
    case TimelineType::kAction:
      return "action";
    case TimelineType::kInvestigation:
      return "investigation";
  }
  return "note";
}

std::optional<TimelineType> parse_timeline_type(std::string_view name) {
  if (name == "signal") return TimelineType::kSignal;
  if (name == "state") return TimelineType::kState;
  if (name == "note") return TimelineType::kNote;
  if (name == "action") return TimelineType::kAction;
  if (name == "investigation") return TimelineType::kInvestigation;
  return std::nullopt;
}

std::string incident_title(const Signal& first) {
  std::string summary = first.summary.empty() ? first.source : first.summary;
  if (first.service.empty()) return summary;
  return first.service + ": " + summary;
}

std::string incident_json(const Incident& inc, bool with_keys) {
  json::Writer w(512);
  w.begin_object();
  w.kv("id", inc.id);
  w.kv("account", inc.tenant.account).kv("region", inc.tenant.region);
  w.kv("state", incident_state_name(inc.state));
  w.kv("title", inc.title);
  w.kv("severity", inc.severity);
  w.kv("openedAt", inc.opened_ms).kv("updatedAt", inc.updated_ms);
  w.key("resolvedAt");
  if (inc.resolved_ms != 0) {
    w.value(inc.resolved_ms);
  } else {
    w.null();
  }
  w.kv("firstSignalAt", inc.first_signal_ms).kv("lastSignalAt", inc.last_signal_ms);
  w.key("services").begin_array();
  for (const auto& s : inc.services) w.value(s);
  w.end_array();
  w.kv("signalCount", inc.signal_count);
  w.kv("alarmCount", inc.alarm_count);
  w.kv("activeAlarms", inc.active_alarms);
  w.kv("keyCount", static_cast<int64_t>(inc.keys.size()));
  if (with_keys) {
    w.key("keys").begin_array();
    for (const auto& [_, k] : inc.keys) {
      w.begin_object();
      w.kv("key", k.key).kv("kind", signal_kind_name(k.kind)).kv("source", k.source);
      w.kv("service", k.service).kv("state", k.state).kv("count", k.count);
      w.kv("firstAt", k.first_ms).kv("lastAt", k.last_ms);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  return w.take();
}

std::string timeline_entry_json(const TimelineEntry& e) {
  json::Writer w(256);
  w.begin_object();
  w.kv("seq", e.seq).kv("time", e.time_ms).kv("type", timeline_type_name(e.type));
  w.kv("text", e.text).kv("author", e.author);
  w.key("data").raw(e.data_json.empty() ? "{}" : e.data_json);
  w.end_object();
  return w.take();
}

}  // namespace opsight::aiops

#pragma once
// An incident: signals that belong to one problem, grouped by the correlator
// (aiops/correlate/correlator.h), with a lifecycle and a timeline.
//
// Lifecycle (issue 8, "Correlation into incidents"):
//   open ──acknowledge──► acknowledged ──resolve──► resolved
//     └──────────────resolve──────────────────────────┘
// A resolved incident is final: a later signal with one of its keys opens a new incident.
// Automatic resolution (IncidentService::run_maintenance): no key of kind alarm is in ALARM and
// no signal arrived for the quiet period.
//
// Invariants of an Incident kept by the service:
//   - id is "inc-" followed by 12 lower-case hex digits, unique in the store;
//   - services is sorted, distinct and never contains "";
//   - keys holds every distinct signal key seen (signal_key()), with its last state;
//   - signal_count >= keys.size(); active_alarms == number of alarm keys whose state is ALARM;
//   - resolved_ms != 0 exactly when state == kResolved.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/correlate/signal.h"
#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::aiops {

enum class IncidentState { kOpen, kAcknowledged, kResolved };
std::string_view incident_state_name(IncidentState state);  // "open", "acknowledged", "resolved"
std::optional<IncidentState> parse_incident_state(std::string_view name);

// One distinct signal key of an incident (repeats of it are counted here).
struct IncidentKey {
  std::string key;  // signal_key()
  SignalKind kind = SignalKind::kAlarm;
  std::string source;
  std::string service;
  std::string state;  // the last state seen ("ALARM", "OK", ...; "" for point-in-time signals)
  int64_t count = 0;  // signals with this key, repeats included
  int64_t first_ms = 0, last_ms = 0;
  bool operator==(const IncidentKey&) const = default;
};

struct Incident {
  std::string id;  // "inc-" + 12 hex
  storage::Tenant tenant;
  IncidentState state = IncidentState::kOpen;
  std::string title;      // from the first signal: "<service>: <summary>" ("<summary>" without one)
  double severity = 0.0;  // the highest severity of its signals, [0, 1]
  int64_t opened_ms = 0;  // when the service opened it (clock time)
  int64_t updated_ms = 0;                           // the last change of any kind (clock time)
  int64_t resolved_ms = 0;                          // 0 unless resolved
  int64_t first_signal_ms = 0, last_signal_ms = 0;  // signal times (Signal::time_ms)
  std::vector<std::string> services;                // sorted, distinct
  int64_t signal_count = 0;                         // every signal, repeats included
  int64_t alarm_count = 0;    // alarm signals that went into ALARM (repeats of ALARM excluded)
  int64_t active_alarms = 0;  // alarm keys currently in ALARM
  std::map<std::string, IncidentKey> keys;  // by key
  // Dimension values of its signals (lower-cased name -> sorted distinct values), for the
  // correlator's shared-dimension rule. Bounded: kMaxDimensionValues values per name.
  std::map<std::string, std::vector<std::string>> dimensions;
  // "<namespace>|<metric>" of its signals that have no service (the correlator's last rule).
  std::vector<std::string> unowned_metrics;

  bool is_active() const { return state != IncidentState::kResolved; }
  bool operator==(const Incident&) const = default;
};

inline constexpr size_t kMaxDimensionValues = 64;

enum class TimelineType { kSignal, kState, kNote, kAction, kInvestigation };
// "signal", "state", "note", "action", "investigation"
std::string_view timeline_type_name(TimelineType type);
std::optional<TimelineType> parse_timeline_type(std::string_view name);

struct TimelineEntry {
  int64_t seq = 0;  // assigned by the store, increasing in insertion order
  int64_t time_ms = 0;
  TimelineType type = TimelineType::kNote;
  std::string text;
  std::string author;            // "opsight" for entries the service writes itself
  std::string data_json = "{}";  // a JSON object, compact (signal: kind, source, state, ...)
  bool operator==(const TimelineEntry&) const = default;
};

// List filter. Incidents are returned newest first (opened_ms descending).
struct IncidentQuery {
  std::optional<IncidentState> state;
  // Incidents whose [first_signal_ms, last signal or resolution] overlaps [start_ms, end_ms].
  std::optional<int64_t> start_ms, end_ms;
  std::string service;  // "" = any; otherwise incidents that involve this service
  size_t limit = 100;   // 0 = 100; at most 10,000
};

// The title of an incident opened by `first`.
std::string incident_title(const Signal& first);

// Compact JSON of an incident as the API shows it: id, account, region, state, title, severity,
// openedAt, updatedAt, resolvedAt (null), firstSignalAt, lastSignalAt, services, signalCount,
// alarmCount, activeAlarms, keys [{key, kind, source, service, state, count, firstAt, lastAt}].
// Times in Unix ms. `with_keys` false omits keys (list views).
std::string incident_json(const Incident& incident, bool with_keys = true);
// {seq, time, type, text, author, data}
std::string timeline_entry_json(const TimelineEntry& entry);

}  // namespace opsight::aiops

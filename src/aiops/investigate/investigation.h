#pragma once
// Investigations: given a time window (an incident's, or one a user points at) and optional hints,
// name the most likely root causes, ranked, each with the evidence a person can check.
//
// Pipeline (docs/investigations.md):
//   analyses -> ComponentFindings -> ranker -> Hypotheses
// Each analysis reads one kind of data over the window and a baseline before it and reports, per
// component, how strongly that data points at it:
//   trace_analysis   latency (exclusive time), errors (error origin), dependency (inferred peers:
//                    databases, queues, remotes), onset times and the call edges;
//   metric_analysis  saturation (CPU, memory, queue depth, ... per service);
//   log_analysis     new and spiking log patterns per service;
//   change_analysis  change events shortly before the onset.
// The ranker combines the findings per component (documented scoring), orders them along the call
// graph (a fault's effects move from callee to caller) and writes the explanation from templates.
// Nothing here is keyed to particular service names.
//
// Thread safety: plain values.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::aiops {

struct InvestigationRequest {
  storage::Tenant tenant;
  int64_t start_ms = 0;  // the window [start, end)
  int64_t end_ms = 0;
  std::string service;   // optional hint: favour this service and its dependencies
  std::string alarm;     // optional hint: the alarm that started it
  std::string incident;  // optional: the incident being investigated
};

// One piece of evidence, rendered by the API and the console. `data_json` is a JSON object whose
// members depend on `type`:
//   "metric"       {"name", "labels": {...}, "unit", "baseline": x, "window": y, "ratio": r,
//                   "points": [[ms, v], ...]}   (series over baseline + window, <= 120 points)
//   "log_pattern"  {"log_group", "pattern", "pattern_id", "baseline_count", "window_count",
//                   "new": bool, "samples": ["line", ...] (<= 3)}
//   "trace"        {"trace_id", "span_id", "service", "operation", "duration_ms", "self_ms",
//                   "status", "error_origin": bool}
//   "change"       {"event": <the EventBridge envelope of the change event>}
struct Evidence {
  std::string type;
  std::string title;      // one line, e.g. "payment POST /charges self time p50 41 ms -> 332 ms"
  std::string link;       // an API path that opens it, e.g. "/api/v1/traces/<id>"
  std::string data_json;  // see above
};

// What one analysis says about one component.
struct ComponentFinding {
  std::string component;                   // a service, or an inferred peer ("orders-db")
  std::string component_type = "service";  // "service", "database", "queue", "remote", "host"
  std::string operation;                   // the operation most concerned, "" when none
  std::string kind;      // "latency", "errors", "saturation", "change", "dependency", "logs"
  double strength = 0;   // [0, 1]: how strongly this data points at the component
  int64_t onset_ms = 0;  // first time the deviation shows; 0 when unknown
  // Numbers the explanation templates use, e.g. "ratio", "share", "baseline", "window".
  std::map<std::string, double> facts;
  std::string clause;  // a plain-language clause, e.g. "payment latency rose 8.1x at 10:02"
  std::vector<Evidence> evidence;
};

// caller -> callee, as seen in the traces of the window (and baseline).
struct CallEdge {
  std::string caller;
  std::string callee;
  bool operator<(const CallEdge& o) const {
    return caller != o.caller ? caller < o.caller : callee < o.callee;
  }
};

struct Hypothesis {
  int rank = 0;           // 1 = most likely
  std::string service;    // the component's service (the peer's name for an inferred peer)
  std::string component;  // e.g. "payment", "payment POST /charges", "orders-db"
  std::string component_type;
  std::string kind;  // the strongest kind
  double score = 0;  // [0, 1]
  int64_t onset_ms = 0;
  std::string explanation;
  std::vector<Evidence> evidence;
};

struct InvestigationStats {
  uint64_t spans_scanned = 0;
  uint64_t traces = 0;
  uint64_t log_events_scanned = 0;
  uint64_t series_read = 0;
  int64_t elapsed_ms = 0;
  bool complete = true;  // false when a limit or the deadline cut a scan short
  std::string stopped_by;
};

struct InvestigationResult {
  std::vector<Hypothesis> hypotheses;  // ranked, best first
  int64_t baseline_start_ms = 0;       // the baseline used: [baseline_start, start)
  InvestigationStats stats;
};

}  // namespace opsight::aiops

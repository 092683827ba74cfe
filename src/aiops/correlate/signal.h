#pragma once
// A signal: one observation that something is wrong (or right again) somewhere, the input of
// incident correlation (aiops/correlate/correlator.h). Signals come from:
//   kAlarm       alarm state changes (ALARM, and OK / INSUFFICIENT_DATA which can resolve);
//   kAnomaly     anomaly-band breaches of a metric;
//   kLogAnomaly  a log group's new pattern, or a pattern whose rate left its learned band;
//   kRed         a service/operation's rate, errors or duration deviating from its baseline
//                (span-derived RED metrics);
//   kChange      a change event (deploy, config, scale, flag).
//
// Thread safety: plain values.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::aiops {

enum class SignalKind { kAlarm, kAnomaly, kLogAnomaly, kRed, kChange };

struct Signal {
  storage::Tenant tenant;
  SignalKind kind = SignalKind::kAlarm;
  // What raised it, stable across repeats: an alarm name, "<service>/<operation>/<errors|latency>",
  // a log group + pattern id, a metric series, a change event id.
  std::string source;
  std::string service;  // the service it concerns; "" when unknown
  // Shared dimensions used to relate signals: "host", "operation", "log_group", "metric",
  // "namespace", and any alarm dimension (lower-cased name -> value).
  std::map<std::string, std::string> dimensions;
  // Alarms: "ALARM", "OK" or "INSUFFICIENT_DATA". Others: "ALARM" while anomalous, "OK" when a
  // watcher sees it recover, "" for point-in-time signals (changes).
  std::string state;
  int64_t time_ms = 0;
  double severity = 0.5;  // [0, 1]
  std::string summary;    // one line for the timeline, e.g. "payment p99 latency 2.3 s (x8.1)"
};

std::string_view signal_kind_name(SignalKind kind);  // "alarm", "anomaly", "log", "red", "change"

// Dedup key: kind + source (+ tenant). Repeats of a key inside one incident are counted, not added.
std::string signal_key(const Signal& signal);

}  // namespace opsight::aiops

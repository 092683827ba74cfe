#pragma once
// Log anomaly rules per log group: the pure half of the log watcher (log_watcher.h scans the log
// store, mines patterns and calls this once per group and pass).
//
// Design
// - Model. Per group: pattern id -> {template, EWMA of its rate in events/min, first and last
//   seen time, alarm state}. The EWMA is time-aware: after a pass covering dt ms,
//   ewma += (1 - exp(-dt / ewma_tau_ms)) x (rate - ewma); a pattern absent from a pass
//   contributes rate 0 (it decays). A pattern's first pass sets ewma = rate.
// - Warm-up. For warmup_ms after the group's first pass the model learns and reports nothing
//   (every pattern is new to a fresh model).
// - New pattern (issue 8: "a pattern never seen before"): a pattern first seen after the warm-up
//   raises ALARM once it has >= new_min_events events in total, as long as it is no older than
//   new_period_ms (after that it is simply known).
// - Spike ("a pattern whose rate leaves its learned band"): a pass with >= spike_min_events
//   events and rate >= spike_factor x the EWMA before the pass.
// - Recovery: an alarm returns to OK after recovery_passes passes in a row within bounds (a new
//   pattern: no event; a spike: fewer than spike_min_events events or rate below
//   spike_factor x the EWMA the spike was judged against), or once it is relearn_after_ms old:
//   the EWMA keeps learning during the alarm, so a lasting change becomes the normal rate.
// - Template drift. The miner (query/patterns/pattern_miner.h, after Brain) decides per batch
//   whether a word column is variable, so a small batch may render "user alice logged in" where
//   a large one renders "user <*> logged in". A mined template that is not known by id is matched
//   against the group's known templates (template_covers): a known template that covers it takes
//   its events; when it covers known templates instead, it is registered as their
//   generalisation (first seen = the oldest of them, EWMA = their sum). Only what matches nothing
//   is new.
// - Bounds: at most max_patterns per group; beyond, the least recently seen patterns not in
//   ALARM are dropped (LRU). At most max_alarms_per_pass ALARM transitions per group and pass;
//   further new patterns stay eligible and are offered next pass.
// A transition whose signal the sink refuses is not taken (spikes and new patterns are offered
// again next pass while they still qualify; an OK is retried next pass).
//
// Thread safety: template_covers() is pure; LogGroupModel is not thread-safe.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aiops/watch/signal_sink.h"
#include "common/status.h"
#include "storage/metric_store.h"

namespace opsight::aiops::watch {

struct LogRules {
  int64_t warmup_ms = 10 * 60 * 1000;
  double new_min_events = 3;
  int64_t new_period_ms = 10 * 60 * 1000;
  double spike_factor = 5;
  double spike_min_events = 20;
  int64_t ewma_tau_ms = 30 * 60 * 1000;
  int recovery_passes = 2;
  int64_t relearn_after_ms = 30 * 60 * 1000;
  size_t max_patterns = 1000;  // per group
  size_t max_alarms_per_pass = 10;

  // InvalidArgument naming the field when a duration is negative (ewma_tau_ms: not positive), a
  // threshold negative, spike_factor not above 1, recovery_passes < 1 or max_patterns 0.
  Status validate() const;
};

// Log levels as far as a signal's severity cares.
enum class LogLevel { kUnknown = 0, kInfo = 1, kWarn = 2, kError = 3 };
// From OTLP SeverityNumber (1-24) or, when 0, the severity text ("ERROR", "warning", "E", ...).
LogLevel log_level(int32_t severity_number, std::string_view severity_text);

// One mined pattern of a pass.
struct PatternObservation {
  uint64_t id = 0;
  std::string template_text;
  double count = 0;  // events in the pass (scaled up when the pass was sampled)
  LogLevel level = LogLevel::kUnknown;
  std::string sample;  // one line, for the evidence
};

// True when `general` is `specific` with some words turned into variables: both split on
// whitespace into the same number of tokens, every token equal or a "<*>" of `general` where
// `specific` has a word, with at least one word left in `general` and at most half of the tokens
// generalised (so that "<*> <*> failed" does not swallow unrelated events). The miner renders a
// word column variable token for token (runs of variable-shaped tokens are "<*>" in both), so
// this is the drift it produces. Equal templates cover each other.
bool template_covers(std::string_view general, std::string_view specific);

// What observe() reports: an ALARM (new pattern or spike) or an OK.
struct LogFinding {
  enum class Kind { kNewPattern, kSpike, kRecovered };
  Kind kind = Kind::kNewPattern;
  Kind alarm_kind = Kind::kNewPattern;  // for kRecovered: what had raised the alarm
  uint64_t pattern_id = 0;
  std::string template_text;
  double count = 0;             // events in this pass (new pattern: in total since first seen)
  double rate_per_min = 0;      // this pass
  double baseline_per_min = 0;  // the EWMA judged against (0 for a new pattern)
  LogLevel level = LogLevel::kUnknown;
  std::string sample;
  double severity = 0;  // [0, 1]; 0 for kRecovered
};

// The Signal of a finding: kind kLogAnomaly, source "<group>#<16 hex digit pattern id>",
// dimensions {log_group}, summary e.g. new log pattern in /otel/payment: "Charge failed: <*>"
// (12 events).
Signal log_signal(const storage::Tenant& tenant, std::string_view group, std::string_view service,
                  const LogFinding& finding, int64_t now_ms);

class LogGroupModel {
 public:
  explicit LogGroupModel(LogRules rules) : rules_(std::move(rules)) {}

  struct PassCounts {
    size_t new_patterns = 0, spikes = 0, recoveries = 0, rejected = 0, deferred = 0;
  };
  // One pass ending at `now_ms` that covered `elapsed_ms` (> 0) of ingestion and saw `patterns`
  // (distinct ids). Every ALARM / OK transition is offered to `emit`; it is taken only when
  // `emit` returns true.
  PassCounts observe(std::span<const PatternObservation> patterns, int64_t now_ms,
                     int64_t elapsed_ms, const std::function<bool(const LogFinding&)>& emit);

  size_t num_patterns() const { return patterns_.size(); }
  size_t num_alarming() const;
  bool warm(int64_t now_ms) const {
    return known_since_ms_ != 0 && now_ms - known_since_ms_ >= rules_.warmup_ms;
  }
  // Introspection for tests: the EWMA of a pattern (events/min), or -1 when not tracked.
  double ewma_of(uint64_t id) const;

 private:
  struct PatternState {
    std::string template_text;
    double ewma = 0;  // events per minute
    double total = 0;
    int64_t first_seen_ms = 0, last_seen_ms = 0;
    bool new_eligible = false;  // first seen after the warm-up, not yet reported
    bool alarming = false;
    LogFinding::Kind alarm_kind = LogFinding::Kind::kNewPattern;
    int64_t alarm_since_ms = 0;
    double alarm_baseline = 0;
    int ok_passes = 0;
  };

  // The tracked id the observation belongs to (registering it when new); `created` tells
  // whether it is a pattern never seen before.
  uint64_t resolve(const PatternObservation& p, int64_t now_ms, bool warm, bool* created);
  void evict(size_t limit);

  const LogRules rules_;
  int64_t known_since_ms_ = 0;
  std::unordered_map<uint64_t, PatternState> patterns_;
};

}  // namespace opsight::aiops::watch

#pragma once
// RED deviation rules and their per-source state machine: the pure half of the RED watcher
// (red_watcher.h reads the span-derived counters from the metrics store and calls this).
//
// Inputs are counter increases over two adjacent intervals of one (service, operation): the
// window (the last RedRules::window_ms) and the baseline (the baseline_ms before it). From them:
//   request rate  = requests / interval
//   fault ratio   = faults / requests            (apm::classify faults: 5xx / status ERROR)
//   mean latency  = duration_sum / duration_count (the _sum/_count rates of the histogram)
// A (service, operation) deviates, per aspect (the RED method, Wilkie 2018; thresholds from
// issue 8's "RED deviations" and the watcher task):
//   errors   window requests >= min_requests and
//            fault ratio >= max(fault_ratio_floor, fault_ratio_factor x baseline ratio
//                                                  + fault_ratio_margin)
//   latency  window and baseline durations counted >= min_requests each and
//            mean >= latency_factor x baseline mean and mean - baseline mean >=
//            latency_min_increase_s
//   traffic  baseline rate >= traffic_min_baseline_rps, baseline requests >= min_requests and
//            window rate <= traffic_drop_factor x baseline rate.
//            (No min_requests on the window here: a drop to zero is the case that matters most.)
//
// State machine (RedDetector), per (tenant, service, operation, aspect):
//   OK --deviates--> ALARM   emits state "ALARM" (severity from the size of the deviation)
//   ALARM --recovery_passes passes in a row within bounds--> OK   emits state "OK"
// A transition whose signal the sink refuses is not taken: it is offered again next pass.
// A (service, operation) missing from a pass (no series left in range) counts as within bounds.
// Only sources in ALARM are remembered, so memory is bounded by what is broken; the state lives
// in memory and is relearnt after a restart (a deviation still present then raises ALARM again;
// one that ended while the process was down never gets its OK).
//
// Thread safety: red_deviations() and friends are pure; RedDetector is not thread-safe (one
// pass at a time, from one thread).

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "aiops/watch/signal_sink.h"
#include "common/status.h"
#include "storage/metric_store.h"

namespace opsight::aiops::watch {

struct RedRules {
  int64_t window_ms = 2 * 60 * 1000;     // the recent interval judged
  int64_t baseline_ms = 30 * 60 * 1000;  // the interval right before it
  double min_requests = 20;
  double fault_ratio_floor = 0.05;
  double fault_ratio_factor = 3;
  double fault_ratio_margin = 0.01;
  double latency_factor = 3;
  double latency_min_increase_s = 0.050;
  double traffic_drop_factor = 0.2;
  double traffic_min_baseline_rps = 1.0;
  int recovery_passes = 2;

  // InvalidArgument naming the field when an interval is not positive, a factor or count is
  // negative, traffic_drop_factor is not below 1 or recovery_passes < 1 (config input).
  Status validate() const;
};

// Counter increases over one interval.
struct RedCounts {
  double requests = 0, faults = 0;
  double duration_sum_s = 0, duration_count = 0;
  int64_t interval_ms = 0;

  double rate_per_s() const;
  double fault_ratio() const;     // 0 without requests
  double mean_latency_s() const;  // 0 without durations
};

struct RedObservation {
  RedCounts window, baseline;
};

enum class RedAspect { kErrors, kLatency, kTraffic };
std::string_view red_aspect_name(RedAspect aspect);  // "errors", "latency", "traffic"

struct RedDeviation {
  RedAspect aspect = RedAspect::kErrors;
  double value = 0;     // fault ratio, mean latency (s) or request rate (/s) in the window
  double baseline = 0;  // the same over the baseline
  double severity = 0;  // [0, 1], grows with the size of the deviation
};

// The aspects in which `obs` deviates (at most one per aspect, in enum order).
std::vector<RedDeviation> red_deviations(const RedObservation& obs, const RedRules& rules);

// The increase of a counter over (a, b] and (b, c], from its samples in ascending time order
// (values only; NaN such as staleness markers are skipped). A value lower than the one before
// it is a counter reset: the counter restarted from 0, so the increase is the new value (as
// Prometheus's rate() treats resets). Before the first sample there is no known value: it adds
// nothing (SpanMetrics writes a 0 sample when a counter is created, so nothing is lost).
struct IncreasePair {
  double first = 0, second = 0;
};
IncreasePair counter_increase(std::span<const storage::ValuePoint> points, int64_t a, int64_t b,
                              int64_t c);

// One line for the timeline, e.g. "payment POST /charges fault ratio 31% (baseline 0.2%)".
std::string red_summary(std::string_view service, std::string_view operation, const RedDeviation& d,
                        bool recovered);

using ServiceOperation = std::pair<std::string, std::string>;

class RedDetector {
 public:
  explicit RedDetector(RedRules rules) : rules_(std::move(rules)) {}

  struct PassCounts {
    size_t evaluated = 0;  // (service, operation) pairs judged
    size_t alarms = 0, recoveries = 0, rejected = 0;
  };
  // One pass over the observations of `tenant` at `now_ms`: emits the ALARM / OK transitions
  // through `sink` (see the state machine above). Sources of the tenant in ALARM and missing
  // from `observations` count as within bounds.
  PassCounts observe(const storage::Tenant& tenant,
                     const std::map<ServiceOperation, RedObservation>& observations, int64_t now_ms,
                     const SignalSink& sink);

  size_t num_alarming() const { return tracks_.size(); }
  const RedRules& rules() const { return rules_; }

 private:
  struct Track {
    RedDeviation last;  // the deviation that raised the ALARM, updated while it lasts
    int ok_passes = 0;
  };
  using Key = std::tuple<storage::Tenant, std::string, std::string, RedAspect>;

  Signal make_signal(const Key& key, const RedDeviation& d, bool recovered, int64_t now_ms) const;

  const RedRules rules_;
  std::map<Key, Track> tracks_;  // sources in ALARM
};

}  // namespace opsight::aiops::watch

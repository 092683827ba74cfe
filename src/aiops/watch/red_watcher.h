#pragma once
// RedWatcher: signals (kind kRed) from the span-derived RED metrics (apm/span_metrics.h) of every
// (service, operation), for the incident correlator (issue 8, "Signals").
//
// A pass (run_once(now_ms); the server calls it every 30 s) does, per tenant of TenantsFn:
//   1. reads opsight_span_requests_total, opsight_span_faults_total and
//      opsight_span_duration_seconds_sum / _count over
//      [now - window - baseline - anchor_lookback, now] (one select per metric name);
//   2. per (service, operation) sums the counter increases of its series over the baseline
//      (now - window - baseline, now - window] and the window (now - window, now], resets handled
//      as rate() does (red_detector.h counter_increase; anchor_lookback finds the value a counter
//      had when the baseline starts);
//   3. hands the observations to RedDetector, which applies the rules of red_detector.h and
//      emits ALARM / OK transitions through the sink: source "<service>/<operation>/<errors|
//      latency|traffic>", service, dimensions {operation}.
// The per-source state lives in memory (RedDetector): after a restart it is relearnt from the
// stored counters on the first pass.
//
// Bounds: at most max_operations (service, operation) pairs per tenant per pass (SpanMetrics
// bounds the series already; the rest are skipped and counted). A pass reads about
// (window + baseline + lookback) / write interval samples per series.
//
// Thread safety: run_once() must not run concurrently with itself; stats() may be called from
// any thread. The store must outlive the watcher.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "aiops/watch/red_detector.h"
#include "aiops/watch/signal_sink.h"
#include "common/status.h"
#include "storage/metric_store.h"

namespace opsight::aiops::watch {

struct RedWatcherOptions {
  RedRules rules;
  // How far before the baseline to look for a counter's last value (series get a sample only
  // when their counters moved, so the value at the baseline's start may be older).
  int64_t anchor_lookback_ms = 10 * 60 * 1000;
  size_t max_operations = 10'000;  // per tenant and pass
  TenantsFn tenants = default_tenant_only;
};

struct RedWatcherStats {
  uint64_t passes = 0;
  uint64_t series_read = 0;
  uint64_t operations_evaluated = 0;
  uint64_t operations_skipped = 0;  // beyond max_operations
  uint64_t alarms = 0, recoveries = 0;
  uint64_t sink_rejected = 0;
  uint64_t read_errors = 0;
  size_t alarming = 0;  // sources in ALARM now
  std::string last_error;
};

class RedWatcher {
 public:
  RedWatcher(storage::MetricStore* store, SignalSink sink, RedWatcherOptions options);

  // One pass at `now_ms`. A tenant whose data cannot be read is skipped (its sources keep their
  // state) and the first such error is returned after the other tenants were done.
  Status run_once(int64_t now_ms);

  RedWatcherStats stats() const;

  // Step 1 and 2 of a pass for one tenant: the observations at `now_ms`. Exposed for tests and
  // for the investigation side (baseline vs window per operation).
  static Result<std::map<ServiceOperation, RedObservation>> read_observations(
      storage::MetricStore* store, const storage::Tenant& tenant, int64_t now_ms,
      const RedRules& rules, int64_t anchor_lookback_ms, size_t max_operations,
      uint64_t* series_read = nullptr, uint64_t* skipped = nullptr);

 private:
  storage::MetricStore* const store_;
  const SignalSink sink_;
  const RedWatcherOptions opts_;
  RedDetector detector_;  // used by run_once() only

  mutable std::mutex stats_mu_;
  RedWatcherStats stats_;  // GUARDED_BY(stats_mu_)
};

}  // namespace opsight::aiops::watch

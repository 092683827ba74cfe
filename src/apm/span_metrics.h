#pragma once
// Application metrics derived from spans at ingest (the four signals of CloudWatch Application
// Signals: requests, latency, faults, errors), written to the metrics store as Prometheus
// counters so PromQL, rules and alarms can use them (rate(), histogram_quantile()).
//
// Series (per tenant; `service` = the span's service, `operation` = its name):
//   opsight_span_requests_total{service, operation}          counter
//   opsight_span_faults_total{service, operation}            counter (5xx / status ERROR)
//   opsight_span_errors_total{service, operation}            counter (4xx, 429 included)
//   opsight_span_duration_seconds_bucket{service, operation, le}   classic histogram, le =
//   opsight_span_duration_seconds_sum{service, operation}            apm::kResponseTimeBuckets
//   opsight_span_duration_seconds_count{service, operation}          and "+Inf"
// Counted spans: entry spans (server, consumer and root spans, apm::is_entry_span), classified by
// apm::classify. Fault and error series exist from a series' first request (at 0), so
// `rate(faults) / rate(requests)` has both sides.
//
// Cumulative state. The counters live in memory, one state per (tenant, service, operation).
// Ingest adds each committed batch to them (tally() outside any lock, add() under it: cheap, no
// metrics write per request); write() — on a timer in the server, and on demand — stages one
// sample per series touched since the last write with its cumulative value at the clock time
// (not the span time: span times arrive out of order, a counter's samples must not), strictly
// increasing per series, and commits. A series' first write is preceded by a 0 sample at the
// time its state was created (the counter existed at 0 before its first span, as Prometheus's
// created-timestamp zero injection does), so rate() works from the first write on. A restart
// starts every counter again from 0: to PromQL that is a counter reset, which rate()/increase()
// handle, as they do for a restarted Prometheus client. Series not touched get no new sample, so
// after 5 minutes without requests they go stale like a vanished target's. Counts not yet
// written when the process dies are lost (they are derived data; the spans themselves are
// durable).
// Cardinality: at most max_series (service, operation) pairs across tenants; requests of further
// pairs are counted under operation="other" of their service (its state is created even beyond
// the bound, one per service) and opsight_span_metrics_overflow_total counts them.
//
// Thread safety: SpanMetrics is thread-safe (one mutex around the state; an appender passed in
// is the caller's and used only inside the call). tally() is a pure function.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "apm/service_graph.h"  // kResponseTimeBuckets
#include "common/clock.h"
#include "common/status.h"
#include "storage/metric_store.h"
#include "storage/trace_store.h"

namespace opsight::apm {

inline constexpr std::string_view kSpanRequestsMetric = "opsight_span_requests_total";
inline constexpr std::string_view kSpanFaultsMetric = "opsight_span_faults_total";
inline constexpr std::string_view kSpanErrorsMetric = "opsight_span_errors_total";
inline constexpr std::string_view kSpanDurationMetric = "opsight_span_duration_seconds";
inline constexpr std::string_view kOverflowOperation = "other";

struct SpanMetricsOptions {
  size_t max_series = 10'000;  // (tenant, service, operation) states before folding to "other"
};

// What one batch of spans adds to the counters, per (service, operation) of its entry spans.
struct SpanIncrement {
  uint64_t requests = 0, faults = 0, errors = 0;
  double sum_seconds = 0;
  std::array<uint64_t, kResponseTimeBuckets.size() + 1> buckets{};  // not cumulative
};
using SpanTally = std::map<std::pair<std::string, std::string>, SpanIncrement>;

class SpanMetrics {
 public:
  SpanMetrics(SpanMetricsOptions opts, Clock* clock);

  // The increments of the entry spans of `spans` (no state touched).
  static SpanTally tally(std::span<const storage::Span> spans);
  // Adds a tally to the counters of `tenant`. Call it once the spans were committed to the
  // trace store, so that a retried request does not count twice what the store refused.
  void add(const storage::Tenant& tenant, const SpanTally& tally);

  // Stages the cumulative values of `tenant`'s series touched since their last write through
  // `appender` (of the same tenant; not committed here). Errors are the appender's; a series the
  // store refuses does not stop the others (the first error is returned).
  Status stage(const storage::Tenant& tenant, storage::Appender* appender);
  // stage() for every tenant with touched series on a fresh appender of `store`, then commit.
  Status write(storage::MetricStore* store);

  // add(tally(spans)) then stage(): the counters of one batch, staged at once.
  Status record_span_metrics(const storage::Tenant& tenant, std::span<const storage::Span> spans,
                             storage::Appender* appender);

  size_t num_series() const;

 private:
  struct State {
    SpanIncrement totals;
    int64_t created_t = 0;  // clock time of the state's creation (its 0 sample)
    int64_t last_t = 0;     // time of its last sample; 0 = none written yet
    bool touched = false;
  };
  using Key = std::tuple<storage::Tenant, std::string, std::string>;

  Status stage_locked(const storage::Tenant& tenant, storage::Appender* appender);

  const SpanMetricsOptions opts_;
  Clock* const clock_;
  mutable std::mutex mu_;
  std::map<Key, State> states_;                          // GUARDED_BY(mu_)
  std::vector<std::map<Key, State>::iterator> touched_;  // GUARDED_BY(mu_)
  std::map<storage::Tenant, bool> metadata_written_;     // GUARDED_BY(mu_)
};

}  // namespace opsight::apm

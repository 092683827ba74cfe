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
// Cumulative state. The counters live in memory, one state per (tenant, service, operation);
// each record_span_metrics() call adds its spans and stages one sample per touched series with
// the new cumulative value, at the ingest time (the clock, not the span time: span times arrive
// out of order, a counter's samples must not), strictly increasing per series. A restart starts
// every counter again from 0: to PromQL that is a counter reset, which rate()/increase() handle,
// as they do for a restarted Prometheus client. Series not touched by a request get no new
// sample, so after 5 minutes without requests they go stale like a vanished target's.
// Cardinality: at most max_series (service, operation) pairs across tenants; requests of further
// pairs are counted under operation="other" of their service (its state is created even beyond
// the bound, one per service) and opsight_span_metrics_overflow_total counts them.
//
// Thread safety: SpanMetrics is thread-safe (one mutex around the state; the appender is the
// caller's and used only inside the call).

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>

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

class SpanMetrics {
 public:
  SpanMetrics(SpanMetricsOptions opts, Clock* clock);

  // Adds the entry spans of `spans` to the counters of `tenant` and stages the new values of the
  // touched series through `appender` (an appender of the same tenant; not committed here).
  // Call it after the spans were committed to the trace store, so that a retried request does
  // not count twice what the store refused. Errors are the appender's.
  Status record_span_metrics(const storage::Tenant& tenant, std::span<const storage::Span> spans,
                             storage::Appender* appender);

  // record_span_metrics() on a fresh appender of `store`, then commit what was staged (a
  // series the store refused does not stop the others; its error is returned after the commit).
  Status record(storage::MetricStore* store, const storage::Tenant& tenant,
                std::span<const storage::Span> spans);

  size_t num_series() const;

 private:
  struct State {
    uint64_t requests = 0, faults = 0, errors = 0;
    double sum_seconds = 0;
    std::array<uint64_t, kResponseTimeBuckets.size() + 1> buckets{};  // not cumulative
    int64_t last_t = 0;
    bool touched = false;
  };
  using Key = std::tuple<storage::Tenant, std::string, std::string>;

  const SpanMetricsOptions opts_;
  Clock* const clock_;
  mutable std::mutex mu_;
  std::map<Key, State> states_;                       // GUARDED_BY(mu_)
  std::map<storage::Tenant, bool> metadata_written_;  // GUARDED_BY(mu_)
};

}  // namespace opsight::apm

#pragma once
// The PromQL engine: evaluates a parsed Expr over a storage::MetricStore, as an instant query
// (at one time) or a range query (start..end every step), with Prometheus 2.42's semantics
// (promql/engine.go and functions.go, documented at prometheus.io/docs/prometheus/latest/
// querying/): lookback delta, staleness markers ending a series, offset and @, subqueries,
// vector matching, aggregations, functions and rate extrapolation.
//
// Design
// - Every node is evaluated once over all steps of the query ("range evaluation", like
//   Prometheus): an instant-vector node yields a matrix with one point per step where the
//   series has a value; a scalar node yields one value per step. An instant query is a range
//   query with one step.
// - Selectors stream: series come one at a time from the SeriesSet and are reduced to their
//   per-step points (vector selectors) or folded by a sliding window (range functions such as
//   rate(x[5m])), so raw samples of at most one series window are held at a time. Only the
//   node results (one point per series and step) are materialised.
// - Limits: max_samples bounds the points held by node results plus the current window
//   (Prometheus's "query processing would load too many samples into memory"); max_series
//   bounds the series a selector may return; the deadline and the cancel flag are checked per
//   series and per step batch. Each is a clear error (ResourceExhausted, DeadlineExceeded,
//   Cancelled); bad queries at run time (e.g. duplicate series in vector matching) are
//   InvalidArgument, as Prometheus reports them.
// - Statistic-set samples (CloudWatch) are invisible to PromQL: only value samples are read.
//
// Thread safety: an Engine is immutable after construction and may run queries from several
// threads at once.

#include <atomic>
#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "query/promql/ast.h"
#include "query/promql/value.h"
#include "storage/metric_store.h"

namespace opsight::query::promql {

// The most evaluation steps of one node (a range query or a subquery), whatever max_samples.
inline constexpr size_t kMaxSteps = 100'000'000;

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Max points (samples) held in memory at once by one query; 0 = no limit.
  size_t max_samples = 50'000'000;
  // Max series one selector may select; 0 = no limit.
  size_t max_series = 0;
  // Query deadline; 0 = none.
  int64_t timeout_ms = 2 * 60 * 1000;
  // Step of subqueries written without one (`x[1h:]`); Prometheus uses the global evaluation
  // interval, 1m by default.
  int64_t default_subquery_step_ms = 60 * 1000;
  // Time source for the deadline (tests inject one).
  Clock* clock = Clock::real();
};

// Per-query controls.
struct QueryControl {
  // Set to true (from any thread) to make the query fail with Cancelled at its next check.
  const std::atomic<bool>* cancel = nullptr;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {}) : opts_(options) {}

  // Times must lie within +-kMaxTimestampMs (parser.h). Evaluations needing more than
  // max(max_samples, kMaxSteps) steps fail with ResourceExhausted.
  //
  // Evaluates at time t (ms). Returns Scalar, String, Vector (an instant-vector expression) or
  // Matrix (a range-vector expression: raw samples).
  Result<Value> instant(storage::MetricStore& store, const storage::QueryScope& scope,
                        const Expr& expr, int64_t t, QueryControl control = {}) const;
  // Evaluates at start, start+step, ... <= end (ms). Returns a Matrix sorted by labels; a
  // scalar expression yields one series without labels. The expression must be a scalar or an
  // instant vector; step > 0, end >= start.
  Result<Value> range(storage::MetricStore& store, const storage::QueryScope& scope,
                      const Expr& expr, int64_t start, int64_t end, int64_t step,
                      QueryControl control = {}) const;

  const EngineOptions& options() const { return opts_; }

 private:
  EngineOptions opts_;
};

}  // namespace opsight::query::promql

#pragma once
// Evaluation of one Metric Math expression over the values of the queries it references
// (CloudWatch user guide, "Metric math syntax and functions").
//
// Value rules (as CloudWatch):
// - Arithmetic (+ - * / ^), comparisons (== != < <= > >=, giving 1 or 0) and logic (AND &&
//   OR ||, non-zero is true) work between scalars, time series and arrays of time series:
//   series op series joins on timestamps (a point only where both have one); series op scalar
//   and array op scalar|series apply to every point / element. Two arrays cannot be combined.
// - SUM, AVG, MIN, MAX, STDDEV over an array give one series (per timestamp across the
//   series); over a single series they give a scalar (m1 - AVG(m1)).
// - A point whose result is not finite (x/0) is dropped.
// The functions and their argument rules are listed in functions.cc and docs/metric-math.md.
//
// Errors are InvalidArgument without the query id (GetMetricData prefixes it).
// Not thread-safe: an EvalContext belongs to one evaluation.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "query/metricmath/ast.h"
#include "query/metricmath/time_series.h"
#include "storage/metric_store.h"

namespace opsight::query::metricmath {

// The anomaly model behind ANOMALY_DETECTION_BAND(m, k): given the input series (its labels and
// stat identify the metric when it is one), the band width in standard deviations and the
// period, returns a Band aligned with input.timestamps. Called on the evaluating thread.
using AnomalyBandFn =
    std::function<Result<Band>(const TimeSeries& input, double k, int64_t period_ms)>;

struct EvalContext {
  storage::Querier* querier = nullptr;  // for SEARCH; may be null (SEARCH then fails)
  int64_t start_ms = 0;                 // inclusive
  int64_t end_ms = 0;                   // exclusive
  // Granularity for TIME_SERIES, a scalar result and SEARCH without a period argument.
  int64_t period_ms = 60'000;
  // Values of the queries evaluated so far, by id.
  const std::map<std::string, Value>* ids = nullptr;
  // Ids of the MetricStat queries in request order: what METRICS() returns.
  const std::vector<std::string>* metric_ids = nullptr;
  const AnomalyBandFn* anomaly_band = nullptr;  // null or empty: ANOMALY_DETECTION_BAND fails
  size_t max_search_series = 500;               // CloudWatch's per-SEARCH limit
  size_t max_datapoints = 100'800;              // per series
  std::string account;                          // SEARCH: only this account's series when set
  std::vector<std::string> warnings;            // out: notes for the result's Messages
};

Result<Value> evaluate(const Node& node, EvalContext& ctx);

// Function calls (functions.cc); `call` is a Node::Kind::kCall.
Result<Value> call_function(const Node& call, EvalContext& ctx);

// SEARCH (search_function.cc): the metrics matching `expr` (search_expression.h), each read as
// `stat` per `period_ms` over [ctx.start_ms, ctx.end_ms). Series without data in the range are
// left out; at most ctx.max_search_series are returned (a note goes to ctx.warnings). Labels:
// the dimension values (schema order, else label order) joined by spaces, followed by the
// metric name when the results have several metric names or no dimensions.
Result<std::vector<TimeSeries>> run_search(std::string_view expr, std::string_view stat,
                                           int64_t period_ms, EvalContext& ctx);

}  // namespace opsight::query::metricmath

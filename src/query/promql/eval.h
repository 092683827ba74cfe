#pragma once
// Internal to the engine: the evaluator that walks an Expr over a range of steps (see the
// design block in engine.h). Not part of the public API; one Evaluator runs one query on one
// thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "query/promql/ast.h"
#include "query/promql/engine.h"
#include "query/promql/value.h"

namespace opsight::query::promql::internal {

// The evaluation times of a node: start, start+step, ..., end (end - start is a multiple of
// step; an instant evaluation has start == end and step 1).
struct Steps {
  int64_t start = 0;
  int64_t end = 0;
  int64_t step = 1;
  size_t count() const { return static_cast<size_t>((end - start) / step) + 1; }
  int64_t at(size_t i) const { return start + static_cast<int64_t>(i) * step; }
  size_t index(int64_t t) const { return static_cast<size_t>((t - start) / step); }
};

// A node's result over all steps.
struct NodeValue {
  ValueType type = ValueType::kNone;
  Matrix series;               // kVector: one point per step where present; kMatrix: raw points
  std::vector<double> scalar;  // kScalar: one value per step
  std::string str;             // kString
  size_t points() const;
};

// Output series keyed by label set, for results built point by point in step order.
// A caller that adds many points to one label set resolves it once with slot() and adds by
// slot (hashing the labels per point was a third of a rate() query's CPU).
class SeriesMap {
 public:
  static constexpr size_t kNoSlot = ~size_t{0};
  // Adds (t, v) to the series `labels`; fails when that series already has a point at t
  // (two results with one label set at one step).
  Status add(const Labels& labels, int64_t t, double v) { return add_at(slot(labels), t, v); }
  // The series `labels`, created (without points) when new. Call it only right before the
  // first add_at, so that take() returns no empty series.
  size_t slot(const Labels& labels);
  // add() for the series of slot(labels).
  Status add_at(size_t slot, int64_t t, double v);
  Matrix take() { return std::move(out_); }
  size_t size() const { return out_.size(); }

 private:
  std::unordered_map<uint64_t, std::vector<size_t>> index_;
  Matrix out_;
};

// The points of an instant-vector result grouped by step: per step, (series index, value) in
// series order.
using StepPoints = std::vector<std::vector<std::pair<uint32_t, double>>>;
StepPoints by_step(const Matrix& m, const Steps& steps);

Labels drop_metric_name(const Labels& l);
// Prometheus's quantile of a set of values (sorts `values`); NaN for an empty set.
double quantile_of(double q, std::vector<double>& values);
// Labels for absent()/absent_over_time(): the equality matchers of a selector argument.
Labels absent_labels(const Node& arg);
// Go's strconv.FormatFloat(v, 'f', -1, 64) (count_values, label values).
std::string format_float_go(double v);

// A consumer of a range function's results, series by series, instead of a NodeValue (an
// aggregation over the function folds them as they come; see eval_aggregate).
class PointSink {
 public:
  virtual ~PointSink() = default;
  // The next output series, with its labels, before its first add().
  virtual Status begin(const Labels& labels) = 0;
  // The current series' value at step index `step`.
  virtual void add(size_t step, double v) = 0;
};

class Evaluator {
 public:
  Evaluator(const EngineOptions& opts, storage::MetricStore& store,
            const storage::QueryScope& scope, QueryControl control, int64_t query_start,
            int64_t query_end);

  // Evaluates `n` at every step of `steps`, accounting its points against max_samples.
  Result<NodeValue> eval(const Node& n, const Steps& steps);

  // Cancel flag and deadline.
  Status check();
  // Points held by the current window of a range function, against max_samples.
  Status hold(size_t n);
  void release(size_t n) { samples_ -= n; }

 private:
  Result<NodeValue> eval_node(const Node& n, const Steps& steps);
  Result<NodeValue> eval_vector_selector(const Node& n, const Steps& steps, bool timestamps);
  Result<NodeValue> eval_matrix_selector(const Node& n, const Steps& steps);
  Result<NodeValue> eval_subquery(const Node& n, const Steps& steps);
  Result<NodeValue> eval_unary(const Node& n, const Steps& steps);
  Result<NodeValue> eval_binary(const Node& n, const Steps& steps);
  Result<NodeValue> eval_vector_binary(const Node& n, const Steps& steps, const NodeValue& lhs,
                                       const NodeValue& rhs);
  Result<NodeValue> eval_aggregate(const Node& n, const Steps& steps);
  Result<NodeValue> eval_call(const Node& n, const Steps& steps);
  // With a sink, the results go to it and the returned NodeValue is empty.
  Result<NodeValue> eval_range_call(const Node& n, const Steps& steps, size_t matrix_arg,
                                    PointSink* sink = nullptr);
  // eval_aggregate for sum/avg/count/min/max/group/stddev/stdvar over a range function:
  // nullopt when the plan does not apply (then the caller evaluates the usual way).
  Result<std::optional<NodeValue>> eval_fused_aggregate(const Node& n, const Steps& steps);
  Result<NodeValue> eval_histogram_quantile(const Node& n, const Steps& steps);
  Result<NodeValue> eval_label_call(const Node& n, const Steps& steps);
  Result<NodeValue> eval_absent(const Node& n, const Steps& steps);

 public:
  // A source of series for a range function: a selector streamed from storage, or the
  // materialised result of a subquery.
  class SeriesSource {
   public:
    virtual ~SeriesSource() = default;
    virtual Result<bool> next() = 0;
    virtual const Labels& labels() const = 0;
    // Every point of the current series, ascending, staleness markers left out; valid until
    // the next call to next().
    virtual std::span<const Point> points() const = 0;
  };

  // The reference time of a selector or subquery evaluated at step time ts.
  int64_t ref_time(const Node& n, int64_t ts) const;
  // The time range [mint, maxt] of reference times over `steps`.
  void ref_range(const Node& n, const Steps& steps, int64_t* mint, int64_t* maxt) const;

 private:
  Result<std::unique_ptr<SeriesSource>> open_source(const Node& n, const Steps& steps);
  Result<std::unique_ptr<storage::SeriesSet>> select(const Node& sel, int64_t mint, int64_t maxt,
                                                     const Steps& steps);

  const EngineOptions& opts_;
  storage::MetricStore& store_;
  const storage::QueryScope& scope_;
  QueryControl control_;
  int64_t query_start_, query_end_;
  int64_t deadline_ns_ = 0;
  size_t samples_ = 0;
  size_t checks_ = 0;
  std::vector<std::unique_ptr<storage::Querier>> queriers_;
};

}  // namespace opsight::query::promql::internal

#include "query/promql/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "query/promql/eval.h"
#include "query/promql/function_defs.h"
#include "query/promql/parser.h"

namespace opsight::query::promql {
namespace internal {

size_t NodeValue::points() const {
  size_t n = scalar.size();
  for (const auto& s : series) n += s.points.size();
  return n;
}

size_t SeriesMap::slot(const Labels& labels) {
  auto& slots = index_[labels.hash()];
  for (size_t i : slots) {
    if (out_[i].labels == labels) return i;
  }
  slots.push_back(out_.size());
  out_.push_back(SeriesPoints{labels, {}});
  return out_.size() - 1;
}

Status SeriesMap::add_at(size_t slot, int64_t t, double v) {
  auto& pts = out_[slot].points;
  if (!pts.empty() && pts.back().t >= t) {
    return Status::invalid_argument("vector cannot contain metrics with the same labelset");
  }
  pts.push_back({t, v});
  return OkStatus();
}

StepPoints by_step(const Matrix& m, const Steps& steps) {
  StepPoints out(steps.count());
  for (size_t i = 0; i < m.size(); i++) {
    for (const auto& p : m[i].points) {
      out[steps.index(p.t)].emplace_back(static_cast<uint32_t>(i), p.v);
    }
  }
  return out;
}

Labels drop_metric_name(const Labels& l) {
  if (!l.has(kMetricName)) return l;
  std::vector<Label> out;
  out.reserve(l.size());
  for (const auto& x : l) {
    if (x.name != kMetricName) out.push_back(x);
  }
  return Labels::from_sorted(std::move(out));
}

std::string format_float_go(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

Evaluator::Evaluator(const EngineOptions& opts, storage::MetricStore& store,
                     const storage::QueryScope& scope, QueryControl control, int64_t query_start,
                     int64_t query_end)
    : opts_(opts),
      store_(store),
      scope_(scope),
      control_(control),
      query_start_(query_start),
      query_end_(query_end) {
  if (opts_.timeout_ms > 0) deadline_ns_ = opts_.clock->mono_ns() + opts_.timeout_ms * 1'000'000;
}

Status Evaluator::check() {
  if (control_.cancel != nullptr && control_.cancel->load(std::memory_order_relaxed)) {
    return Status::cancelled("query was cancelled");
  }
  if (deadline_ns_ != 0 && opts_.clock->mono_ns() > deadline_ns_) {
    return Status::deadline_exceeded(
        fmt::format("query timed out: it ran longer than the {} ms deadline", opts_.timeout_ms));
  }
  return OkStatus();
}

Status Evaluator::hold(size_t n) {
  samples_ += n;
  if (opts_.max_samples > 0 && samples_ > opts_.max_samples) {
    return Status::resource_exhausted(fmt::format(
        "query processing would load too many samples into memory (limit {})", opts_.max_samples));
  }
  return OkStatus();
}

Result<NodeValue> Evaluator::eval(const Node& n, const Steps& steps) {
  RETURN_IF_ERROR(check());
  size_t max_steps = opts_.max_samples > 0 ? std::min(opts_.max_samples, kMaxSteps) : kMaxSteps;
  if (steps.count() > max_steps) {
    return Status::resource_exhausted(fmt::format(
        "query processing would load too many samples into memory: {} evaluation steps (limit {})",
        steps.count(), max_steps));
  }
  size_t before = samples_;
  ASSIGN_OR_RETURN(NodeValue v, eval_node(n, steps));
  // The children's points were checked when they were made and are released now; ours
  // replace them (a pass-through node such as a parenthesis is not counted twice).
  size_t mine = v.points();
  samples_ = before;
  RETURN_IF_ERROR(hold(mine));
  return v;
}

Result<NodeValue> Evaluator::eval_node(const Node& n, const Steps& steps) {
  switch (n.kind) {
    case NodeKind::kNumber: {
      NodeValue v;
      v.type = ValueType::kScalar;
      v.scalar.assign(steps.count(), n.number);
      return v;
    }
    case NodeKind::kString: {
      NodeValue v;
      v.type = ValueType::kString;
      v.str = n.str;
      return v;
    }
    case NodeKind::kParen:
      return eval(*n.args[0], steps);
    case NodeKind::kVectorSelector:
      return eval_vector_selector(n, steps, false);
    case NodeKind::kMatrixSelector:
      return eval_matrix_selector(n, steps);
    case NodeKind::kSubquery:
      return eval_subquery(n, steps);
    case NodeKind::kUnary:
      return eval_unary(n, steps);
    case NodeKind::kBinary:
      return eval_binary(n, steps);
    case NodeKind::kAggregate:
      return eval_aggregate(n, steps);
    case NodeKind::kCall:
      return eval_call(n, steps);
  }
  return Status::internal("unknown node kind");
}

int64_t Evaluator::ref_time(const Node& n, int64_t ts) const {
  switch (n.at) {
    case AtKind::kTimestamp:
      ts = n.at_ms;
      break;
    case AtKind::kStart:
      ts = query_start_;
      break;
    case AtKind::kEnd:
      ts = query_end_;
      break;
    case AtKind::kNone:
      break;
  }
  return ts - n.offset_ms;
}

void Evaluator::ref_range(const Node& n, const Steps& steps, int64_t* mint, int64_t* maxt) const {
  *mint = ref_time(n, steps.start);
  *maxt = ref_time(n, steps.end);
}

Result<std::unique_ptr<storage::SeriesSet>> Evaluator::select(const Node& sel, int64_t mint,
                                                              int64_t maxt, const Steps& steps) {
  ASSIGN_OR_RETURN(auto q, store_.querier(scope_, mint, maxt));
  storage::SelectHints hints;
  hints.start = mint;
  hints.end = maxt;
  hints.step = steps.start == steps.end ? 0 : steps.step;
  // One more than allowed, so that exceeding max_series is seen (and reported) by the engine.
  hints.limit = opts_.max_series > 0 ? opts_.max_series + 1 : 0;
  auto set = q->select(false, hints, sel.matchers);
  queriers_.push_back(std::move(q));
  return set;
}

namespace {

Status check_series_limit(const EngineOptions& opts, size_t n) {
  if (opts.max_series > 0 && n > opts.max_series) {
    return Status::resource_exhausted(
        fmt::format("query selects more than {} series (the max_series limit)", opts.max_series));
  }
  return OkStatus();
}

}  // namespace

Result<NodeValue> Evaluator::eval_vector_selector(const Node& n, const Steps& steps,
                                                  bool timestamps) {
  int64_t lo, hi;
  ref_range(n, steps, &lo, &hi);
  const int64_t lookback = opts_.lookback_delta_ms;
  ASSIGN_OR_RETURN(auto set, select(n, lo - lookback, hi, steps));
  NodeValue out;
  out.type = ValueType::kVector;
  const size_t count = steps.count();
  size_t nseries = 0;
  std::vector<Point> pts;
  while (set->next()) {
    RETURN_IF_ERROR(check_series_limit(opts_, ++nseries));
    RETURN_IF_ERROR(check());
    const auto& series = set->at();
    pts.clear();
    RETURN_IF_ERROR(series.append_values(&pts));
    SeriesPoints sp;
    sp.labels = timestamps ? drop_metric_name(series.labels()) : series.labels();
    // pts[next] is the first sample after the reference time; the one before it is the
    // latest at or before it.
    size_t next = 0;
    for (size_t i = 0; i < count; i++) {
      if ((i & 1023) == 1023) RETURN_IF_ERROR(check());
      int64_t ts = steps.at(i);
      int64_t ref = ref_time(n, ts);
      while (next < pts.size() && pts[next].t <= ref) next++;
      if (next == 0) continue;
      const Point& prev = pts[next - 1];
      // Prometheus 2.x: a sample counts while ref - lookback <= t <= ref; a staleness marker
      // as the latest sample ends the series.
      if (prev.t >= ref - lookback && !storage::is_stale_nan(prev.v)) {
        sp.points.push_back({ts, timestamps ? static_cast<double>(prev.t) / 1000 : prev.v});
      }
    }
    if (!sp.points.empty()) {
      RETURN_IF_ERROR(hold(sp.points.size()));
      out.series.push_back(std::move(sp));
    }
  }
  RETURN_IF_ERROR(set->err());
  if (timestamps) {
    // Dropping the name may merge series: rebuild through a SeriesMap to catch collisions.
    SeriesMap m;
    for (const auto& s : out.series) {
      for (const auto& p : s.points) RETURN_IF_ERROR(m.add(s.labels, p.t, p.v));
    }
    out.series = m.take();
  }
  return out;
}

Result<NodeValue> Evaluator::eval_matrix_selector(const Node& n, const Steps& steps) {
  // Only reached at the top level of an instant query (elsewhere a range function consumes
  // the selector): the raw samples of [ref - range, ref].
  int64_t ref = ref_time(n, steps.end);
  ASSIGN_OR_RETURN(auto set, select(n, ref - n.range_ms, ref, steps));
  NodeValue out;
  out.type = ValueType::kMatrix;
  size_t nseries = 0;
  std::vector<Point> pts;
  while (set->next()) {
    RETURN_IF_ERROR(check_series_limit(opts_, ++nseries));
    RETURN_IF_ERROR(check());
    pts.clear();
    RETURN_IF_ERROR(set->at().append_values(&pts));
    SeriesPoints sp;
    sp.labels = set->at().labels();
    for (const Point& p : pts) {
      if (p.t < ref - n.range_ms || p.t > ref || storage::is_stale_nan(p.v)) continue;
      sp.points.push_back(p);
    }
    if (!sp.points.empty()) {
      RETURN_IF_ERROR(hold(sp.points.size()));
      out.series.push_back(std::move(sp));
    }
  }
  RETURN_IF_ERROR(set->err());
  return out;
}

Result<NodeValue> Evaluator::eval_subquery(const Node& n, const Steps& steps) {
  // Prometheus: the inner expression is evaluated from the first multiple of the step after
  // (start - offset - range) up to (end - offset); with @ the outer time is fixed.
  int64_t outer_start = steps.start, outer_end = steps.end;
  if (n.at != AtKind::kNone) {
    outer_start = outer_end = ref_time(n, 0) + n.offset_ms;
  }
  int64_t interval = n.step_ms > 0 ? n.step_ms : opts_.default_subquery_step_ms;
  Steps inner;
  inner.step = interval;
  inner.end = outer_end - n.offset_ms;
  int64_t lo = outer_start - n.offset_ms - n.range_ms;
  inner.start = interval * (lo / interval);
  if (inner.start < lo) inner.start += interval;
  if (inner.end < inner.start) {
    NodeValue empty;
    empty.type = ValueType::kMatrix;
    return empty;
  }
  inner.end = inner.start + (inner.end - inner.start) / interval * interval;
  ASSIGN_OR_RETURN(NodeValue v, eval(*n.args[0], inner));
  v.type = ValueType::kMatrix;
  return v;
}

namespace {

// Drops staleness markers from pts[from..] in place.
void drop_stale(std::vector<Point>* pts, size_t from = 0) {
  auto first = std::find_if(pts->begin() + static_cast<long>(from), pts->end(),
                            [](const Point& p) { return storage::is_stale_nan(p.v); });
  if (first == pts->end()) return;
  pts->erase(
      std::remove_if(first, pts->end(), [](const Point& p) { return storage::is_stale_nan(p.v); }),
      pts->end());
}

// A selector's series, each read in one call (Series::append_values) into a reused buffer.
class StorageSource final : public Evaluator::SeriesSource {
 public:
  StorageSource(std::unique_ptr<storage::SeriesSet> set, const EngineOptions& opts)
      : set_(std::move(set)), opts_(opts) {}
  Result<bool> next() override {
    if (!set_->next()) {
      RETURN_IF_ERROR(set_->err());
      return false;
    }
    RETURN_IF_ERROR(check_series_limit(opts_, ++n_));
    pts_.clear();
    RETURN_IF_ERROR(set_->at().append_values(&pts_));
    drop_stale(&pts_);
    return true;
  }
  const Labels& labels() const override { return set_->at().labels(); }
  std::span<const Point> points() const override { return pts_; }

 private:
  std::unique_ptr<storage::SeriesSet> set_;
  const EngineOptions& opts_;
  std::vector<Point> pts_;
  size_t n_ = 0;
};

// The series of a materialised matrix (a subquery's result).
class MatrixSource final : public Evaluator::SeriesSource {
 public:
  explicit MatrixSource(Matrix m) : m_(std::move(m)) {}
  Result<bool> next() override {
    if (started_) i_++;
    started_ = true;
    if (i_ >= m_.size()) return false;
    drop_stale(&m_[i_].points);
    return true;
  }
  const Labels& labels() const override { return m_[i_].labels; }
  std::span<const Point> points() const override { return m_[i_].points; }

 private:
  Matrix m_;
  size_t i_ = 0;
  bool started_ = false;
};

}  // namespace

Result<std::unique_ptr<Evaluator::SeriesSource>> Evaluator::open_source(const Node& n,
                                                                        const Steps& steps) {
  if (n.kind == NodeKind::kMatrixSelector) {
    int64_t lo, hi;
    ref_range(n, steps, &lo, &hi);
    ASSIGN_OR_RETURN(auto set, select(n, lo - n.range_ms, hi, steps));
    return std::unique_ptr<SeriesSource>(std::make_unique<StorageSource>(std::move(set), opts_));
  }
  ASSIGN_OR_RETURN(NodeValue v, eval(n, steps));
  return std::unique_ptr<SeriesSource>(std::make_unique<MatrixSource>(std::move(v.series)));
}

Result<NodeValue> Evaluator::eval_unary(const Node& n, const Steps& steps) {
  ASSIGN_OR_RETURN(NodeValue v, eval(*n.args[0], steps));
  if (n.op != BinOp::kSub) return v;
  for (auto& s : v.scalar) s = -s;
  if (v.type != ValueType::kVector) return v;
  SeriesMap m;
  for (auto& s : v.series) {
    Labels l = drop_metric_name(s.labels);
    for (const auto& p : s.points) RETURN_IF_ERROR(m.add(l, p.t, -p.v));
  }
  v.series = m.take();
  return v;
}

}  // namespace internal

namespace {

const Node* unwrap_parens(const Node* n) {
  while (n->kind == NodeKind::kParen) n = n->args[0].get();
  return n;
}

}  // namespace

Result<Value> Engine::instant(storage::MetricStore& store, const storage::QueryScope& scope,
                              const Expr& expr, int64_t t, QueryControl control) const {
  if (!expr.root) return Status::invalid_argument("empty query");
  if (t < -kMaxTimestampMs || t > kMaxTimestampMs) {
    return Status::invalid_argument("query time out of range");
  }
  internal::Evaluator ev(opts_, store, scope, control, t, t);
  internal::Steps steps{t, t, 1};
  ASSIGN_OR_RETURN(internal::NodeValue v, ev.eval(*expr.root, steps));
  switch (v.type) {
    case ValueType::kScalar:
      return Value(Scalar{t, v.scalar.empty() ? 0 : v.scalar[0]});
    case ValueType::kString:
      return Value(String{t, v.str});
    case ValueType::kMatrix: {
      std::sort(v.series.begin(), v.series.end(),
                [](const SeriesPoints& a, const SeriesPoints& b) { return a.labels < b.labels; });
      return Value(std::move(v.series));
    }
    default:
      break;
  }
  Vector out;
  out.reserve(v.series.size());
  for (auto& s : v.series) {
    if (s.points.empty()) continue;
    out.push_back(VectorSample{std::move(s.labels), t, s.points[0].v});
  }
  const Node* root = unwrap_parens(expr.root.get());
  if (root->kind == NodeKind::kCall &&
      (root->func->id == FuncId::kSort || root->func->id == FuncId::kSortDesc)) {
    // Prometheus sorts NaN to the bottom in both directions.
    bool desc = root->func->id == FuncId::kSortDesc;
    std::stable_sort(out.begin(), out.end(), [desc](const VectorSample& a, const VectorSample& b) {
      if (std::isnan(a.v) || std::isnan(b.v)) return !std::isnan(a.v) && std::isnan(b.v);
      return desc ? a.v > b.v : a.v < b.v;
    });
  } else if (root->kind == NodeKind::kAggregate &&
             (root->agg == AggOp::kTopk || root->agg == AggOp::kBottomk)) {
    // Already ordered by the aggregation, per group.
  } else {
    std::sort(out.begin(), out.end(),
              [](const VectorSample& a, const VectorSample& b) { return a.labels < b.labels; });
  }
  return Value(std::move(out));
}

Result<Value> Engine::range(storage::MetricStore& store, const storage::QueryScope& scope,
                            const Expr& expr, int64_t start, int64_t end, int64_t step,
                            QueryControl control) const {
  if (!expr.root) return Status::invalid_argument("empty query");
  if (step <= 0) {
    return Status::invalid_argument(
        "zero or negative query resolution step widths are not accepted");
  }
  if (end < start) return Status::invalid_argument("end timestamp must not be before start time");
  if (start < -kMaxTimestampMs || end > kMaxTimestampMs) {
    return Status::invalid_argument("query time out of range");
  }
  ValueType t = expr.type();
  if (t != ValueType::kScalar && t != ValueType::kVector) {
    return Status::invalid_argument(
        fmt::format("invalid expression type \"{}\" for range query, must be Scalar or instant "
                    "Vector",
                    value_type_name(t)));
  }
  internal::Evaluator ev(opts_, store, scope, control, start, end);
  internal::Steps steps{start, start + (end - start) / step * step, step};
  ASSIGN_OR_RETURN(internal::NodeValue v, ev.eval(*expr.root, steps));
  Matrix out;
  if (v.type == ValueType::kScalar) {
    SeriesPoints sp;
    for (size_t i = 0; i < v.scalar.size(); i++) sp.points.push_back({steps.at(i), v.scalar[i]});
    out.push_back(std::move(sp));
    return Value(std::move(out));
  }
  for (auto& s : v.series) {
    if (!s.points.empty()) out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesPoints& a, const SeriesPoints& b) { return a.labels < b.labels; });
  return Value(std::move(out));
}

}  // namespace opsight::query::promql

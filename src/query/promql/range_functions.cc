// Functions over range vectors (Prometheus 2.42 functions.go: extrapolatedRate, instantValue,
// linearRegression, funcHoltWinters, the *_over_time family; querying/functions). A window of
// one series is folded at a time: samples of [ref - range, ref] (both ends inclusive, as in
// Prometheus 2.x), staleness markers left out.

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <span>

#include "query/promql/eval.h"
#include "query/promql/function_defs.h"

namespace opsight::query::promql::internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The points of one window: a slice of the series' points.
using Window = std::span<const Point>;

// Neumaier's variant of Kahan summation (as Prometheus's kahanSumInc).
void kahan_inc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// The rate/increase/delta extrapolation of Prometheus (extrapolatedRate): the increase over
// the samples, extrapolated towards the window edges by at most half an average sample
// interval (or to the edge when it is closer than 1.1 intervals), and for counters never below
// zero.
// `resets` is the number of counter resets inside the window (0 lets the scan be skipped;
// the additions, when there are resets, are Prometheus's, in its order).
bool extrapolated_rate(const Window& w, int64_t range_start, int64_t range_end, int64_t range_ms,
                       bool is_counter, bool is_rate, size_t resets, double* out) {
  if (w.size() < 2) return false;
  double result = w.back().v - w.front().v;
  if (is_counter && resets > 0) {
    double last = 0;
    for (const auto& p : w) {
      if (p.v < last) result += last;
      last = p.v;
    }
  }
  double to_start = static_cast<double>(w.front().t - range_start) / 1000;
  double to_end = static_cast<double>(range_end - w.back().t) / 1000;
  double sampled = static_cast<double>(w.back().t - w.front().t) / 1000;
  double avg_step = sampled / static_cast<double>(w.size() - 1);
  // A counter is never extrapolated below zero: when it would reach zero before the window
  // start, that point counts as the start. Then extrapolate to a window edge when it is within
  // 1.1 average intervals, else by half an interval. (This is the order of Prometheus 2.42;
  // later releases apply the zero point after the half-interval rule.)
  if (is_counter && result > 0 && w.front().v >= 0) {
    double to_zero = sampled * (w.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg_step * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_step / 2;
  interval += to_end < threshold ? to_end : avg_step / 2;
  result *= interval / sampled;
  if (is_rate) result /= static_cast<double>(range_ms) / 1000;
  *out = result;
  return true;
}

bool instant_value(const Window& w, bool is_rate, double* out) {
  if (w.size() < 2) return false;
  const Point& last = w[w.size() - 1];
  const Point& prev = w[w.size() - 2];
  double result = is_rate && last.v < prev.v ? last.v : last.v - prev.v;
  int64_t interval = last.t - prev.t;
  if (interval == 0) return false;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  *out = result;
  return true;
}

void linear_regression(const Window& w, int64_t intercept_t, double* slope, double* intercept) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  double init_y = w.front().v;
  bool const_y = true;
  for (size_t i = 0; i < w.size(); i++) {
    const Point& p = w[i];
    if (const_y && i > 0 && p.v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(p.t - intercept_t) / 1e3;
    kahan_inc(x, &sx, &cx);
    kahan_inc(p.v, &sy, &cy);
    kahan_inc(x * p.v, &sxy, &cxy);
    kahan_inc(x * x, &sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = *intercept = kNaN;
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  double cov = sxy - sx * sy / n;
  double var = sx2 - sx * sx / n;
  *slope = cov / var;
  *intercept = sy / n - *slope * sx / n;
}

Result<bool> holt_winters(const Window& w, double sf, double tf, double* out) {
  if (!(sf > 0 && sf < 1)) {
    return Status::invalid_argument(
        fmt::format("invalid smoothing factor. Expected: 0 < sf < 1, got: {:f}", sf));
  }
  if (!(tf > 0 && tf < 1)) {
    return Status::invalid_argument(
        fmt::format("invalid trend factor. Expected: 0 < tf < 1, got: {:f}", tf));
  }
  if (w.size() < 2) return false;
  double s0 = 0, s1 = w[0].v, b = w[1].v - w[0].v;
  for (size_t i = 1; i < w.size(); i++) {
    double x = sf * w[i].v;
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  *out = s1;
  return true;
}

// One function over one non-empty window; false when it yields no value.
// `resets`: counter resets in the window (rate and increase only).
Result<bool> apply(FuncId id, const Window& w, int64_t ts, int64_t ref, int64_t range, double a0,
                   double a1, size_t resets, double* out) {
  switch (id) {
    case FuncId::kRate:
      return extrapolated_rate(w, ref - range, ref, range, true, true, resets, out);
    case FuncId::kIncrease:
      return extrapolated_rate(w, ref - range, ref, range, true, false, resets, out);
    case FuncId::kDelta:
      return extrapolated_rate(w, ref - range, ref, range, false, false, 0, out);
    case FuncId::kIrate:
      return instant_value(w, true, out);
    case FuncId::kIdelta:
      return instant_value(w, false, out);
    case FuncId::kDeriv: {
      if (w.size() < 2) return false;
      double slope, intercept;
      linear_regression(w, w.front().t, &slope, &intercept);
      *out = slope;
      return true;
    }
    case FuncId::kPredictLinear: {
      if (w.size() < 2) return false;
      double slope, intercept;
      linear_regression(w, ts, &slope, &intercept);
      *out = slope * a0 + intercept;
      return true;
    }
    case FuncId::kHoltWinters:
      return holt_winters(w, a0, a1, out);
    case FuncId::kResets:
    case FuncId::kChanges: {
      double n = 0, prev = w.front().v;
      for (size_t i = 1; i < w.size(); i++) {
        double cur = w[i].v;
        if (id == FuncId::kResets ? cur < prev
                                  : !(cur == prev || (std::isnan(cur) && std::isnan(prev)))) {
          n++;
        }
        prev = cur;
      }
      *out = n;
      return true;
    }
    case FuncId::kAvgOverTime: {
      double mean = 0, count = 0, c = 0;
      for (const auto& p : w) {
        count++;
        if (std::isinf(mean)) {
          if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
          if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
        }
        kahan_inc(p.v / count - mean / count, &mean, &c);
      }
      *out = std::isinf(mean) ? mean : mean + c;
      return true;
    }
    case FuncId::kSumOverTime: {
      double sum = 0, c = 0;
      for (const auto& p : w) kahan_inc(p.v, &sum, &c);
      *out = std::isinf(sum) ? sum : sum + c;
      return true;
    }
    case FuncId::kCountOverTime:
      *out = static_cast<double>(w.size());
      return true;
    case FuncId::kMinOverTime:
    case FuncId::kMaxOverTime: {
      double m = w.front().v;
      for (const auto& p : w) {
        bool better = id == FuncId::kMaxOverTime ? p.v > m : p.v < m;
        if (better || std::isnan(m)) m = p.v;
      }
      *out = m;
      return true;
    }
    case FuncId::kQuantileOverTime: {
      std::vector<double> vals;
      vals.reserve(w.size());
      for (const auto& p : w) vals.push_back(p.v);
      *out = quantile_of(a0, vals);
      return true;
    }
    case FuncId::kStddevOverTime:
    case FuncId::kStdvarOverTime: {
      double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
      for (const auto& p : w) {
        count++;
        double delta = p.v - (mean + cmean);
        kahan_inc(delta / count, &mean, &cmean);
        kahan_inc(delta * (p.v - (mean + cmean)), &aux, &caux);
      }
      double var = (aux + caux) / count;
      *out = id == FuncId::kStddevOverTime ? std::sqrt(var) : var;
      return true;
    }
    case FuncId::kLastOverTime:
      *out = w.back().v;
      return true;
    case FuncId::kPresentOverTime:
      *out = 1;
      return true;
    default:
      return Status::internal("not a range function");
  }
}

}  // namespace

Result<NodeValue> Evaluator::eval_range_call(const Node& n, const Steps& steps, size_t matrix_arg,
                                             PointSink* sink) {
  const FuncId id = n.func->id;
  // Scalar arguments, one value per step.
  std::vector<std::vector<double>> scalars;
  for (size_t i = 0; i < n.args.size(); i++) {
    if (i == matrix_arg) continue;
    ASSIGN_OR_RETURN(NodeValue v, eval(*n.args[i], steps));
    scalars.push_back(std::move(v.scalar));
  }
  const Node* m = n.args[matrix_arg].get();
  while (m->kind == NodeKind::kParen) m = m->args[0].get();
  const int64_t range = m->range_ms;
  ASSIGN_OR_RETURN(auto src, open_source(*m, steps));
  const size_t count = steps.count();
  const bool keep_name = id == FuncId::kLastOverTime;
  std::vector<bool> present;
  if (id == FuncId::kAbsentOverTime) present.assign(count, false);
  SeriesMap out;
  // Per series: its points, the window [a, b) of each step as indexes into them (both only
  // move forward), and for rate/increase the running count of counter resets, so that a
  // window's reset count is a difference and a window without resets is not rescanned.
  const bool counts_resets = id == FuncId::kRate || id == FuncId::kIncrease;
  std::vector<uint32_t> resets_before;  // resets_before[k]: resets among points 1..k
  size_t held = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool more, src->next());
    if (!more) break;
    RETURN_IF_ERROR(check());
    release(held);
    held = 0;
    const std::span<const Point> pts = src->points();
    if (pts.empty()) continue;
    Labels labels = keep_name ? src->labels() : drop_metric_name(src->labels());
    size_t slot = SeriesMap::kNoSlot;
    bool begun = false;
    if (counts_resets) {
      resets_before.resize(pts.size());
      uint32_t r = 0;
      resets_before[0] = 0;
      for (size_t k = 1; k < pts.size(); k++) {
        if (pts[k].v < pts[k - 1].v) r++;
        resets_before[k] = r;
      }
    }
    size_t a = 0, b = 0;
    for (size_t i = 0; i < count; i++) {
      if ((i & 1023) == 1023) RETURN_IF_ERROR(check());
      int64_t ts = steps.at(i);
      int64_t ref = ref_time(*m, ts);
      size_t nb = b;
      while (nb < pts.size() && pts[nb].t <= ref) nb++;
      RETURN_IF_ERROR(hold(nb - b));
      held += nb - b;
      b = nb;
      size_t na = a;
      while (na < b && pts[na].t < ref - range) na++;
      release(na - a);
      held -= na - a;
      a = na;
      if (a == b) continue;
      if (id == FuncId::kAbsentOverTime) {
        present[i] = true;
        continue;
      }
      double a0 = scalars.size() > 0 ? scalars[0][i] : 0;
      double a1 = scalars.size() > 1 ? scalars[1][i] : 0;
      size_t resets = counts_resets ? resets_before[b - 1] - resets_before[a] : 0;
      double v;
      ASSIGN_OR_RETURN(bool ok,
                       apply(id, pts.subspan(a, b - a), ts, ref, range, a0, a1, resets, &v));
      if (!ok) continue;
      if (sink != nullptr) {
        if (!begun) RETURN_IF_ERROR(sink->begin(labels));
        begun = true;
        sink->add(i, v);
        continue;
      }
      if (slot == SeriesMap::kNoSlot) slot = out.slot(labels);
      RETURN_IF_ERROR(out.add_at(slot, ts, v));
    }
  }
  release(held);
  NodeValue res;
  res.type = ValueType::kVector;
  if (id == FuncId::kAbsentOverTime) {
    SeriesPoints sp;
    sp.labels = absent_labels(*n.args[matrix_arg]);
    for (size_t i = 0; i < count; i++) {
      if (!present[i]) sp.points.push_back({steps.at(i), 1});
    }
    if (!sp.points.empty()) res.series.push_back(std::move(sp));
    return res;
  }
  res.series = out.take();
  return res;
}

}  // namespace opsight::query::promql::internal

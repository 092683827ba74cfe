// The Metric Math functions (CloudWatch user guide, "Metric math syntax and functions"). Each
// entry checks its arguments and names the function and the argument in errors. Argument kinds:
// S = scalar, TS = time series, TS[] = array of time series.
//
//   ABS CEIL FLOOR LOG LOG10 (S | TS | TS[])           point-wise
//   SUM AVG MIN MAX STDDEV (TS[] -> TS, TS -> S, S -> S)
//   METRIC_COUNT(TS[]) -> S, DATAPOINT_COUNT(TS) -> S
//   FILL(TS | TS[], S | REPEAT | LINEAR)
//   RATE DIFF DIFF_TIME RUNNING_SUM (TS | TS[])
//   MINUTE HOUR DAY DATE MONTH YEAR EPOCH (TS | TS[])   from the timestamps, UTC; DAY: 1=Monday
//   PERIOD(TS | TS[]) -> S seconds
//   IF(cond, a [, b])
//   METRICS(['filter']) -> TS[]     MetricStat queries whose Id contains filter
//   SORT(TS[], SUM|AVG|MIN|MAX, ASC|DESC [, N]) -> TS[]
//   SLICE(TS[], start [, end]) -> TS[]   0-based, end exclusive, end defaults to the size
//   FIRST(TS[]) LAST(TS[]) -> TS     REMOVE_EMPTY(TS[]) -> TS[]
//   TIME_SERIES(S) -> TS
//   SEARCH('expr', 'Stat' [, period]) -> TS[]
//   ANOMALY_DETECTION_BAND(TS [, k=2]) -> TS[] {lower, upper}
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "query/metricmath/evaluator.h"
#include "query/metricmath/series_ops.h"

namespace opsight::query::metricmath {
namespace {

using K = Value::Kind;

Status bad(const Node& call, std::string what) {
  return Status::invalid_argument(fmt::format("{}: {}", call.text, what));
}

Status arity(const Node& call, size_t min, size_t max) {
  size_t n = call.args.size();
  if (n >= min && n <= max) return OkStatus();
  if (min == max) {
    return bad(call, fmt::format("takes {} argument{} (got {})", min, min == 1 ? "" : "s", n));
  }
  return bad(call, fmt::format("takes {} to {} arguments (got {})", min, max, n));
}

Status wrong_kind(const Node& call, size_t i, std::string_view expected, K got) {
  return bad(call, fmt::format("argument {} must be {}, not {}", i + 1, expected, kind_name(got)));
}

// The upper-case keyword of an argument (REPEAT, ASC, SUM, ...), or "".
std::string keyword(const Node& n) {
  if (n.kind != Node::Kind::kIdent || n.text.empty() ||
      !std::isupper(static_cast<unsigned char>(n.text[0]))) {
    return "";
  }
  return n.text;
}

Result<double> scalar_arg(const Node& call, size_t i, EvalContext& ctx) {
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[i], ctx));
  if (v.kind != K::kScalar) return wrong_kind(call, i, "a number", v.kind);
  return v.scalar;
}

Result<std::string> string_arg(const Node& call, size_t i, EvalContext& ctx) {
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[i], ctx));
  if (v.kind != K::kString) return wrong_kind(call, i, "a quoted string", v.kind);
  return v.str;
}

Result<std::vector<TimeSeries>> array_arg(const Node& call, size_t i, EvalContext& ctx) {
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[i], ctx));
  if (v.kind == K::kArray) return std::move(v.array);
  if (v.kind == K::kSeries) return std::vector<TimeSeries>{std::move(v.series)};
  return wrong_kind(call, i, "an array of time series", v.kind);
}

// Applies f to a series or to every series of an array.
template <typename F>
Result<Value> per_series(const Node& call, Value v, F f) {
  if (v.kind == K::kSeries) return Value::of_series(f(v.series));
  if (v.kind == K::kArray) {
    for (auto& s : v.array) s = f(s);
    return v;
  }
  return wrong_kind(call, 0, "a time series or an array of time series", v.kind);
}

template <typename F>
Result<Value> series_fn(const Node& call, EvalContext& ctx, F f) {
  RETURN_IF_ERROR(arity(call, 1, 1));
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[0], ctx));
  return per_series(call, std::move(v), f);
}

// Point-wise math on a scalar, a series or an array.
Result<Value> math_fn(const Node& call, EvalContext& ctx, double (*f)(double)) {
  RETURN_IF_ERROR(arity(call, 1, 1));
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[0], ctx));
  if (v.kind == K::kScalar) return Value::of_scalar(f(v.scalar));
  return per_series(call, std::move(v), [f](const TimeSeries& s) { return map_values(s, f); });
}

Result<Value> reduce_fn(const Node& call, EvalContext& ctx, Reducer r) {
  RETURN_IF_ERROR(arity(call, 1, 1));
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[0], ctx));
  switch (v.kind) {
    case K::kScalar:
      return v;
    case K::kSeries:
      return Value::of_scalar(reduce_series(v.series, r));
    case K::kArray: {
      TimeSeries out = reduce_array(v.array, r);
      if (out.period_ms == 0) out.period_ms = ctx.period_ms;
      out.label = call.text;
      return Value::of_series(std::move(out));
    }
    case K::kString:
      break;
  }
  return wrong_kind(call, 0, "a time series or an array of time series", v.kind);
}

// Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-Compatible Low-Level Date
// Algorithms", civil_from_days).
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

enum class TimePart { kMinute, kHour, kDay, kDate, kMonth, kYear, kEpoch };

double time_part(int64_t t_ms, TimePart part) {
  int64_t secs = t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  switch (part) {
    case TimePart::kMinute:
      return static_cast<double>((sod / 60) % 60);
    case TimePart::kHour:
      return static_cast<double>(sod / 3600);
    case TimePart::kDay: {
      int64_t wd = (days % 7 + 7 + 3) % 7;  // 1970-01-01 was a Thursday: 0 = Monday
      return static_cast<double>(wd + 1);
    }
    case TimePart::kDate:
      return d;
    case TimePart::kMonth:
      return m;
    case TimePart::kYear:
      return static_cast<double>(y);
    case TimePart::kEpoch:
      return static_cast<double>(secs);
  }
  return 0;
}

Result<Value> time_fn(const Node& call, EvalContext& ctx, TimePart part) {
  return series_fn(call, ctx, [part](const TimeSeries& s) {
    TimeSeries out = empty_like(s);
    out.labels = Labels();
    for (int64_t t : s.timestamps) out.push(t, time_part(t, part));
    return out;
  });
}

Result<Value> fill(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 2, 2));
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[0], ctx));
  std::string kw = keyword(*call.args[1]);
  double with = 0;
  if (kw.empty()) {
    ASSIGN_OR_RETURN(with, scalar_arg(call, 1, ctx));
  } else if (kw != "REPEAT" && kw != "LINEAR") {
    return bad(call, fmt::format("argument 2 must be a number, REPEAT or LINEAR, not {}", kw));
  }
  auto f = [&](const TimeSeries& s) {
    int64_t period = s.period_ms > 0 ? s.period_ms : ctx.period_ms;
    auto grid = period_grid(ctx.start_ms, ctx.end_ms, period);
    if (kw == "REPEAT") return fill_repeat(s, grid);
    if (kw == "LINEAR") return fill_linear(s, grid);
    return fill_value(s, grid, with);
  };
  return per_series(call, std::move(v), f);
}

Result<Value> period(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 1, 1));
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[0], ctx));
  if (v.kind == K::kSeries) return Value::of_scalar(static_cast<double>(v.series.period_ms) / 1000);
  if (v.kind == K::kArray) {
    if (v.array.empty()) return bad(call, "the array is empty");
    return Value::of_scalar(static_cast<double>(v.array[0].period_ms) / 1000);
  }
  return wrong_kind(call, 0, "a time series or an array of time series", v.kind);
}

// The value of a branch of IF at time t (scalar or series); false when the series has none.
bool branch_at(const Value& b, int64_t t, double* out) {
  if (b.kind == K::kScalar) {
    *out = b.scalar;
    return true;
  }
  auto it = std::lower_bound(b.series.timestamps.begin(), b.series.timestamps.end(), t);
  if (it == b.series.timestamps.end() || *it != t) return false;
  *out = b.series.values[static_cast<size_t>(it - b.series.timestamps.begin())];
  return true;
}

TimeSeries if_series(const TimeSeries& cond, const Value& a, const Value* b) {
  TimeSeries out = empty_like(cond);
  out.labels = Labels();
  for (size_t i = 0; i < cond.size(); i++) {
    int64_t t = cond.timestamps[i];
    double v;
    if (cond.values[i] != 0) {
      if (branch_at(a, t, &v)) out.push(t, v);
    } else if (b != nullptr && branch_at(*b, t, &v)) {
      out.push(t, v);
    }
  }
  return out;
}

Result<Value> if_fn(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 2, 3));
  ASSIGN_OR_RETURN(auto cond, evaluate(*call.args[0], ctx));
  ASSIGN_OR_RETURN(auto a, evaluate(*call.args[1], ctx));
  Value b;
  bool has_b = call.args.size() == 3;
  if (has_b) {
    ASSIGN_OR_RETURN(b, evaluate(*call.args[2], ctx));
  }
  for (size_t i = 1; i < call.args.size(); i++) {
    const Value& x = i == 1 ? a : b;
    if (x.kind != K::kScalar && x.kind != K::kSeries &&
        !(x.kind == K::kArray && cond.kind == K::kArray)) {
      return wrong_kind(call, i, "a number or a time series", x.kind);
    }
  }
  switch (cond.kind) {
    case K::kScalar:
      if (cond.scalar != 0) return a;
      if (has_b) return b;
      return Value::of_series(TimeSeries{"", {}, "", ctx.period_ms, {}, {}});
    case K::kSeries:
      return Value::of_series(if_series(cond.series, a, has_b ? &b : nullptr));
    case K::kArray: {
      // Arrays as branches must match the condition element by element.
      for (const Value* x : {&a, has_b ? &b : nullptr}) {
        if (x && x->kind == K::kArray && x->array.size() != cond.array.size()) {
          return bad(call, fmt::format("the arrays have different sizes ({} and {})",
                                       cond.array.size(), x->array.size()));
        }
      }
      std::vector<TimeSeries> out;
      for (size_t i = 0; i < cond.array.size(); i++) {
        Value ai = a.kind == K::kArray ? Value::of_series(a.array[i]) : a;
        Value bi = has_b && b.kind == K::kArray ? Value::of_series(b.array[i]) : b;
        TimeSeries s = if_series(cond.array[i], ai, has_b ? &bi : nullptr);
        s.label = cond.array[i].label;
        out.push_back(std::move(s));
      }
      return Value::of_array(std::move(out));
    }
    case K::kString:
      break;
  }
  return wrong_kind(call, 0, "a number, a time series or an array", cond.kind);
}

Result<Value> metrics_fn(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 0, 1));
  std::string filter;
  if (call.args.size() == 1) {
    ASSIGN_OR_RETURN(filter, string_arg(call, 0, ctx));
  }
  std::vector<TimeSeries> out;
  if (ctx.metric_ids && ctx.ids) {
    for (const auto& id : *ctx.metric_ids) {
      if (id.find(filter) == std::string::npos) continue;
      auto it = ctx.ids->find(id);
      if (it != ctx.ids->end() && it->second.kind == K::kSeries) out.push_back(it->second.series);
    }
  }
  return Value::of_array(std::move(out));
}

Result<Reducer> reducer_keyword(const Node& call, size_t i) {
  std::string kw = keyword(*call.args[i]);
  if (kw == "SUM") return Reducer::kSum;
  if (kw == "AVG") return Reducer::kAvg;
  if (kw == "MIN") return Reducer::kMin;
  if (kw == "MAX") return Reducer::kMax;
  return bad(call, fmt::format("argument {} must be SUM, AVG, MIN or MAX", i + 1));
}

Result<size_t> index_arg(const Node& call, size_t i, EvalContext& ctx) {
  ASSIGN_OR_RETURN(double v, scalar_arg(call, i, ctx));
  if (v < 0 || v != std::floor(v) || v > 1e9) {
    return bad(call, fmt::format("argument {} must be a whole number >= 0 (got {})", i + 1, v));
  }
  return static_cast<size_t>(v);
}

Result<Value> sort_fn(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 3, 4));
  ASSIGN_OR_RETURN(auto arr, array_arg(call, 0, ctx));
  ASSIGN_OR_RETURN(Reducer r, reducer_keyword(call, 1));
  std::string order = keyword(*call.args[2]);
  if (order != "ASC" && order != "DESC") return bad(call, "argument 3 must be ASC or DESC");
  size_t limit = arr.size();
  if (call.args.size() == 4) {
    ASSIGN_OR_RETURN(limit, index_arg(call, 3, ctx));
  }
  std::vector<std::pair<double, size_t>> keys;
  for (size_t i = 0; i < arr.size(); i++) keys.push_back({reduce_series(arr[i], r), i});
  bool desc = order == "DESC";
  // Series without data (NaN key) sort last in either order; ties keep the input order.
  std::stable_sort(keys.begin(), keys.end(), [desc](const auto& x, const auto& y) {
    bool xn = std::isnan(x.first), yn = std::isnan(y.first);
    if (xn || yn) return !xn && yn;
    return desc ? x.first > y.first : x.first < y.first;
  });
  std::vector<TimeSeries> out;
  for (size_t i = 0; i < keys.size() && i < limit; i++)
    out.push_back(std::move(arr[keys[i].second]));
  return Value::of_array(std::move(out));
}

Result<Value> slice_fn(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 2, 3));
  ASSIGN_OR_RETURN(auto arr, array_arg(call, 0, ctx));
  ASSIGN_OR_RETURN(size_t start, index_arg(call, 1, ctx));
  size_t end = arr.size();
  if (call.args.size() == 3) {
    ASSIGN_OR_RETURN(end, index_arg(call, 2, ctx));
  }
  end = std::min(end, arr.size());
  std::vector<TimeSeries> out;
  for (size_t i = start; i < end; i++) out.push_back(std::move(arr[i]));
  return Value::of_array(std::move(out));
}

Result<Value> first_last(const Node& call, EvalContext& ctx, bool first) {
  RETURN_IF_ERROR(arity(call, 1, 1));
  ASSIGN_OR_RETURN(auto arr, array_arg(call, 0, ctx));
  if (arr.empty()) return Value::of_series(TimeSeries{"", {}, "", ctx.period_ms, {}, {}});
  return Value::of_series(std::move(first ? arr.front() : arr.back()));
}

Result<Value> time_series_fn(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 1, 1));
  ASSIGN_OR_RETURN(double v, scalar_arg(call, 0, ctx));
  TimeSeries out;
  out.period_ms = ctx.period_ms;
  if (std::isfinite(v)) {
    for (int64_t t : period_grid(ctx.start_ms, ctx.end_ms, ctx.period_ms)) out.push(t, v);
  }
  return Value::of_series(std::move(out));
}

Result<Value> band_fn(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 1, 2));
  ASSIGN_OR_RETURN(auto v, evaluate(*call.args[0], ctx));
  if (v.kind != K::kSeries) return wrong_kind(call, 0, "a time series", v.kind);
  double k = 2;
  if (call.args.size() == 2) {
    ASSIGN_OR_RETURN(k, scalar_arg(call, 1, ctx));
    if (!(k > 0)) return bad(call, fmt::format("the band width must be > 0 (got {})", k));
  }
  if (ctx.anomaly_band == nullptr || !*ctx.anomaly_band) {
    return bad(call, "anomaly detection is not available in this context (no anomaly model)");
  }
  const TimeSeries& in = v.series;
  auto band = (*ctx.anomaly_band)(in, k, in.period_ms);
  if (!band.ok()) return band.status().with_prefix(call.text);
  if (band->lower.size() != in.size() || band->upper.size() != in.size()) {
    return bad(call, fmt::format("the anomaly model returned {} lower and {} upper values for {} "
                                 "points",
                                 band->lower.size(), band->upper.size(), in.size()));
  }
  TimeSeries lower = empty_like(in), upper = empty_like(in);
  lower.label = in.label + " (lower)";
  upper.label = in.label + " (upper)";
  for (size_t i = 0; i < in.size(); i++) {
    if (std::isfinite(band->lower[i])) lower.push(in.timestamps[i], band->lower[i]);
    if (std::isfinite(band->upper[i])) upper.push(in.timestamps[i], band->upper[i]);
  }
  return Value::of_array({std::move(lower), std::move(upper)});
}

Result<Value> search_fn(const Node& call, EvalContext& ctx) {
  RETURN_IF_ERROR(arity(call, 2, 3));
  ASSIGN_OR_RETURN(auto expr, string_arg(call, 0, ctx));
  ASSIGN_OR_RETURN(auto stat, string_arg(call, 1, ctx));
  int64_t period_ms = ctx.period_ms;
  if (call.args.size() == 3) {
    ASSIGN_OR_RETURN(double p, scalar_arg(call, 2, ctx));
    if (!(p >= 1) || p != std::floor(p) || p > 86400 * 366) {
      return bad(call,
                 fmt::format("the period must be a whole number of seconds >= 1 (got {})", p));
    }
    period_ms = static_cast<int64_t>(p) * 1000;
  }
  auto r = run_search(expr, stat, period_ms, ctx);
  if (!r.ok()) return r.status().with_prefix(call.text);
  return Value::of_array(std::move(*r));
}

double f_abs(double v) {
  return std::fabs(v);
}
double f_ceil(double v) {
  return std::ceil(v);
}
double f_floor(double v) {
  return std::floor(v);
}
double f_log(double v) {
  return std::log(v);
}
double f_log10(double v) {
  return std::log10(v);
}

}  // namespace

Result<Value> call_function(const Node& call, EvalContext& ctx) {
  const std::string& f = call.text;
  if (f == "ABS") return math_fn(call, ctx, f_abs);
  if (f == "CEIL") return math_fn(call, ctx, f_ceil);
  if (f == "FLOOR") return math_fn(call, ctx, f_floor);
  if (f == "LOG") return math_fn(call, ctx, f_log);
  if (f == "LOG10") return math_fn(call, ctx, f_log10);
  if (f == "SUM") return reduce_fn(call, ctx, Reducer::kSum);
  if (f == "AVG") return reduce_fn(call, ctx, Reducer::kAvg);
  if (f == "MIN") return reduce_fn(call, ctx, Reducer::kMin);
  if (f == "MAX") return reduce_fn(call, ctx, Reducer::kMax);
  if (f == "STDDEV") return reduce_fn(call, ctx, Reducer::kStddev);
  if (f == "FILL") return fill(call, ctx);
  if (f == "RATE") return series_fn(call, ctx, rate);
  if (f == "DIFF") return series_fn(call, ctx, diff);
  if (f == "DIFF_TIME") return series_fn(call, ctx, diff_time);
  if (f == "RUNNING_SUM") return series_fn(call, ctx, running_sum);
  if (f == "PERIOD") return period(call, ctx);
  if (f == "IF") return if_fn(call, ctx);
  if (f == "METRICS") return metrics_fn(call, ctx);
  if (f == "SORT") return sort_fn(call, ctx);
  if (f == "SLICE") return slice_fn(call, ctx);
  if (f == "FIRST") return first_last(call, ctx, true);
  if (f == "LAST") return first_last(call, ctx, false);
  if (f == "TIME_SERIES") return time_series_fn(call, ctx);
  if (f == "SEARCH") return search_fn(call, ctx);
  if (f == "ANOMALY_DETECTION_BAND") return band_fn(call, ctx);
  if (f == "MINUTE") return time_fn(call, ctx, TimePart::kMinute);
  if (f == "HOUR") return time_fn(call, ctx, TimePart::kHour);
  if (f == "DAY") return time_fn(call, ctx, TimePart::kDay);
  if (f == "DATE") return time_fn(call, ctx, TimePart::kDate);
  if (f == "MONTH") return time_fn(call, ctx, TimePart::kMonth);
  if (f == "YEAR") return time_fn(call, ctx, TimePart::kYear);
  if (f == "EPOCH") return time_fn(call, ctx, TimePart::kEpoch);
  if (f == "REMOVE_EMPTY") {
    RETURN_IF_ERROR(arity(call, 1, 1));
    ASSIGN_OR_RETURN(auto arr, array_arg(call, 0, ctx));
    std::erase_if(arr, [](const TimeSeries& s) { return s.empty(); });
    return Value::of_array(std::move(arr));
  }
  if (f == "METRIC_COUNT") {
    RETURN_IF_ERROR(arity(call, 1, 1));
    ASSIGN_OR_RETURN(auto arr, array_arg(call, 0, ctx));
    return Value::of_scalar(static_cast<double>(arr.size()));
  }
  if (f == "DATAPOINT_COUNT") {
    RETURN_IF_ERROR(arity(call, 1, 1));
    ASSIGN_OR_RETURN(auto v, evaluate(*call.args[0], ctx));
    if (v.kind != K::kSeries) return wrong_kind(call, 0, "a time series", v.kind);
    return Value::of_scalar(static_cast<double>(v.series.size()));
  }
  if (f == "INSIGHT_RULE_METRIC") {
    return Status::invalid_argument(
        "INSIGHT_RULE_METRIC is not supported: Contributor Insights rules are not available");
  }
  if (f == "SERVICE_QUOTA" || f == "LAMBDA" || f == "DB_PERF_INSIGHTS") {
    return Status::invalid_argument(fmt::format(
        "{} is not supported: it reads AWS-side data (service quotas, Lambda data sources, "
        "Performance Insights) that opsight does not have",
        f));
  }
  return Status::invalid_argument(fmt::format("unknown function {}", f));
}

}  // namespace opsight::query::metricmath

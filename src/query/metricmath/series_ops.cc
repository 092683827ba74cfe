#include "query/metricmath/series_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace opsight::query::metricmath {
namespace {

void push_finite(TimeSeries* out, int64_t t, double v) {
  if (std::isfinite(v)) out->push(t, v);
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Visits the grid merged with the series' own points: f(t, has_point, index_of_point).
template <typename F>
void walk_grid(const TimeSeries& s, std::span<const int64_t> grid, F f) {
  size_t i = 0, g = 0;
  while (i < s.size() || g < grid.size()) {
    if (g < grid.size() && (i >= s.size() || grid[g] < s.timestamps[i])) {
      f(grid[g++], false, i);
    } else {
      if (g < grid.size() && grid[g] == s.timestamps[i]) g++;
      f(s.timestamps[i], true, i);
      i++;
    }
  }
}

}  // namespace

const char* kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kScalar:
      return "a scalar";
    case Value::Kind::kSeries:
      return "a time series";
    case Value::Kind::kArray:
      return "an array of time series";
    case Value::Kind::kString:
      return "a string";
  }
  return "?";
}

TimeSeries empty_like(const TimeSeries& s) {
  TimeSeries out;
  out.label = s.label;
  out.labels = s.labels;
  out.stat = s.stat;
  out.period_ms = s.period_ms;
  return out;
}

double apply_op(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:
      return a / b;
    case BinaryOp::kPow:
      return std::pow(a, b);
    case BinaryOp::kEq:
      return a == b ? 1 : 0;
    case BinaryOp::kNe:
      return a != b ? 1 : 0;
    case BinaryOp::kLt:
      return a < b ? 1 : 0;
    case BinaryOp::kLe:
      return a <= b ? 1 : 0;
    case BinaryOp::kGt:
      return a > b ? 1 : 0;
    case BinaryOp::kGe:
      return a >= b ? 1 : 0;
    case BinaryOp::kAnd:
      return (a != 0 && b != 0) ? 1 : 0;
    case BinaryOp::kOr:
      return (a != 0 || b != 0) ? 1 : 0;
  }
  return std::nan("");
}

TimeSeries combine(const TimeSeries& a, const TimeSeries& b, BinaryOp op) {
  TimeSeries out = empty_like(a);
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a.timestamps[i] < b.timestamps[j]) {
      i++;
    } else if (b.timestamps[j] < a.timestamps[i]) {
      j++;
    } else {
      push_finite(&out, a.timestamps[i], apply_op(op, a.values[i], b.values[j]));
      i++;
      j++;
    }
  }
  return out;
}

TimeSeries combine_scalar(const TimeSeries& a, double s, BinaryOp op, bool scalar_left) {
  TimeSeries out = empty_like(a);
  for (size_t i = 0; i < a.size(); i++) {
    double v = scalar_left ? apply_op(op, s, a.values[i]) : apply_op(op, a.values[i], s);
    push_finite(&out, a.timestamps[i], v);
  }
  return out;
}

TimeSeries map_values(const TimeSeries& a, double (*f)(double)) {
  TimeSeries out = empty_like(a);
  for (size_t i = 0; i < a.size(); i++) push_finite(&out, a.timestamps[i], f(a.values[i]));
  return out;
}

namespace {

struct Acc {
  double n = 0, sum = 0, sumsq = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  void add(double v) {
    n++;
    sum += v;
    sumsq += v * v;
    min = std::min(min, v);
    max = std::max(max, v);
  }
  double result(Reducer r, std::span<const double> values) const {
    if (n == 0) return std::nan("");
    switch (r) {
      case Reducer::kSum:
        return sum;
      case Reducer::kAvg:
        return sum / n;
      case Reducer::kMin:
        return min;
      case Reducer::kMax:
        return max;
      case Reducer::kStddev: {
        // Two-pass over the values for accuracy.
        double mean = sum / n, ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        return std::sqrt(ss / n);
      }
    }
    return std::nan("");
  }
};

}  // namespace

TimeSeries reduce_array(std::span<const TimeSeries> array, Reducer r) {
  if (array.empty()) return TimeSeries{};
  TimeSeries out = empty_like(array[0]);
  out.labels = Labels();
  out.stat.clear();
  std::map<int64_t, std::vector<double>> by_time;
  for (const auto& s : array) {
    for (size_t i = 0; i < s.size(); i++) by_time[s.timestamps[i]].push_back(s.values[i]);
  }
  for (const auto& [t, vals] : by_time) {
    Acc acc;
    for (double v : vals) acc.add(v);
    push_finite(&out, t, acc.result(r, vals));
  }
  return out;
}

double reduce_series(const TimeSeries& s, Reducer r) {
  Acc acc;
  for (double v : s.values) acc.add(v);
  return acc.result(r, s.values);
}

std::vector<int64_t> period_grid(int64_t start_ms, int64_t end_ms, int64_t period_ms) {
  std::vector<int64_t> out;
  if (period_ms <= 0 || end_ms <= start_ms) return out;
  for (int64_t t = floor_div(start_ms, period_ms) * period_ms; t < end_ms; t += period_ms) {
    out.push_back(t);
  }
  return out;
}

TimeSeries fill_value(const TimeSeries& s, std::span<const int64_t> grid, double v) {
  TimeSeries out = empty_like(s);
  walk_grid(s, grid,
            [&](int64_t t, bool has, size_t i) { push_finite(&out, t, has ? s.values[i] : v); });
  return out;
}

TimeSeries fill_repeat(const TimeSeries& s, std::span<const int64_t> grid) {
  if (s.empty()) return s;
  TimeSeries out = empty_like(s);
  walk_grid(s, grid, [&](int64_t t, bool has, size_t i) {
    if (has) {
      out.push(t, s.values[i]);
    } else {
      out.push(t, i == 0 ? s.values[0] : s.values[i - 1]);
    }
  });
  return out;
}

TimeSeries fill_linear(const TimeSeries& s, std::span<const int64_t> grid) {
  if (s.empty()) return s;
  TimeSeries out = empty_like(s);
  walk_grid(s, grid, [&](int64_t t, bool has, size_t i) {
    if (has) {
      out.push(t, s.values[i]);
    } else if (i == 0) {
      out.push(t, s.values[0]);
    } else if (i >= s.size()) {
      out.push(t, s.values.back());
    } else {
      // Between point i-1 and point i.
      double t0 = static_cast<double>(s.timestamps[i - 1]);
      double t1 = static_cast<double>(s.timestamps[i]);
      double f = (static_cast<double>(t) - t0) / (t1 - t0);
      push_finite(&out, t, s.values[i - 1] + f * (s.values[i] - s.values[i - 1]));
    }
  });
  return out;
}

TimeSeries rate(const TimeSeries& s) {
  TimeSeries out = empty_like(s);
  for (size_t i = 1; i < s.size(); i++) {
    double secs = static_cast<double>(s.timestamps[i] - s.timestamps[i - 1]) / 1000.0;
    push_finite(&out, s.timestamps[i], (s.values[i] - s.values[i - 1]) / secs);
  }
  return out;
}

TimeSeries diff(const TimeSeries& s) {
  TimeSeries out = empty_like(s);
  for (size_t i = 1; i < s.size(); i++) {
    push_finite(&out, s.timestamps[i], s.values[i] - s.values[i - 1]);
  }
  return out;
}

TimeSeries diff_time(const TimeSeries& s) {
  TimeSeries out = empty_like(s);
  for (size_t i = 1; i < s.size(); i++) {
    out.push(s.timestamps[i], static_cast<double>(s.timestamps[i] - s.timestamps[i - 1]) / 1000.0);
  }
  return out;
}

TimeSeries running_sum(const TimeSeries& s) {
  TimeSeries out = empty_like(s);
  double acc = 0;
  for (size_t i = 0; i < s.size(); i++) {
    acc += s.values[i];
    push_finite(&out, s.timestamps[i], acc);
  }
  return out;
}

}  // namespace opsight::query::metricmath

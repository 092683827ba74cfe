#pragma once
// The values of CloudWatch Metric Math (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
// using-metric-math.html): a scalar, one time series, an array of time series, or a string
// (only as a function argument: METRICS('filter'), SEARCH(...)).
//
// Invariants of a TimeSeries: timestamps strictly ascending, timestamps.size() ==
// values.size(), every value finite (operations drop the points whose result is NaN or
// infinite, as CloudWatch returns no datapoint for them).

#include <cstdint>
#include <string>
#include <vector>

#include "common/labels.h"

namespace opsight::query::metricmath {

struct TimeSeries {
  std::string label;      // display label (metric name, search dimensions, computed label)
  Labels labels;          // identity of the stored series for a metric; empty when computed
  std::string stat;       // statistic of a metric ("Average", "p99"); empty when computed
  int64_t period_ms = 0;  // granularity of the points (> 0)
  std::vector<int64_t> timestamps;  // ms, ascending
  std::vector<double> values;

  size_t size() const { return timestamps.size(); }
  bool empty() const { return timestamps.empty(); }
  void push(int64_t t, double v) {
    timestamps.push_back(t);
    values.push_back(v);
  }
};

// What an anomaly model returns for ANOMALY_DETECTION_BAND: three arrays aligned with the
// timestamps of the input series (the same length; NaN = no band at that point).
struct Band {
  std::vector<double> lower;
  std::vector<double> upper;
  std::vector<double> expected;
};

struct Value {
  enum class Kind { kScalar, kSeries, kArray, kString };
  Kind kind = Kind::kScalar;
  double scalar = 0;
  TimeSeries series;
  std::vector<TimeSeries> array;
  std::string str;

  static Value of_scalar(double v) {
    Value x;
    x.scalar = v;
    return x;
  }
  static Value of_series(TimeSeries s) {
    Value x;
    x.kind = Kind::kSeries;
    x.series = std::move(s);
    return x;
  }
  static Value of_array(std::vector<TimeSeries> a) {
    Value x;
    x.kind = Kind::kArray;
    x.array = std::move(a);
    return x;
  }
  static Value of_string(std::string s) {
    Value x;
    x.kind = Kind::kString;
    x.str = std::move(s);
    return x;
  }
};

// "a scalar", "a time series", "an array of time series", "a string": for error messages.
const char* kind_name(Value::Kind kind);

}  // namespace opsight::query::metricmath

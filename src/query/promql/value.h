#pragma once
// The values a PromQL query returns (Prometheus's promql.Value): scalar, string, instant
// vector, matrix. Timestamps are milliseconds since the Unix epoch. Labels never carry tenant
// labels.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/labels.h"
#include "storage/metric_store.h"

namespace opsight::query::promql {

// A float point (t, v). The same type as the storage's bulk-read point, so a series read from
// storage needs no conversion.
using Point = storage::ValuePoint;

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct String {
  int64_t t = 0;
  std::string v;
};

struct VectorSample {
  Labels labels;
  int64_t t = 0;
  double v = 0;
};
using Vector = std::vector<VectorSample>;

struct SeriesPoints {
  Labels labels;
  std::vector<Point> points;  // ascending t
};
using Matrix = std::vector<SeriesPoints>;

using Value = std::variant<Scalar, String, Vector, Matrix>;

}  // namespace opsight::query::promql

#pragma once
// In-memory form of an OTLP ExportMetricsServiceRequest (opentelemetry-proto
// collector/metrics/v1/metrics_service.proto and metrics/v1/metrics.proto), produced by both the
// protobuf and the JSON decoder and consumed by the mapping to Prometheus-style series
// (otlp_to_series.h). It keeps only what opsight uses: exemplars, schema URLs and
// Metric.metadata are not kept.
//
// Invariant: a decoder fills a point's `error` (and leaves its values unspecified) when one of
// its scalar fields could not be read as the type it must have (JSON only, e.g.
// "timeUnixNano": "NaN"); the mapping then rejects that point alone. Everything structural
// (bad protobuf framing, invalid JSON, an object where an array must be) fails the whole
// request in the decoder instead.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ingest/otlp/otlp_common.h"

namespace opsight::ingest::otlp {

// DataPointFlags.FLAG_NO_RECORDED_VALUE: the point marks a gap (Prometheus staleness marker).
inline constexpr uint32_t kFlagNoRecordedValue = 1;

enum class MetricType { kUnset, kGauge, kSum, kHistogram, kExponentialHistogram, kSummary };

// AggregationTemporality (values as on the wire).
enum class Temporality : int32_t { kUnspecified = 0, kDelta = 1, kCumulative = 2 };

// Exemplar{filtered_attributes=7, time_unix_nano=2 fixed64, oneof value {as_double=3 double,
// as_int=6 sfixed64}, span_id=4 bytes, trace_id=5 bytes}
struct PointExemplar {
  std::vector<KeyValue> filtered_attributes;
  uint64_t time_unix_nano = 0;
  double value = 0;
  std::string trace_id;  // raw bytes (16), "" when absent
  std::string span_id;   // raw bytes (8)
};

struct PointBase {
  std::vector<KeyValue> attributes;
  std::vector<PointExemplar> exemplars;  // NumberDataPoint 5, Histogram 8, ExpHistogram 11
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint32_t flags = 0;
  std::string error;  // non-empty: the point could not be read (see the invariant above)
};

// NumberDataPoint{attributes=7, start_time_unix_nano=2 fixed64, time_unix_nano=3 fixed64,
// oneof value {as_double=4 double, as_int=6 sfixed64}, exemplars=5, flags=8 uint32}
struct NumberPoint : PointBase {
  enum class Value { kNone, kDouble, kInt };
  Value value_type = Value::kNone;
  double as_double = 0;
  int64_t as_int = 0;
};

// HistogramDataPoint{attributes=9, start=2, time=3, count=4 fixed64, optional sum=5 double,
// bucket_counts=6 repeated fixed64, explicit_bounds=7 repeated double, exemplars=8,
// flags=10, optional min=11, optional max=12}
struct HistogramPoint : PointBase {
  uint64_t count = 0;
  bool has_sum = false;
  double sum = 0;
  std::vector<uint64_t> bucket_counts;
  std::vector<double> explicit_bounds;
};

// ExponentialHistogramDataPoint.Buckets{sint32 offset=1; repeated uint64 bucket_counts=2}
struct ExpBuckets {
  int32_t offset = 0;
  std::vector<uint64_t> bucket_counts;
};

// ExponentialHistogramDataPoint{attributes=1, start=2, time=3, count=4 fixed64,
// optional sum=5 double, scale=6 sint32, zero_count=7 fixed64, positive=8, negative=9,
// flags=10, exemplars=11, optional min=12, optional max=13, zero_threshold=14 double}
struct ExpHistogramPoint : PointBase {
  uint64_t count = 0;
  bool has_sum = false;
  double sum = 0;
  int32_t scale = 0;
  uint64_t zero_count = 0;
  double zero_threshold = 0;
  ExpBuckets positive;
  ExpBuckets negative;
};

// SummaryDataPoint{attributes=7, start=2, time=3, count=4 fixed64, sum=5 double,
// quantile_values=6 (ValueAtQuantile{quantile=1 double, value=2 double}), flags=8}
struct SummaryPoint : PointBase {
  uint64_t count = 0;
  double sum = 0;
  std::vector<std::pair<double, double>> quantiles;  // (quantile, value)
};

// Metric{name=1, description=2, unit=3, oneof data {gauge=5, sum=7, histogram=9,
// exponential_histogram=10, summary=11}, metadata=12}. Only the vector of `type` is used.
// Gauge{data_points=1}; Sum{data_points=1, aggregation_temporality=2, is_monotonic=3};
// Histogram and ExponentialHistogram{data_points=1, aggregation_temporality=2};
// Summary{data_points=1}.
struct Metric {
  std::string name;
  std::string description;
  std::string unit;
  MetricType type = MetricType::kUnset;
  Temporality temporality = Temporality::kUnspecified;
  int64_t raw_temporality = 0;  // as received, for error messages
  bool is_monotonic = false;
  std::vector<NumberPoint> number_points;        // kGauge, kSum
  std::vector<HistogramPoint> histogram_points;  // kHistogram
  std::vector<ExpHistogramPoint> exp_histogram_points;
  std::vector<SummaryPoint> summary_points;

  // Switches the oneof to `t`, clearing the points of another type (proto3 oneof semantics:
  // the last member set wins; the same member set twice is merged).
  void set_type(MetricType t) {
    if (type == t) return;
    type = t;
    temporality = Temporality::kUnspecified;
    raw_temporality = 0;
    is_monotonic = false;
    number_points.clear();
    histogram_points.clear();
    exp_histogram_points.clear();
    summary_points.clear();
  }
  size_t point_count() const {
    return number_points.size() + histogram_points.size() + exp_histogram_points.size() +
           summary_points.size();
  }
};

// ScopeMetrics{scope=1, repeated Metric metrics=2, schema_url=3}
struct ScopeMetrics {
  InstrumentationScope scope;
  std::vector<Metric> metrics;
};

// ResourceMetrics{resource=1, repeated ScopeMetrics scope_metrics=2, schema_url=3}
struct ResourceMetrics {
  Resource resource;
  std::vector<ScopeMetrics> scope_metrics;
};

// ExportMetricsServiceRequest{repeated ResourceMetrics resource_metrics=1}
struct ExportMetricsRequest {
  std::vector<ResourceMetrics> resource_metrics;
};

inline void set_temporality(Metric* m, int64_t raw) {
  m->raw_temporality = raw;
  m->temporality =
      (raw == 1 || raw == 2) ? static_cast<Temporality>(raw) : Temporality::kUnspecified;
}

}  // namespace opsight::ingest::otlp

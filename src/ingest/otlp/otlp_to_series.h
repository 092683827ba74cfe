#pragma once
// OTLP metric points -> Prometheus-style series, following the OpenTelemetry specification
// "Prometheus and OpenMetrics Compatibility", section "OTLP Metric points to Prometheus"
// (specification/compatibility/prometheus_and_openmetrics.md), with the opsight choices that
// docs/otlp-metrics.md lists:
//
//   Gauge                         -> gauge  <name>[_<unit>][_ratio if unit "1"]
//   Sum cumulative monotonic      -> counter <name>[_<unit>]_total
//   Sum cumulative non-monotonic  -> gauge  <name>[_<unit>]
//   Sum delta (either)            -> gauge  <name>[_<unit>], value per interval (no _total)
//   Histogram (either temporality)-> <name>_bucket{le=...} (cumulative over le, incl. +Inf),
//                                    <name>_sum (when set), <name>_count
//   ExponentialHistogram          -> classic buckets: le = base^(index+1) of every populated
//                                    bucket, -base^index for negative ones, zero_threshold for
//                                    the zero bucket, then +Inf; _sum, _count
//   Summary                       -> <name>{quantile=...}, <name>_sum, <name>_count
//
// Labels of a series, later entries overriding earlier ones with the same name:
//   1. resource attributes (sanitised; values over kMaxResourceLabelValue bytes dropped;
//      service.name / service.namespace / service.instance.id excluded, see 3),
//   2. data-point attributes (sanitised; collisions joined with ";" in key order),
//   3. job = "<service.namespace>/<service.name>" (or "<service.name>"), instance =
//      service.instance.id, service = service.name, otel_scope_name, otel_scope_version,
//   4. le / quantile and __name__.
// Timestamps: time_unix_nano / 1e6 (ms). A point flagged NO_RECORDED_VALUE becomes a
// Prometheus staleness marker on each of its series. Exemplars of sums and gauges go with their
// series, those of histograms with the bucket counting their value (labels trace_id, span_id in
// hex and the filtered attributes); exponential-histogram exemplars are dropped.
//
// Rejections are per data point: the point is counted in OtlpResult::rejected_data_points and
// an ItemError names the metric, the point and the rule ("resource_metrics[0].scope_metrics[1]
// .metrics[2] \"http.server.duration\" data_points[3]: ...").
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/metric_batch.h"
#include "ingest/otlp/otlp_metrics_model.h"
#include "ingest/otlp/otlp_naming.h"

namespace opsight::ingest::otlp {

// The ExportMetricsPartialSuccess of a request.
struct OtlpResult {
  uint64_t rejected_data_points = 0;
  std::string error_message;
};

// Resource attribute values longer than this are not turned into labels.
inline constexpr size_t kMaxResourceLabelValue = 1024;
// An exponential histogram point with more populated buckets than this is rejected (each
// populated bucket becomes a series).
inline constexpr size_t kMaxExpHistogramBuckets = 2048;
// A point whose label set (resource labels + its attributes + job/instance/...) has more labels
// or bytes than this is rejected. Both are far above the default write limits (64 labels,
// 4 KiB values); they only bound what one point may expand to.
inline constexpr size_t kMaxPointLabels = 256;
inline constexpr uint64_t kMaxPointLabelBytes = 64 * 1024;
// Output bounds of one request: a small input can expand a lot (every histogram bucket copies
// the point's labels), so points beyond these are rejected ("split the request").
inline constexpr uint64_t kMaxOutputSamples = 4'000'000;
inline constexpr uint64_t kMaxOutputLabelBytes = 512ull << 20;
// Scale range of the OpenTelemetry data model for exponential histograms.
inline constexpr int32_t kMinExpScale = -10;
inline constexpr int32_t kMaxExpScale = 20;

// Appends the series and metadata of `req` to *out (points of the same label set are grouped
// into one SeriesSamples), rejected points to out->errors, and counts the rejections in *result
// (error_message summarises the first few).
void map_metrics_to_series(const ExportMetricsRequest& req, MetricBatch* out, OtlpResult* result);

}  // namespace opsight::ingest::otlp

#pragma once
// Prometheus names for OpenTelemetry metrics and attributes, per the OpenTelemetry specification
// "Prometheus and OpenMetrics Compatibility" (specification/compatibility/
// prometheus_and_openmetrics.md, "OTLP Metric points to Prometheus": metric name, unit and
// type suffixes, metric attributes). The UCUM unit words follow the table the OpenTelemetry
// Collector's Prometheus translator uses. docs/otlp-metrics.md has the user-facing table.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

namespace opsight::ingest::otlp {

// The Prometheus unit of a UCUM unit ("s" -> "seconds", "By/s" -> "bytes_per_second",
// "{packet}" -> "", "1" -> "ratio" when `gauge`, else ""). Unknown units are sanitised and kept.
std::string prometheus_unit(std::string_view ucum, bool gauge);

enum class NameKind { kGauge, kCounter, kOther };
// The Prometheus name of an OTLP metric: invalid characters -> "_", runs of "_" collapsed,
// leading/trailing "_" dropped, unit suffix added unless the name already has it, "_total" for
// counters, "_" prefix when it would start with a digit. Empty when nothing valid is left.
std::string prometheus_metric_name(std::string_view name, std::string_view unit, NameKind kind);

// A label name from an attribute key: invalid characters -> "_", runs of "_" collapsed,
// "key_" prefix when it starts with a digit. Empty for an empty key.
std::string sanitize_label_name(std::string_view key);

// Label value of a bucket bound or quantile: shortest round-trip decimal in fixed notation
// ("0.005", "1000000", "1"), "+Inf" / "-Inf" / "NaN" for non-finite values.
std::string format_label_float(double v);

}  // namespace opsight::ingest::otlp

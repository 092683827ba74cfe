#pragma once
// The demo's telemetry, per emitting service, before it is encoded as OTLP: spans use the
// storage model (storage::Span) so what the demo sends is exactly what opsight stores; log
// records and metric points are small structs of their own (OpenTelemetry logs and metrics data
// models, reduced to what the demo emits).
//
// Thread safety: plain values.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/trace_store.h"

namespace opsight::demo {

using Attributes = std::vector<std::pair<std::string, std::string>>;  // string-valued

// OpenTelemetry log severity numbers (logs data model, "SeverityNumber").
inline constexpr int kSeverityInfo = 9;
inline constexpr int kSeverityWarn = 13;
inline constexpr int kSeverityError = 17;

struct LogRecord {
  int64_t time_ns = 0;
  int severity_number = kSeverityInfo;
  std::string severity_text = "INFO";
  std::string body;
  std::string trace_id;  // 16 raw bytes, or empty
  std::string span_id;   // 8 raw bytes, or empty
  Attributes attributes;
};

// One metric stream (name + attributes) at one moment. Counters and histograms are cumulative
// from start_ns (OTLP AggregationTemporality CUMULATIVE).
struct MetricPoint {
  enum class Type { kGauge, kCounter, kHistogram };
  std::string name;
  std::string unit;
  std::string description;
  Type type = Type::kGauge;
  Attributes attributes;
  int64_t start_ns = 0;
  int64_t time_ns = 0;
  double value = 0;                     // gauge, counter
  std::vector<double> bounds;           // histogram explicit bounds
  std::vector<uint64_t> bucket_counts;  // histogram: bounds.size() + 1 counts (not cumulative)
  uint64_t count = 0;                   // histogram
  double sum = 0;                       // histogram
};

// What one service emits; its resource attributes name it (service.name, host.name, ...).
struct ServiceTelemetry {
  Attributes resource;
  std::vector<storage::Span> spans;
  std::vector<LogRecord> logs;
  std::vector<MetricPoint> metrics;
};

// By service name.
using Telemetry = std::map<std::string, ServiceTelemetry>;

}  // namespace opsight::demo

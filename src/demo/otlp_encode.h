#pragma once
// OTLP protobuf encoding of the demo's telemetry: ExportTraceServiceRequest,
// ExportMetricsServiceRequest and ExportLogsServiceRequest (opentelemetry-proto collector/*/v1),
// one ResourceX per service, one scope ("opsight-demo"). Field numbers as listed in
// ingest/traces/otlp_traces_model.h and ingest/otlp/otlp_metrics_model.h, plus logs/v1:
//   ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
//   ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
//   ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
//   LogRecord { fixed64 time_unix_nano = 1; fixed64 observed_time_unix_nano = 11;
//               SeverityNumber severity_number = 2; string severity_text = 3; AnyValue body = 5;
//               repeated KeyValue attributes = 6; fixed32 flags = 8; bytes trace_id = 9;
//               bytes span_id = 10; }
// Attribute values are written with the AttrType of the span attribute (string, bool, int,
// double); log and metric attributes are strings.
//
// Thread safety: pure functions.

#include <string>

#include "demo/telemetry.h"

namespace opsight::demo {

// Empty string when there is nothing of that signal.
std::string encode_traces(const Telemetry& t);
std::string encode_metrics(const Telemetry& t);
std::string encode_logs(const Telemetry& t);

}  // namespace opsight::demo

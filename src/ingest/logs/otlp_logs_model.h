#pragma once
// OTLP logs (opentelemetry-proto logs/v1/logs.proto, collector/logs/v1/logs_service.proto):
// the decoded request model shared by the protobuf and JSON decoders, and its mapping onto
// log groups, streams and storage::LogEvent (documented in docs/ingest-logs.md).
//
// Field numbers (verified against opentelemetry-proto logs/v1/logs.proto):
//   ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
//   ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3;
//   } ScopeLogs    { InstrumentationScope scope = 1; repeated LogRecord log_records = 2;
//                  string schema_url = 3; }
//   LogRecord    { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2;
//                  string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6;
//                  uint32 dropped_attributes_count = 7; fixed32 flags = 8; bytes trace_id = 9;
//                  bytes span_id = 10; fixed64 observed_time_unix_nano = 11;
//                  string event_name = 12; }   (4 is reserved)
//   ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
//   ExportLogsPartialSuccess  { int64 rejected_log_records = 1; string error_message = 2; }
//
// Mapping (one LogEvent per LogRecord):
//   message       body: a string as is; any other AnyValue kind as its JSON text
//                 (otlp::any_value_to_string); an absent body is "".
//   timestamp_ms  time_unix_nano / 1e6, or observed_time_unix_nano when it is 0, or now_ms when
//                 both are 0.
//   severity      severity_text as is (or, when empty, the SeverityNumber's short name "INFO",
//                 "ERROR2", ...); severity_number 0..24.
//   trace/span    lower-case hex; empty or all-zero ids become "".
//   attributes    the record's attributes, values by otlp::any_value_to_string; event_name, when
//                 set, as attribute "event.name".
//   group         resource attribute aws.log.group.names (a string, first of '&'-separated names,
//                 or the first string of an array), else "/otel/<service.name>", else
//                 "/otel/unknown_service".
//   stream        aws.log.stream.names (same form), else host.name, else service.instance.id,
//                 else "default".
// A record is rejected (counted in rejected_log_records, one ItemError naming
// "resource_logs[i].scope_logs[j].log_records[k]" and the rule) when its trace_id is not 16 bytes
// or its span_id not 8 bytes (when set), its severity_number is outside 0..24, or it breaks
// LogLimits; records beyond max_events_per_request are rejected too.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "ingest/logs/log_batch.h"
#include "ingest/otlp/otlp_common.h"

namespace opsight::ingest::logs {

struct OtlpLogRecord {
  uint64_t time_unix_nano = 0;
  uint64_t observed_time_unix_nano = 0;
  int32_t severity_number = 0;
  std::string severity_text;
  otlp::AnyValue body;
  std::vector<otlp::KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
  std::string trace_id;  // raw bytes (protobuf) / decoded hex (JSON)
  std::string span_id;
  std::string event_name;
  // JSON only: a scalar field that could not be read as its type ("timeUnixNano": "soon");
  // the record is then rejected with this rule.
  std::string decode_error;
};

struct OtlpScopeLogs {
  otlp::InstrumentationScope scope;
  std::vector<OtlpLogRecord> log_records;
};

struct OtlpResourceLogs {
  otlp::Resource resource;
  std::vector<OtlpScopeLogs> scope_logs;
};

struct ExportLogsRequest {
  std::vector<OtlpResourceLogs> resource_logs;
};

// The ExportLogsPartialSuccess of a request.
struct OtlpLogsResult {
  uint64_t rejected_log_records = 0;
  std::string error_message;  // summarises the first few rejections
};

// Appends the events of `req` to *out (see the mapping above).
void map_logs_to_batch(const ExportLogsRequest& req, int64_t now_ms, const LogLimits& limits,
                       LogBatch* out, OtlpLogsResult* result);

// The log group / stream a resource's records go to.
std::string otlp_log_group(const otlp::Resource& resource);
std::string otlp_log_stream(const otlp::Resource& resource);

}  // namespace opsight::ingest::logs

// OTLP logs JSON decoder: OTLP specification, specification/protocol/otlp.md "JSON Protobuf
// Encoding", over the messages of opentelemetry-proto logs/v1/logs.proto. simdjson DOM.
#include "ingest/logs/otlp_logs_json.h"

#include <fmt/format.h>

#include "common/json_writer.h"
#include "ingest/otlp/otlp_json_common.h"

namespace opsight::ingest::logs {
namespace {

namespace json = otlp::json;
using json::Element;
using json::is_field;
using json::is_null;
using simdjson::dom::array;
using simdjson::dom::object;

void record_error(OtlpLogRecord* rec, std::string_view field, std::string_view want, Element v) {
  if (rec->decode_error.empty()) {
    rec->decode_error = fmt::format("{}: expected {}, got {}", field, want, json::kind_name(v));
  }
}

// SeverityNumber as an integer or its enum name.
bool read_severity(Element v, int32_t* out) {
  if (json::to_int32(v, out)) return true;
  std::string_view s;
  if (!json::to_string(v, &s)) return false;
  constexpr std::string_view kPrefix = "SEVERITY_NUMBER_";
  if (!s.starts_with(kPrefix)) return false;
  s.remove_prefix(kPrefix.size());
  if (s == "UNSPECIFIED") {
    *out = 0;
    return true;
  }
  for (int32_t n = 1; n <= 24; n++) {
    if (severity_name(n) == s) {
      *out = n;
      return true;
    }
  }
  return false;
}

void read_id(Element v, std::string_view field, size_t bytes, OtlpLogRecord* rec,
             std::string* out) {
  std::string_view s;
  if (!json::to_string(v, &s)) return record_error(rec, field, "a hex string", v);
  if (s.empty()) return;
  if (s.size() != bytes * 2 || !otlp::hex_decode(s, out)) {
    out->clear();
    if (rec->decode_error.empty()) {
      rec->decode_error =
          fmt::format("{} must be {} hex digits (got \"{}\")", field, bytes * 2, s.substr(0, 64));
    }
  }
}

Status parse_record(Element e, const std::string& path, OtlpLogRecord* rec,
                    otlp::DecodeBudget* budget) {
  if (!budget->take()) return otlp::budget_exhausted_error();
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  for (auto f : obj) {
    std::string_view key = f.key;
    Element v = f.value;
    if (is_null(v)) continue;
    if (is_field(key, "timeUnixNano", "time_unix_nano")) {
      if (!json::to_uint64(v, &rec->time_unix_nano)) {
        record_error(rec, "timeUnixNano", "a uint64", v);
      }
    } else if (is_field(key, "observedTimeUnixNano", "observed_time_unix_nano")) {
      if (!json::to_uint64(v, &rec->observed_time_unix_nano)) {
        record_error(rec, "observedTimeUnixNano", "a uint64", v);
      }
    } else if (is_field(key, "severityNumber", "severity_number")) {
      if (!read_severity(v, &rec->severity_number)) {
        record_error(rec, "severityNumber", "an integer or a SeverityNumber name", v);
      }
    } else if (is_field(key, "severityText", "severity_text")) {
      std::string_view s;
      if (!json::to_string(v, &s)) {
        record_error(rec, "severityText", "a string", v);
      } else {
        rec->severity_text = std::string(s);
      }
    } else if (key == "body") {
      RETURN_IF_ERROR(json::decode_any_value(v, path + ".body", &rec->body, budget));
    } else if (key == "attributes") {
      RETURN_IF_ERROR(json::decode_key_values(v, path + ".attributes", &rec->attributes, budget));
    } else if (is_field(key, "droppedAttributesCount", "dropped_attributes_count")) {
      if (!json::to_uint32(v, &rec->dropped_attributes_count)) {
        record_error(rec, "droppedAttributesCount", "a uint32", v);
      }
    } else if (key == "flags") {
      if (!json::to_uint32(v, &rec->flags)) record_error(rec, "flags", "a uint32", v);
    } else if (is_field(key, "traceId", "trace_id")) {
      read_id(v, "traceId", 16, rec, &rec->trace_id);
    } else if (is_field(key, "spanId", "span_id")) {
      read_id(v, "spanId", 8, rec, &rec->span_id);
    } else if (is_field(key, "eventName", "event_name")) {
      std::string_view s;
      if (!json::to_string(v, &s)) {
        record_error(rec, "eventName", "a string", v);
      } else {
        rec->event_name = std::string(s);
      }
    }
  }
  return OkStatus();
}

}  // namespace

Status parse_logs_request_json(std::string_view body, ExportLogsRequest* out) {
  static constexpr otlp::json::EnvelopeNames kNames{"ExportLogsServiceRequest",
                                                    "resourceLogs",
                                                    "resource_logs",
                                                    "scopeLogs",
                                                    "scope_logs",
                                                    "logRecords",
                                                    "log_records"};
  return otlp::json::decode_envelope(body, kNames, &out->resource_logs,
                                     &OtlpResourceLogs::scope_logs, &OtlpScopeLogs::log_records,
                                     parse_record);
}

Status decode_logs_json(std::string_view body, int64_t now_ms, const LogLimits& limits,
                        LogBatch* out, OtlpLogsResult* result) {
  if (body.size() > limits.max_request_bytes) {
    return Status::invalid_argument(
        fmt::format("request body is {} bytes: at most {} are allowed (limits.max_request_bytes)",
                    body.size(), limits.max_request_bytes));
  }
  ExportLogsRequest req;
  RETURN_IF_ERROR(parse_logs_request_json(body, &req));
  map_logs_to_batch(req, now_ms, limits, out, result);
  return OkStatus();
}

std::string encode_logs_response_json(const OtlpLogsResult& result) {
  return otlp::encode_partial_success_json("rejectedLogRecords", result.rejected_log_records,
                                           result.error_message);
}

}  // namespace opsight::ingest::logs

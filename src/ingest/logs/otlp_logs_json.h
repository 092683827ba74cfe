#pragma once
// OTLP/HTTP logs in JSON (POST /v1/logs, Content-Type application/json): the proto3 JSON form
// of ExportLogsServiceRequest per the OTLP specification "JSON Protobuf Encoding" (rules in
// ingest/otlp/otlp_json_common.h): lowerCamelCase or snake_case names, 64-bit integers as
// numbers or decimal strings, traceId / spanId as hex (not base64), unknown fields ignored.
// severityNumber is an integer or an enum name ("SEVERITY_NUMBER_WARN").
//
// A scalar of a log record that cannot be read as its type ("timeUnixNano": "soon", a traceId
// that is not hex) rejects that record only; anything else without the shape of the message
// (invalid JSON, an array where an object must be, a bad attribute) fails the request.
//
// Thread safety: pure functions (each call uses its own simdjson parser).

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/logs/otlp_logs_model.h"

namespace opsight::ingest::logs {

// Body (already gunzipped) -> model. Malformed payload -> InvalidArgument naming where.
Status parse_logs_request_json(std::string_view body, ExportLogsRequest* out);

// Body -> events (see otlp_logs_model.h). Malformed payload (or a body over
// limits.max_request_bytes) -> InvalidArgument and nothing is added to *out; otherwise
// per-record rejections are counted in *result and listed in out->errors.
Status decode_logs_json(std::string_view body, int64_t now_ms, const LogLimits& limits,
                        LogBatch* out, OtlpLogsResult* result);

// {"partialSuccess":{"rejectedLogRecords":"<n>","errorMessage":"..."}} (int64 as a string, as
// proto3 JSON writes it); "{}" for a full success.
std::string encode_logs_response_json(const OtlpLogsResult& result);

}  // namespace opsight::ingest::logs

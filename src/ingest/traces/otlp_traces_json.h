#pragma once
// OTLP/HTTP traces in JSON (POST /v1/traces, Content-Type application/json): the OTLP/JSON
// encoding (OTLP specification, specification/protocol/otlp.md "JSON Protobuf Encoding") of an
// ExportTraceServiceRequest: lowerCamelCase (or the original snake_case) field names, trace and
// span ids as hex strings (not base64), enums as integers or their names ("SPAN_KIND_SERVER",
// "STATUS_CODE_ERROR"), 64-bit integers as numbers or decimal strings. simdjson DOM.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/traces/otlp_traces_model.h"

namespace opsight::ingest::traces {

// Body -> model. Malformed JSON or a wrongly shaped envelope -> InvalidArgument naming where;
// a span whose scalar fields have the wrong type gets decode_error (rejected by the mapping).
Status parse_traces_request_json(std::string_view body, ExportTraceRequest* out);

// Body -> spans, as decode_traces_protobuf.
Status decode_traces_json(std::string_view body, const TraceLimits& limits, TraceBatch* out,
                          OtlpTracesResult* result);

// {"partialSuccess": {...}} or "{}" (a full success).
std::string encode_traces_response_json(const OtlpTracesResult& result);

}  // namespace opsight::ingest::traces

#pragma once
// OTLP/HTTP logs in binary protobuf (POST /v1/logs, Content-Type application/x-protobuf): the
// body is an ExportLogsServiceRequest (field numbers in otlp_logs_model.h), decoded with the
// hand-written wire::pb::Reader; AnyValue/KeyValue/Resource/scope with the shared OTLP decoders.
// Unknown fields are skipped; decoding is bounded by otlp::DecodeBudget.
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/logs/otlp_logs_model.h"

namespace opsight::ingest::logs {

// Body (already gunzipped) -> model. Malformed protobuf -> InvalidArgument naming where.
Status parse_logs_request_protobuf(std::string_view body, ExportLogsRequest* out);

// Body -> events (see otlp_logs_model.h). Malformed payload (or a body over
// limits.max_request_bytes) -> InvalidArgument and nothing is added to *out; otherwise
// per-record rejections are counted in *result and listed in out->errors.
Status decode_logs_protobuf(std::string_view body, int64_t now_ms, const LogLimits& limits,
                            LogBatch* out, OtlpLogsResult* result);

// ExportLogsServiceResponse; empty (a full success) when nothing was rejected and there is no
// message.
std::string encode_logs_response_protobuf(const OtlpLogsResult& result);

}  // namespace opsight::ingest::logs

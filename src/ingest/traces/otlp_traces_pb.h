#pragma once
// OTLP/HTTP traces in binary protobuf (POST /v1/traces, Content-Type application/x-protobuf):
// the body is an ExportTraceServiceRequest (field numbers in otlp_traces_model.h), decoded with
// the hand-written wire::pb::Reader straight into storage::Span (this is the hot ingest path; the
// JSON decoder goes through the ExportTraceRequest model instead), with the shared OTLP
// AnyValue/KeyValue/Resource/scope decoders. Unknown fields are skipped; decoding is bounded by
// otlp::DecodeBudget.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/traces/otlp_traces_model.h"

namespace opsight::ingest::traces {

// Body -> spans (see otlp_traces_model.h). A malformed payload (or a body over
// limits.max_request_bytes) -> InvalidArgument and nothing is added to *out; otherwise
// per-span rejections are counted in *result and listed in out->errors.
Status decode_traces_protobuf(std::string_view body, const TraceLimits& limits, TraceBatch* out,
                              OtlpTracesResult* result);

// ExportTraceServiceResponse; empty (a full success) when nothing was rejected.
std::string encode_traces_response_protobuf(const OtlpTracesResult& result);

}  // namespace opsight::ingest::traces

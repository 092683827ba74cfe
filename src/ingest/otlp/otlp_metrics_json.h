#pragma once
// OTLP/HTTP metrics in JSON (Content-Type application/json): the proto3 JSON form of
// ExportMetricsServiceRequest, per the OTLP specification "JSON Protobuf Encoding" (see
// otlp_json_common.h for the encoding rules accepted). Enums are read as integers, and also as
// their names ("AGGREGATION_TEMPORALITY_CUMULATIVE") for lenience.
//
// A scalar field of a data point that cannot be read as its type (e.g. "timeUnixNano": "soon",
// "asDouble": {}) rejects that point only; anything else that does not have the shape of the
// message (invalid JSON, an array where an object must be, a bad attribute) fails the request.
//
// Thread safety: pure functions (each call uses its own simdjson parser).

#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/metric_batch.h"
#include "ingest/otlp/otlp_metrics_model.h"
#include "ingest/otlp/otlp_to_series.h"

namespace opsight::ingest::otlp {

// Body (already gunzipped) -> model. Malformed payload -> InvalidArgument naming where.
Status parse_metrics_request_json(std::string_view body, ExportMetricsRequest* out);

// Body -> series (see otlp_to_series.h). Malformed payload -> InvalidArgument and nothing is
// added to *out. Otherwise per-point problems are counted in *result (partial_success) and
// listed in out->errors, and the valid points are in out.
Status decode_metrics_json(std::string_view body, MetricBatch* out, OtlpResult* result);

// {"partialSuccess":{"rejectedDataPoints":"<n>","errorMessage":"..."}} (int64 as a string, as
// proto3 JSON writes it); "{}" for a full success.
std::string encode_metrics_response_json(const OtlpResult& result);

}  // namespace opsight::ingest::otlp

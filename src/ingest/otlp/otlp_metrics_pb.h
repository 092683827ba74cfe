#pragma once
// OTLP/HTTP metrics in binary protobuf (Content-Type application/x-protobuf): the body of
// POST /v1/metrics is an ExportMetricsServiceRequest (opentelemetry-proto
// collector/metrics/v1/metrics_service.proto). Decoded with the hand-written wire::pb::Reader;
// field numbers are listed in otlp_metrics_model.h and otlp_common.h. Unknown fields are
// skipped, deprecated ones (int_gauge, int_sum, int_histogram, labels) ignored.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/metric_batch.h"
#include "ingest/otlp/otlp_metrics_model.h"
#include "ingest/otlp/otlp_to_series.h"

namespace opsight::ingest::otlp {

// Body (already gunzipped) -> model. Malformed protobuf -> InvalidArgument naming where.
Status parse_metrics_request_protobuf(std::string_view body, ExportMetricsRequest* out);

// Body -> series (see otlp_to_series.h). Malformed payload -> InvalidArgument and nothing is
// added to *out. Otherwise per-point problems are counted in *result (partial_success) and
// listed in out->errors, and the valid points are in out.
Status decode_metrics_protobuf(std::string_view body, MetricBatch* out, OtlpResult* result);

// ExportMetricsServiceResponse{ExportMetricsPartialSuccess partial_success = 1
//   {int64 rejected_data_points = 1; string error_message = 2;}}. Empty (a full success)
// when nothing was rejected and there is no message.
std::string encode_metrics_response_protobuf(const OtlpResult& result);

}  // namespace opsight::ingest::otlp

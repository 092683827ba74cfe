// Fuzz target: OTLP/HTTP protobuf metrics decoding and mapping (decode_metrics_protobuf).
// Any input must either fail with InvalidArgument and leave the batch empty, or decode with
// every rejected data point listed once in the batch errors.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/otlp/otlp_metrics_pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  MetricBatch batch;
  otlp::OtlpResult result;
  opsight::Status st = otlp::decode_metrics_protobuf(body, &batch, &result);
  if (!st.ok()) {
    if (st.code() != opsight::Code::kInvalidArgument || !batch.series.empty()) std::abort();
    return 0;
  }
  if (result.rejected_data_points != batch.errors.size()) std::abort();
  for (const auto& s : batch.series) {
    if (s.samples.empty() || s.labels.metric_name().empty()) std::abort();
  }
  (void)otlp::encode_metrics_response_protobuf(result);
  return 0;
}

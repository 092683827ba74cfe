// Fuzz target: OTLP logs decoding, protobuf and JSON (decode_logs_protobuf, decode_logs_json)
// on the same input. Each either fails with InvalidArgument and adds nothing, or lists every
// rejected record once; kept events have well-formed ids.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/logs/otlp_logs_json.h"
#include "ingest/logs/otlp_logs_pb.h"

namespace {

void check(opsight::Status st, const opsight::ingest::LogBatch& out,
           const opsight::ingest::logs::OtlpLogsResult& res) {
  if (!st.ok()) {
    if (st.code() != opsight::Code::kInvalidArgument || !out.streams.empty()) std::abort();
    return;
  }
  if (res.rejected_log_records != out.errors.size()) std::abort();
  for (const auto& s : out.streams) {
    if (s.group.empty() || s.stream.empty() || s.events.empty()) std::abort();
    for (const auto& e : s.events) {
      if (!e.trace_id.empty() && e.trace_id.size() != 32) std::abort();
      if (!e.span_id.empty() && e.span_id.size() != 16) std::abort();
      if (e.severity_number < 0 || e.severity_number > 24) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::ingest;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  LogLimits limits;
  limits.max_events_per_request = 1000;
  {
    LogBatch out;
    logs::OtlpLogsResult res;
    check(logs::decode_logs_protobuf(body, 1, limits, &out, &res), out, res);
    (void)logs::encode_logs_response_protobuf(res);
  }
  {
    LogBatch out;
    logs::OtlpLogsResult res;
    check(logs::decode_logs_json(body, 1, limits, &out, &res), out, res);
    (void)logs::encode_logs_response_json(res);
  }
  return 0;
}

// OTLP logs protobuf decoder. Messages: opentelemetry-proto logs/v1/logs.proto and
// collector/logs/v1/logs_service.proto; wire format: protobuf.dev/programming-guides/encoding.
#include "ingest/logs/otlp_logs_pb.h"

#include <fmt/format.h>

#include "ingest/otlp/otlp_pb_envelope.h"
#include "wire/protobuf.h"

namespace opsight::ingest::logs {
namespace {

using wire::pb::Reader;

Status parse_record(std::string_view data, const std::string& path, OtlpLogRecord* rec,
                    otlp::DecodeBudget* budget) {
  if (!budget->take()) return otlp::budget_exhausted_error();
  Reader r(data);
  while (r.next()) {
    switch (r.field()) {
      case 1:
        rec->time_unix_nano = r.fixed64();
        break;
      case 2:
        rec->severity_number = r.int32();
        break;
      case 3:
        rec->severity_text = std::string(r.bytes());
        break;
      case 5: {
        Status st = otlp::decode_any_value_pb(r.bytes(), &rec->body, budget);
        if (!st.ok()) return otlp::pb_malformed(path + ".body", st.message());
        break;
      }
      case 6: {
        otlp::KeyValue kv;
        Status st = otlp::decode_key_value_pb(r.bytes(), &kv, budget);
        if (!st.ok()) return otlp::pb_malformed(path + ".attributes", st.message());
        rec->attributes.push_back(std::move(kv));
        break;
      }
      case 7:
        rec->dropped_attributes_count = r.uint32();
        break;
      case 8:
        rec->flags = r.fixed32();
        break;
      case 9:
        rec->trace_id = std::string(r.bytes());
        break;
      case 10:
        rec->span_id = std::string(r.bytes());
        break;
      case 11:
        rec->observed_time_unix_nano = r.fixed64();
        break;
      case 12:
        rec->event_name = std::string(r.bytes());
        break;
      default:
        break;
    }
  }
  return otlp::pb_check(r, path);
}

}  // namespace

Status parse_logs_request_protobuf(std::string_view body, ExportLogsRequest* out) {
  static constexpr otlp::PbEnvelopeNames kNames{"ExportLogsServiceRequest", "resource_logs",
                                                "scope_logs", "log_records"};
  return otlp::decode_envelope_pb(body, kNames, &out->resource_logs, &OtlpResourceLogs::scope_logs,
                                  &OtlpScopeLogs::log_records, parse_record);
}

Status decode_logs_protobuf(std::string_view body, int64_t now_ms, const LogLimits& limits,
                            LogBatch* out, OtlpLogsResult* result) {
  if (body.size() > limits.max_request_bytes) {
    return Status::invalid_argument(
        fmt::format("request body is {} bytes: at most {} are allowed (limits.max_request_bytes)",
                    body.size(), limits.max_request_bytes));
  }
  ExportLogsRequest req;
  RETURN_IF_ERROR(parse_logs_request_protobuf(body, &req));
  map_logs_to_batch(req, now_ms, limits, out, result);
  return OkStatus();
}

std::string encode_logs_response_protobuf(const OtlpLogsResult& result) {
  return otlp::encode_partial_success_pb(result.rejected_log_records, result.error_message);
}

}  // namespace opsight::ingest::logs

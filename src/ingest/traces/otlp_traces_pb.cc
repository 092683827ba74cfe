// OTLP traces protobuf decoder. Messages: opentelemetry-proto trace/v1/trace.proto and
// collector/trace/v1/trace_service.proto; wire format: protobuf.dev/programming-guides/encoding.
#include "ingest/traces/otlp_traces_pb.h"

#include <fmt/format.h>

#include "ingest/otlp/otlp_pb_envelope.h"
#include "wire/protobuf.h"

namespace opsight::ingest::traces {
namespace {

using wire::pb::Reader;

// One KeyValue of `path`'s attributes; the error path "<path>.attributes" is built only on error
// (this runs for every attribute of every span).
Status parse_attribute(Reader& r, const std::string& path, std::vector<otlp::KeyValue>* out,
                       otlp::DecodeBudget* budget) {
  otlp::KeyValue kv;
  Status st = otlp::decode_key_value_pb(r.bytes(), &kv, budget);
  if (!st.ok()) return otlp::pb_malformed(path + ".attributes", st.message());
  out->push_back(std::move(kv));
  return OkStatus();
}

Status parse_event(std::string_view data, const std::string& path, OtlpSpanEvent* e,
                   otlp::DecodeBudget* budget) {
  if (!budget->take()) return otlp::budget_exhausted_error();
  Reader r(data);
  while (r.next()) {
    switch (r.field()) {
      case 1:
        e->time_unix_nano = r.fixed64();
        break;
      case 2:
        e->name = std::string(r.bytes());
        break;
      case 3:
        RETURN_IF_ERROR(parse_attribute(r, path, &e->attributes, budget));
        break;
      case 4:
        e->dropped_attributes_count = r.uint32();
        break;
      default:
        break;
    }
  }
  return otlp::pb_check(r, path);
}

Status parse_link(std::string_view data, const std::string& path, OtlpSpanLink* l,
                  otlp::DecodeBudget* budget) {
  if (!budget->take()) return otlp::budget_exhausted_error();
  Reader r(data);
  while (r.next()) {
    switch (r.field()) {
      case 1:
        l->trace_id = std::string(r.bytes());
        break;
      case 2:
        l->span_id = std::string(r.bytes());
        break;
      case 3:
        l->trace_state = std::string(r.bytes());
        break;
      case 4:
        RETURN_IF_ERROR(parse_attribute(r, path, &l->attributes, budget));
        break;
      case 5:
        l->dropped_attributes_count = r.uint32();
        break;
      case 6:
        l->flags = r.fixed32();
        break;
      default:
        break;
    }
  }
  return otlp::pb_check(r, path);
}

Status parse_status(std::string_view data, const std::string& path, OtlpSpan* s) {
  Reader r(data);
  while (r.next()) {
    if (r.field() == 2) {
      s->status_message = std::string(r.bytes());
    } else if (r.field() == 3) {
      s->status_code = r.int32();
    }
  }
  return otlp::pb_check(r, path);
}

Status parse_span(std::string_view data, const std::string& path, OtlpSpan* s,
                  otlp::DecodeBudget* budget) {
  if (!budget->take()) return otlp::budget_exhausted_error();
  Reader r(data);
  while (r.next()) {
    switch (r.field()) {
      case 1:
        s->trace_id = std::string(r.bytes());
        break;
      case 2:
        s->span_id = std::string(r.bytes());
        break;
      case 3:
        s->trace_state = std::string(r.bytes());
        break;
      case 4:
        s->parent_span_id = std::string(r.bytes());
        break;
      case 5:
        s->name = std::string(r.bytes());
        break;
      case 6:
        s->kind = r.int32();
        break;
      case 7:
        s->start_time_unix_nano = r.fixed64();
        break;
      case 8:
        s->end_time_unix_nano = r.fixed64();
        break;
      case 9:
        RETURN_IF_ERROR(parse_attribute(r, path, &s->attributes, budget));
        break;
      case 10:
        s->dropped_attributes_count = r.uint32();
        break;
      case 11: {
        std::string p = fmt::format("{}.events[{}]", path, s->events.size());
        RETURN_IF_ERROR(parse_event(r.bytes(), p, &s->events.emplace_back(), budget));
        break;
      }
      case 12:
        s->dropped_events_count = r.uint32();
        break;
      case 13: {
        std::string p = fmt::format("{}.links[{}]", path, s->links.size());
        RETURN_IF_ERROR(parse_link(r.bytes(), p, &s->links.emplace_back(), budget));
        break;
      }
      case 14:
        s->dropped_links_count = r.uint32();
        break;
      case 15:
        RETURN_IF_ERROR(parse_status(r.bytes(), path + ".status", s));
        break;
      case 16:
        s->flags = r.fixed32();
        break;
      default:
        break;
    }
  }
  return otlp::pb_check(r, path);
}

}  // namespace

Status parse_traces_request_protobuf(std::string_view body, ExportTraceRequest* out) {
  static constexpr otlp::PbEnvelopeNames kNames{"ExportTraceServiceRequest", "resource_spans",
                                                "scope_spans", "spans"};
  return otlp::decode_envelope_pb(body, kNames, &out->resource_spans,
                                  &OtlpResourceSpans::scope_spans, &OtlpScopeSpans::spans,
                                  parse_span);
}

Status decode_traces_protobuf(std::string_view body, const TraceLimits& limits, TraceBatch* out,
                              OtlpTracesResult* result) {
  if (body.size() > limits.max_request_bytes) {
    return Status::invalid_argument(fmt::format(
        "request body is {} bytes: at most {} are allowed (limits.traces.max_request_bytes)",
        body.size(), limits.max_request_bytes));
  }
  ExportTraceRequest req;
  RETURN_IF_ERROR(parse_traces_request_protobuf(body, &req));
  map_traces_to_batch(req, limits, out, result);
  return OkStatus();
}

std::string encode_traces_response_protobuf(const OtlpTracesResult& result) {
  return otlp::encode_partial_success_pb(result.rejected_spans, result.error_message);
}

}  // namespace opsight::ingest::traces

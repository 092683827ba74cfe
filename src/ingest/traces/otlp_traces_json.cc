// OTLP traces JSON decoder: OTLP specification, specification/protocol/otlp.md "JSON Protobuf
// Encoding", over the messages of opentelemetry-proto trace/v1/trace.proto. simdjson DOM.
#include "ingest/traces/otlp_traces_json.h"

#include <fmt/format.h>

#include "common/json_writer.h"
#include "ingest/otlp/otlp_json_common.h"

namespace opsight::ingest::traces {
namespace {

namespace json = otlp::json;
using json::Element;
using json::is_field;
using json::is_null;
using simdjson::dom::object;

void set_error(std::string* err, std::string_view field, std::string_view want, Element v) {
  if (err->empty()) *err = fmt::format("{}: expected {}, got {}", field, want, json::kind_name(v));
}

// An enum as an integer or one of its names (names[i] is the value i).
bool read_enum(Element v, std::span<const std::string_view> names, int32_t* out) {
  if (json::to_int32(v, out)) return true;
  std::string_view s;
  if (!json::to_string(v, &s)) return false;
  for (size_t i = 0; i < names.size(); i++) {
    if (s == names[i]) {
      *out = static_cast<int32_t>(i);
      return true;
    }
  }
  return false;
}

constexpr std::string_view kKinds[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                       "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                       "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
constexpr std::string_view kStatusCodes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                             "STATUS_CODE_ERROR"};

// A hex id of `bytes` bytes ("" stays empty); a bad one sets *err.
void read_id(Element v, std::string_view field, size_t bytes, std::string* err, std::string* out) {
  std::string_view s;
  if (!json::to_string(v, &s)) return set_error(err, field, "a hex string", v);
  if (s.empty()) return;
  if (s.size() != bytes * 2 || !otlp::hex_decode(s, out)) {
    out->clear();
    if (err->empty()) {
      *err =
          fmt::format("{} must be {} hex digits (got \"{}\")", field, bytes * 2, s.substr(0, 64));
    }
  }
}

void read_string(Element v, std::string_view field, std::string* err, std::string* out) {
  std::string_view s;
  if (!json::to_string(v, &s)) return set_error(err, field, "a string", v);
  *out = std::string(s);
}

void read_u32(Element v, std::string_view field, std::string* err, uint32_t* out) {
  if (!json::to_uint32(v, out)) set_error(err, field, "a uint32", v);
}

void read_u64(Element v, std::string_view field, std::string* err, uint64_t* out) {
  if (!json::to_uint64(v, out)) set_error(err, field, "a uint64", v);
}

Status parse_event(Element e, const std::string& path, OtlpSpanEvent* ev, std::string* err,
                   otlp::DecodeBudget* budget) {
  if (!budget->take()) return otlp::budget_exhausted_error();
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    if (is_field(f.key, "timeUnixNano", "time_unix_nano")) {
      read_u64(f.value, "events.timeUnixNano", err, &ev->time_unix_nano);
    } else if (f.key == "name") {
      read_string(f.value, "events.name", err, &ev->name);
    } else if (f.key == "attributes") {
      RETURN_IF_ERROR(
          json::decode_key_values(f.value, path + ".attributes", &ev->attributes, budget));
    } else if (is_field(f.key, "droppedAttributesCount", "dropped_attributes_count")) {
      read_u32(f.value, "events.droppedAttributesCount", err, &ev->dropped_attributes_count);
    }
  }
  return OkStatus();
}

Status parse_link(Element e, const std::string& path, OtlpSpanLink* l, std::string* err,
                  otlp::DecodeBudget* budget) {
  if (!budget->take()) return otlp::budget_exhausted_error();
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    if (is_field(f.key, "traceId", "trace_id")) {
      read_id(f.value, "links.traceId", 16, err, &l->trace_id);
    } else if (is_field(f.key, "spanId", "span_id")) {
      read_id(f.value, "links.spanId", 8, err, &l->span_id);
    } else if (is_field(f.key, "traceState", "trace_state")) {
      read_string(f.value, "links.traceState", err, &l->trace_state);
    } else if (f.key == "attributes") {
      RETURN_IF_ERROR(
          json::decode_key_values(f.value, path + ".attributes", &l->attributes, budget));
    } else if (is_field(f.key, "droppedAttributesCount", "dropped_attributes_count")) {
      read_u32(f.value, "links.droppedAttributesCount", err, &l->dropped_attributes_count);
    } else if (f.key == "flags") {
      read_u32(f.value, "links.flags", err, &l->flags);
    }
  }
  return OkStatus();
}

// Calls fn(element, path) for each element of the array `e` at `path`.
template <typename Fn>
Status each(Element e, const std::string& path, Fn&& fn) {
  simdjson::dom::array arr;
  RETURN_IF_ERROR(json::as_array(e, path, &arr));
  size_t i = 0;
  for (Element x : arr) RETURN_IF_ERROR(fn(x, path + "[" + std::to_string(i++) + "]"));
  return OkStatus();
}

Status parse_span(Element e, const std::string& path, OtlpSpan* s, otlp::DecodeBudget* budget) {
  if (!budget->take()) return otlp::budget_exhausted_error();
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  std::string* err = &s->decode_error;
  for (auto f : obj) {
    std::string_view key = f.key;
    Element v = f.value;
    if (is_null(v)) continue;
    if (is_field(key, "traceId", "trace_id")) {
      read_id(v, "traceId", 16, err, &s->trace_id);
    } else if (is_field(key, "spanId", "span_id")) {
      read_id(v, "spanId", 8, err, &s->span_id);
    } else if (is_field(key, "parentSpanId", "parent_span_id")) {
      read_id(v, "parentSpanId", 8, err, &s->parent_span_id);
    } else if (is_field(key, "traceState", "trace_state")) {
      read_string(v, "traceState", err, &s->trace_state);
    } else if (key == "flags") {
      read_u32(v, "flags", err, &s->flags);
    } else if (key == "name") {
      read_string(v, "name", err, &s->name);
    } else if (key == "kind") {
      if (!read_enum(v, kKinds, &s->kind)) {
        set_error(err, "kind", "an integer or a SpanKind name", v);
      }
    } else if (is_field(key, "startTimeUnixNano", "start_time_unix_nano")) {
      read_u64(v, "startTimeUnixNano", err, &s->start_time_unix_nano);
    } else if (is_field(key, "endTimeUnixNano", "end_time_unix_nano")) {
      read_u64(v, "endTimeUnixNano", err, &s->end_time_unix_nano);
    } else if (key == "attributes") {
      RETURN_IF_ERROR(json::decode_key_values(v, path + ".attributes", &s->attributes, budget));
    } else if (is_field(key, "droppedAttributesCount", "dropped_attributes_count")) {
      read_u32(v, "droppedAttributesCount", err, &s->dropped_attributes_count);
    } else if (key == "events") {
      RETURN_IF_ERROR(each(v, path + ".events", [&](Element x, const std::string& p) {
        return parse_event(x, p, &s->events.emplace_back(), err, budget);
      }));
    } else if (is_field(key, "droppedEventsCount", "dropped_events_count")) {
      read_u32(v, "droppedEventsCount", err, &s->dropped_events_count);
    } else if (key == "links") {
      RETURN_IF_ERROR(each(v, path + ".links", [&](Element x, const std::string& p) {
        return parse_link(x, p, &s->links.emplace_back(), err, budget);
      }));
    } else if (is_field(key, "droppedLinksCount", "dropped_links_count")) {
      read_u32(v, "droppedLinksCount", err, &s->dropped_links_count);
    } else if (key == "status") {
      object st;
      RETURN_IF_ERROR(json::as_object(v, path + ".status", &st));
      for (auto g : st) {
        if (is_null(g.value)) continue;
        if (g.key == "message") {
          read_string(g.value, "status.message", err, &s->status_message);
        } else if (g.key == "code") {
          if (!read_enum(g.value, kStatusCodes, &s->status_code)) {
            set_error(err, "status.code", "an integer or a StatusCode name", g.value);
          }
        }
      }
    }
  }
  return OkStatus();
}

}  // namespace

Status parse_traces_request_json(std::string_view body, ExportTraceRequest* out) {
  static constexpr otlp::json::EnvelopeNames kNames{"ExportTraceServiceRequest",
                                                    "resourceSpans",
                                                    "resource_spans",
                                                    "scopeSpans",
                                                    "scope_spans",
                                                    "spans",
                                                    "spans"};
  return otlp::json::decode_envelope(body, kNames, &out->resource_spans,
                                     &OtlpResourceSpans::scope_spans, &OtlpScopeSpans::spans,
                                     parse_span);
}

Status decode_traces_json(std::string_view body, const TraceLimits& limits, TraceBatch* out,
                          OtlpTracesResult* result) {
  if (body.size() > limits.max_request_bytes) {
    return Status::invalid_argument(fmt::format(
        "request body is {} bytes: at most {} are allowed (limits.traces.max_request_bytes)",
        body.size(), limits.max_request_bytes));
  }
  ExportTraceRequest req;
  RETURN_IF_ERROR(parse_traces_request_json(body, &req));
  map_traces_to_batch(req, limits, out, result);
  return OkStatus();
}

std::string encode_traces_response_json(const OtlpTracesResult& result) {
  return otlp::encode_partial_success_json("rejectedSpans", result.rejected_spans,
                                           result.error_message);
}

}  // namespace opsight::ingest::traces

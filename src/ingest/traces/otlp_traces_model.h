#pragma once
// OTLP traces (opentelemetry-proto trace/v1/trace.proto, collector/trace/v1/trace_service.proto):
// the decoded request model shared by the protobuf and JSON decoders, the request limits, and
// the mapping onto storage::Span (documented in docs/traces.md).
//
// Field numbers (verified against opentelemetry-proto trace/v1/trace.proto):
//   ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
//   ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2;
//                   string schema_url = 3; }
//   ScopeSpans    { InstrumentationScope scope = 1; repeated Span spans = 2;
//                   string schema_url = 3; }
//   Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
//          bytes parent_span_id = 4; fixed32 flags = 16; string name = 5; SpanKind kind = 6;
//          fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
//          repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
//          repeated Event events = 11; uint32 dropped_events_count = 12;
//          repeated Link links = 13; uint32 dropped_links_count = 14; Status status = 15; }
//   Span.Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3;
//                uint32 dropped_attributes_count = 4; }
//   Span.Link  { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
//                repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5;
//                fixed32 flags = 6; }
//   Status { string message = 2; StatusCode code = 3; }   (1 is reserved)
//   ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
//   ExportTracePartialSuccess  { int64 rejected_spans = 1; string error_message = 2; }
//
// Mapping (one storage::Span per OTLP span): ids as raw bytes; an all-zero parent_span_id is a
// root; service = the resource's service.name (a string), else "unknown_service"; resource,
// span, event and link attributes keep their AnyValue type (storage::AttrType) with
// otlp::any_value_to_string as the text; span and resource attributes are indexed; scope name
// and version are kept; origin is kOtlp.
// A span is rejected (counted in rejected_spans, one ItemError naming
// "resource_spans[i].scope_spans[j].spans[k]" and the rule) when it breaks storage::check_span
// (ids of the wrong length or all zero, end before start, a start of 0, kind or status code out
// of range), a JSON field has the wrong type, or it exceeds TraceLimits; spans beyond
// max_spans_per_request are rejected too. The good spans of the request are kept.
//
// Thread safety: plain values and pure functions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ingest/metric_batch.h"  // ItemError
#include "ingest/otlp/otlp_common.h"
#include "storage/trace_store.h"

namespace opsight::ingest::traces {

struct OtlpSpanEvent {
  uint64_t time_unix_nano = 0;
  std::string name;
  std::vector<otlp::KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
};

struct OtlpSpanLink {
  std::string trace_id;  // raw bytes (protobuf) / decoded hex (JSON)
  std::string span_id;
  std::string trace_state;
  std::vector<otlp::KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
};

struct OtlpSpan {
  std::string trace_id;  // raw bytes (protobuf) / decoded hex (JSON)
  std::string span_id;
  std::string trace_state;
  std::string parent_span_id;
  uint32_t flags = 0;
  std::string name;
  int32_t kind = 0;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  std::vector<otlp::KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  std::vector<OtlpSpanEvent> events;
  uint32_t dropped_events_count = 0;
  std::vector<OtlpSpanLink> links;
  uint32_t dropped_links_count = 0;
  std::string status_message;
  int32_t status_code = 0;
  // JSON only: a field that could not be read as its type ("kind": "sideways"); the span is
  // then rejected with this rule.
  std::string decode_error;
};

struct OtlpScopeSpans {
  otlp::InstrumentationScope scope;
  std::vector<OtlpSpan> spans;
};

struct OtlpResourceSpans {
  otlp::Resource resource;
  std::vector<OtlpScopeSpans> scope_spans;
};

struct ExportTraceRequest {
  std::vector<OtlpResourceSpans> resource_spans;
};

// Request limits for trace ingest (config `traces: limits:`).
struct TraceLimits {
  uint64_t max_request_bytes = 64ull << 20;  // decoded (decompressed) body
  size_t max_spans_per_request = 100'000;
  size_t max_attributes_per_span = 128;    // span attributes; also per event and per link
  size_t max_attribute_bytes = 64 * 1024;  // key + value text of one attribute
  size_t max_events_per_span = 128;
  size_t max_links_per_span = 128;
  size_t max_name_bytes = 1024;  // span and event names
};

// Decoded spans ready for a TraceAppender, and the rejected ones.
struct TraceBatch {
  std::vector<storage::Span> spans;
  std::vector<ItemError> errors;
};

// The ExportTracePartialSuccess of a request.
struct OtlpTracesResult {
  uint64_t rejected_spans = 0;
  std::string error_message;  // summarises the first few rejections
};

// Appends the spans of `req` to *out (see the mapping above).
void map_traces_to_batch(const ExportTraceRequest& req, const TraceLimits& limits, TraceBatch* out,
                         OtlpTracesResult* result);

// The storage attribute of an OTLP KeyValue (type, text; indexed as given).
storage::SpanAttribute to_span_attribute(const otlp::KeyValue& kv, bool indexed);
storage::SpanAttribute to_span_attribute(otlp::KeyValue&& kv, bool indexed);

// What every span of one ResourceSpans shares: service, resource attributes, and the rule the
// resource breaks ("" when none; then every span of the resource is rejected with it).
struct ResourceContext {
  std::string service;
  std::vector<storage::SpanAttribute> resource_attributes;
  std::string rule;
};
ResourceContext resource_context(std::vector<otlp::KeyValue> attributes, const TraceLimits& limits);

// Fills the resource and scope fields of a decoded span (origin kOtlp).
void set_span_context(const ResourceContext& ctx, const otlp::InstrumentationScope& scope,
                      storage::Span* span);

// "" or the rule a mapped span breaks: the per-span limits (names, attribute counts and sizes,
// events, links) and storage::check_span. Raw fields that do not fit their storage type (kind,
// status code, times beyond int64) are checked by the decoders before mapping.
std::string check_span_limits(const storage::Span& span, const TraceLimits& limits);

// The rule for a span beyond limits.max_spans_per_request.
std::string too_many_spans_rule(const TraceLimits& limits);

// Per-span rejections of one request: each one is listed in TraceBatch::errors and counted in
// OtlpTracesResult::rejected_spans; finish() writes the partial-success error_message (the
// count and the first few rejections).
class RejectionLog {
 public:
  RejectionLog(TraceBatch* out, OtlpTracesResult* result) : out_(out), result_(result) {}
  void reject(std::string item, std::string rule);
  void finish();

 private:
  TraceBatch* out_;
  OtlpTracesResult* result_;
  std::vector<std::string> summary_;
};

}  // namespace opsight::ingest::traces

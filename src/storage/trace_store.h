#pragma once
// The storage contract for traces (the counterpart of metric_store.h and log_store.h): OTLP and
// X-Ray ingest, trace-by-id, trace search, the service map and span metrics use only these
// types, so the embedded engine (tracestore) and a ClickHouse backend are interchangeable.
//
// Model (OpenTelemetry trace data model, opentelemetry-proto trace/v1/trace.proto; X-Ray
// segment documents map onto the same Span): a tenant (account, region) owns spans; a trace is
// every span with one trace id. A span is identified by (trace_id, span_id).
//
// Invariants of a stored span (the appender refuses anything else with InvalidArgument naming
// the span and the rule):
//   - trace_id is 16 bytes and span_id 8 bytes, neither all zero; parent_span_id is empty (a
//     root) or 8 bytes; link ids are 16 and 8 bytes;
//   - 0 < start_ns <= end_ns;
//   - kind, status code and origin are values of their enums.
// Appending a span whose (trace_id, span_id) is already stored does not overwrite it: both are
// kept. get_trace returns only the last appended version of each span id (so an X-Ray
// in_progress segment is replaced by its completed form); a scan may return both.
//
// Retention is per tenant in days (default kDefaultTraceRetentionDays, which is also X-Ray's
// fixed retention); spans whose start is older than the retention are never returned and are
// deleted (in whole blocks) later.
//
// Thread safety: TraceStore is thread-safe. A TraceAppender or TraceScanner is used by one thread
// at a time and must not outlive its store.

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"  // Tenant

namespace opsight::storage {

inline constexpr int kDefaultTraceRetentionDays = 30;
inline constexpr int kMaxTraceRetentionDays = 3653;
inline constexpr size_t kTraceIdBytes = 16;
inline constexpr size_t kSpanIdBytes = 8;

// OTLP Span.SpanKind.
enum class SpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};
inline constexpr uint8_t kMaxSpanKind = 5;

// OTLP Status.StatusCode.
enum class SpanStatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };
inline constexpr uint8_t kMaxSpanStatusCode = 2;

// Where a span came from. X-Ray spans keep the segment fields the X-Ray API gives back
// (annotations, metadata, http, error/fault/throttle, cause) as attributes.
enum class SpanOrigin : uint8_t { kOtlp = 0, kXray = 1 };
inline constexpr uint8_t kMaxSpanOrigin = 1;

// The type of an attribute value (OTLP AnyValue). Arrays and key-value lists are kept as their
// JSON text (otlp::any_value_to_string) with type kJson.
enum class AttrType : uint8_t {
  kString = 0,
  kBool = 1,    // "true" / "false"
  kInt = 2,     // decimal text of an int64
  kDouble = 3,  // shortest round-trip text
  kBytes = 4,   // base64 (RFC 4648) of the bytes
  kJson = 5,    // an array or key-value list as JSON text
};
inline constexpr uint8_t kMaxAttrType = 5;

// One attribute. `indexed` attributes can be searched (SpanScan::attributes) and feed the block
// filters: every OTLP span and resource attribute, and X-Ray annotations. X-Ray metadata is
// stored with indexed = false (kept and returned, never searched). HTTP facts use the OTel
// semantic-convention keys as plain attributes (http.request.method, url.full,
// http.response.status_code, ...), whatever the origin.
struct SpanAttribute {
  std::string key;
  std::string value;  // text form, see AttrType
  AttrType type = AttrType::kString;
  bool indexed = true;
  bool operator==(const SpanAttribute&) const = default;
};

struct SpanEvent {
  int64_t time_ns = 0;
  std::string name;
  std::vector<SpanAttribute> attributes;  // not indexed (the flag is kept as given)
  uint32_t dropped_attributes_count = 0;
  bool operator==(const SpanEvent&) const = default;
};

struct SpanLink {
  std::string trace_id;  // 16 bytes
  std::string span_id;   // 8 bytes
  std::string trace_state;
  uint32_t flags = 0;
  std::vector<SpanAttribute> attributes;
  uint32_t dropped_attributes_count = 0;
  bool operator==(const SpanLink&) const = default;
};

struct Span {
  Tenant tenant;               // filled by reads; an appender writes for its own tenant
  std::string trace_id;        // 16 raw bytes
  std::string span_id;         // 8 raw bytes
  std::string parent_span_id;  // 8 raw bytes, or empty for a root span
  std::string trace_state;     // W3C tracestate
  uint32_t flags = 0;          // OTLP Span.flags (W3C trace flags in the low 8 bits)
  std::string service;         // resource attribute service.name ("unknown_service" when none)
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  int64_t start_ns = 0;  // Unix ns
  int64_t end_ns = 0;
  SpanStatusCode status_code = SpanStatusCode::kUnset;
  std::string status_message;
  SpanOrigin origin = SpanOrigin::kOtlp;
  std::string scope_name;  // instrumentation scope
  std::string scope_version;
  std::vector<SpanAttribute> resource_attributes;  // including service.name
  std::vector<SpanAttribute> attributes;
  std::vector<SpanEvent> events;
  std::vector<SpanLink> links;
  uint32_t dropped_attributes_count = 0;
  uint32_t dropped_events_count = 0;
  uint32_t dropped_links_count = 0;

  int64_t duration_ns() const { return end_ns - start_ns; }
  bool operator==(const Span&) const = default;
};

// "" when `span` satisfies the invariants above, else the rule it breaks ("span_id is 7 bytes:
// it must be 8"). Shared by the store and the decoders, so both say the same thing.
std::string check_span(const Span& span);

class TraceAppender {
 public:
  virtual ~TraceAppender() = default;
  // Stages spans (any order, any traces). InvalidArgument naming the first bad span (by its
  // index in `spans`) stages nothing of this call.
  virtual Status append(std::span<const Span> spans) = 0;
  // The same, taking the spans over (no copy when the engine keeps Span objects); `spans` is
  // left empty on success and unchanged on error.
  virtual Status append(std::vector<Span>&& spans) {
    RETURN_IF_ERROR(append(std::span<const Span>(spans)));
    spans.clear();
    return OkStatus();
  }
  // Makes everything staged durable (per the WAL policy) and visible; an HTTP 2xx may be sent
  // after an ok commit(). ResourceExhausted when the store is overloaded (retry later).
  virtual Status commit() = 0;
  virtual void rollback() = 0;
};

// Equality on an indexed span or resource attribute, on its text form.
struct AttributeFilter {
  std::string key;
  std::string value;
};

// What to scan: spans whose start is in [start_ns, end_ns) and that match every filter given.
struct SpanScan {
  std::vector<Tenant> tenants;                                    // at least one
  int64_t start_ns = 0;                                           // inclusive
  int64_t end_ns = 0;                                             // exclusive
  std::vector<std::string> services;                              // any of; empty = all
  std::vector<std::string> names;                                 // any of; empty = all
  int64_t min_duration_ns = 0;                                    // inclusive
  int64_t max_duration_ns = std::numeric_limits<int64_t>::max();  // inclusive
  std::vector<SpanStatusCode> statuses;                           // any of; empty = all
  std::vector<AttributeFilter> attributes;                        // all must match
  size_t limit = 0;  // spans returned at most; 0 = no limit
};

struct TraceScanStats {
  uint64_t spans_scanned = 0;  // spans looked at (after block skipping)
  uint64_t spans_matched = 0;
  uint64_t blocks_read = 0;
  uint64_t blocks_skipped = 0;  // by time range, services, names, status, duration, attributes
  uint64_t bytes_read = 0;      // compressed bytes read from blocks
};

// Streams the matching spans, in no particular order (blocks and head chunks one after another;
// within a block, grouped by trace).
class TraceScanner {
 public:
  virtual ~TraceScanner() = default;
  // Fills *span with the next match; false at the end. A non-ok status ends the scan.
  virtual Result<bool> next(Span* span) = 0;
  virtual TraceScanStats stats() const = 0;
};

struct TraceStoreStats {
  uint64_t head_spans = 0;
  uint64_t head_bytes = 0;  // approximate memory of the in-memory head
  uint64_t blocks = 0;
  uint64_t block_spans = 0;
  uint64_t block_bytes = 0;  // bytes of block files on disk
};

class TraceStore {
 public:
  virtual ~TraceStore() = default;

  virtual std::unique_ptr<TraceAppender> appender(const Tenant& tenant) = 0;
  // Every stored span of the trace (16-byte id), sorted by start time (then span id); empty
  // when the trace is unknown. Fast at any age (an index from trace id to blocks).
  virtual Result<std::vector<Span>> get_trace(const Tenant& tenant, std::string_view trace_id) = 0;
  virtual Result<std::unique_ptr<TraceScanner>> scan(const SpanScan& scan) = 0;

  // Retention of a tenant's spans in days (1..kMaxTraceRetentionDays), durable.
  virtual Status put_retention(const Tenant& tenant, int days) = 0;
  virtual int retention_days(const Tenant& tenant) const = 0;

  virtual TraceStoreStats stats() const = 0;
  virtual Status close() = 0;
};

}  // namespace opsight::storage

#pragma once
// Evaluation of a filter expression on one whole trace, as X-Ray evaluates it.
//
// Design. A TraceView indexes the spans of one trace once: the root (the span without a parent
// in the trace that starts first: X-Ray's "frontend segment"), the trace's start and end, each
// span's HTTP status and error/throttle/fault class (apm/span_facts.h), and the calls between
// nodes of the service graph:
//   - a span whose parent is in another service is a call parent.service -> span.service;
//   - a client or producer span with no child in another service, whose attributes name a peer
//     (apm::infer_peer), is a call span.service -> the inferred peer (database, queue, remote).
// Predicates are then evaluated in a context:
//   - trace level (the top of the expression): ok/error/throttle/fault, http.*, name and
//     responsetime are the root span's; duration is the trace's (last end - first start) and
//     partial says a span's parent is missing; user and annotation.* are true when any span of
//     the trace satisfies them;
//   - inside service(x) { f }: f is evaluated on each span of service x (and, for an inferred
//     peer x, on the client spans calling it); true when any is;
//   - inside edge(a, b) { f }: f is evaluated on each call a -> b, with the callee's span as the
//     subject (the caller's span for an inferred peer) and responsetime the caller's duration
//     when the caller is a client/producer span.
// Numbers and strings absent from the subject make every comparison false (also !=).
// Node types for id(type: ...): "service" for spans' services, "database" / "queue" / "remote"
// for inferred peers (apm/span_facts.h).
//
// Thread safety: a TraceView is immutable after construction; evaluate() is a pure function.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apm/span_facts.h"
#include "query/tracefilter/ast.h"
#include "storage/trace_store.h"

namespace opsight::query::tracefilter {

// X-Ray annotations are stored as indexed attributes "annotation.<key>" (ingest/aws/
// xray_segment.h); an OTel span's indexed attributes are its annotations. `annotation.k` matches
// an indexed span or resource attribute named "k" or "annotation.k".
inline constexpr std::string_view kAnnotationPrefix = "annotation.";

// True when the attribute key `key` is the annotation `name` (see above).
bool is_annotation_key(std::string_view key, std::string_view name);

// One call between two nodes of the service graph within a trace.
struct Call {
  size_t caller = 0;      // span index
  int64_t callee = -1;    // span index, or -1 for an inferred peer
  std::string peer_name;  // the callee node: its service, or the inferred peer
  std::string_view peer_type;
};

class TraceView {
 public:
  // `spans` must outlive the view; spans of one trace, any order, at least one. A span id that
  // appears twice (an X-Ray in_progress segment and its completed form) counts once: the one
  // that ends last.
  explicit TraceView(std::span<const storage::Span> spans);

  std::span<const storage::Span> spans() const { return spans_; }
  // Indexes into spans() of the spans that count (duplicates removed).
  const std::vector<size_t>& live() const { return live_; }
  size_t root() const { return root_; }
  int64_t start_ns() const { return start_ns_; }
  int64_t end_ns() const { return end_ns_; }
  bool partial() const { return partial_; }
  int status(size_t i) const { return status_[i]; }
  const apm::SpanClass& cls(size_t i) const { return class_[i]; }
  const std::vector<Call>& calls() const { return calls_; }

 private:
  std::span<const storage::Span> spans_;
  std::vector<size_t> live_;
  size_t root_ = 0;
  int64_t start_ns_ = 0, end_ns_ = 0;
  bool partial_ = false;
  std::vector<int> status_;
  std::vector<apm::SpanClass> class_;
  std::vector<Call> calls_;
};

// True when the trace satisfies the filter (an empty filter matches every trace).
bool evaluate(const Filter& filter, const TraceView& trace);

}  // namespace opsight::query::tracefilter

#pragma once
// Trace search: the traces of a time range that satisfy a filter expression, as summaries (the
// X-Ray GetTraceSummaries idea: one row per trace with its id, timing, flags, HTTP request,
// annotations and services).
//
// Execution: parse -> plan (plan.h: one span requirement pushed into a storage::SpanScan over
// [start, end)) -> scan, collecting the distinct trace ids of matching spans (at most
// max_candidates) -> newest first (by the earliest span start seen) -> get_trace and evaluate
// (eval.h) each until `limit` traces matched, max_traces were evaluated or the deadline passed.
// The result says whether the search was complete, and what it scanned.
//
// Thread safety: search_traces may run on several threads at once (the store is thread-safe).

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/trace_store.h"

namespace opsight::query::tracefilter {

inline constexpr size_t kDefaultSearchLimit = 100;
inline constexpr size_t kMaxSearchLimit = 1000;

struct SearchOptions {
  size_t max_candidates = 100'000;    // distinct trace ids collected from the scan
  size_t max_traces = 10'000;         // traces fetched and evaluated
  int64_t deadline_ms = 30'000;       // wall time of one search
  size_t max_annotation_values = 10;  // distinct values per annotation key in a summary
  size_t max_annotations = 50;        // annotation keys per summary
};

struct SearchRequest {
  storage::Tenant tenant;
  int64_t start_ns = 0;  // spans starting in [start_ns, end_ns)
  int64_t end_ns = 0;
  std::string filter;                  // X-Ray filter expression; "" = every trace
  size_t limit = kDefaultSearchLimit;  // 1..kMaxSearchLimit
};

struct HttpSummary {
  std::string method;
  std::string url;
  int status = 0;  // 0 when the root span has none
  std::string user_agent;
  std::string client_ip;
};

struct TraceSummary {
  std::string trace_id;  // 16 raw bytes
  int64_t start_ns = 0;
  double duration_s = 0;       // last end - first start
  double response_time_s = 0;  // the root span's duration
  bool has_fault = false;      // any span (X-Ray: any segment) is a fault / error / throttle
  bool has_error = false;
  bool has_throttle = false;
  bool is_partial = false;  // a span's parent is missing
  HttpSummary http;         // of the root span
  // Annotations: X-Ray annotations (attributes "annotation.<key>", reported as <key>) and the
  // attributes the filter names as annotation.<key>, each with its distinct values (text form).
  std::vector<std::pair<std::string, std::vector<std::string>>> annotations;
  // Parallel to `annotations`: the type of each key's values (the first value seen), so a front
  // end can give them back typed (X-Ray: NumberValue / BooleanValue / StringValue).
  std::vector<storage::AttrType> annotation_types;
  std::vector<std::string> users;     // distinct end users (apm::user_of), sorted
  std::vector<std::string> services;  // sorted
  std::string entry_service;          // the root span's service and name
  std::string entry_operation;
  std::string entry_kind;  // SERVER, CLIENT, ... of the root span
  size_t span_count = 0;
};

struct SearchResult {
  std::vector<TraceSummary> traces;  // newest first
  uint64_t candidate_traces = 0;     // distinct traces among the scanned spans
  uint64_t traces_evaluated = 0;
  uint64_t traces_matched = 0;
  bool complete = true;     // false when a bound or the deadline stopped the search
  std::string stopped_by;   // "limit", "max_traces", "max_candidates", "deadline" or ""
  std::string pushed_down;  // the span requirement given to the scan (plan.h)
  storage::TraceScanStats scan;
};

// InvalidArgument for a bad filter (naming the column and rule), a bad range or limit.
Result<SearchResult> search_traces(storage::TraceStore* store, const SearchRequest& req,
                                   const SearchOptions& opts, const Clock* clock);

}  // namespace opsight::query::tracefilter

#pragma once
// Push-down of a filter expression into a span scan (storage::SpanScan), so the trace store can
// skip blocks by their service, duration and attribute filters before any trace is evaluated.
//
// A filter is evaluated on whole traces, while a SpanScan selects single spans with all of its
// filters on the same span. So push-down looks for *span requirements*: conjuncts at the top of
// the expression (joined by AND only, not under NOT or OR) that every matching trace must satisfy
// with one span:
//   service("x") [{ f }]        a span of service x; with f's own top-level conjuncts
//                                annotation.k = "v" and responsetime >(=) n on that same span;
//   edge("a", ...)              a span of service a (the caller);
//   annotation.k = "v" / true   a span with the indexed attribute k = v (strings and booleans
//                                only: a number's text form is not unique). An annotation is
//                                "annotation.k" on X-Ray spans and "k" on OTel spans (eval.h),
//                                so the searcher scans once for each form and unites the traces;
//   responsetime >(=) n, = n    a span (the root) lasting at least n seconds.
// One requirement is pushed (SpanScan filters are conjunctive on one span): the most selective
// by a fixed score (attributes, then service, then duration). A service name may also be an
// inferred peer (a database named in db.name has no spans of its own), so the searcher first
// probes that the service has spans in the time range and drops it from the requirement if not.
// Not pushed (the scan reads every span in the range): fault/error/throttle/ok (a 5xx response
// need not carry status ERROR), duration (the trace's, not a span's), http.*, user, and anything
// under OR / NOT. Correctness never depends on push-down: every candidate trace is evaluated.
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "query/tracefilter/ast.h"
#include "storage/trace_store.h"

namespace opsight::query::tracefilter {

struct SpanRequirement {
  std::string service;  // "" = any
  std::vector<storage::AttributeFilter> attributes;
  int64_t min_duration_ns = 0;

  bool empty() const { return service.empty() && attributes.empty() && min_duration_ns == 0; }
  // Higher is more selective (attributes 4 each, service 2, duration 1).
  int score() const;
  // "service=api annotation.k=v duration>=1000000000ns", for the search's plan report.
  std::string describe() const;
};

// The span requirements of `filter` (see above), in expression order.
std::vector<SpanRequirement> span_requirements(const Filter& filter);

// The most selective non-empty requirement, or an empty one.
SpanRequirement best_requirement(const std::vector<SpanRequirement>& requirements);

// True when `filter` reads nothing but the root span (ok/error/throttle/fault, http.*, name and
// responsetime under and/or/not): the searcher then evaluates it on each root span as the scan
// passes it and fetches only the traces whose root matches, instead of every trace in the range.
// (So such a filter does not find a partial trace whose root span names a parent it lacks.)
bool root_decidable(const Filter& filter);

}  // namespace opsight::query::tracefilter

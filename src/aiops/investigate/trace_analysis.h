#pragma once
// Trace analysis: trace-based blame over a window against the baseline before it.
//
// Design
// - One scan of the spans starting in [baseline_start, end) (storage::TraceScanner). Each span is
//   kept as a 64-byte record (trace id, span id, parent id, start, duration, interned component
//   and operation ids, inferred peer, flags): memory O(spans), at most options.max_spans records
//   (then stats->complete = false, stopped_by = "max_spans"). The records are then sorted by
//   trace and each trace is processed on its own with reused buffers.
// - Components: a span belongs to its service. A client/producer span without a child span in
//   the trace whose attributes name a peer (apm::infer_peer) is a call to that peer: the peer is
//   the component of that span. Databases and queues are named by their server
//   (server.address / net.peer.name) when the span names one, else by infer_peer's name (the
//   logical database or destination); a peer whose name is an instrumented service is that
//   service.
// - Exclusive (self) time of a span = its duration minus the union of its children's intervals
//   clipped to its own (children taken in start order). A request of a service is an entry span
//   (server, consumer, root); its self time is the sum over the spans of the same service below
//   it until the next entry span. A call to a peer is one request of the peer.
// - Error origin (after the X-Ray/OTel fault classification, apm::classify): a faulted span none
//   of whose children is faulted. A failing trace is a trace with at least one origin.
// - Per component, baseline B versus window W (a trace belongs to W when its first span starts in
//   W): requests, origin faults, self time per request (mean, p50, p90, variance), self time per
//   trace; per bucket (10 s, wider for long ranges) series for onset detection.
// - Findings (strength in [0, 1], only when W deviates from B):
//     "latency" (services) / "dependency" (peers), measure latency:
//        strength = share x rise x floor, share = the component's part of the window's excess self
//        time per trace (sum over components of max(0, self_W - self_B)), rise =
//        clamp(ln(ratio) / ln 4, 0, 1) for the ratio of mean self time per request, floor =
//        clamp(delta_ms / 2 ms, 0, 1); only when Welch's z of the rise >= 3.
//     "errors" (services) / "dependency" (peers), measure errors:
//        strength = share x significance, share = the part of the window's failing traces whose
//        origin is the component, significance = clamp((z - 3) / 6, 0, 1) for the one-sample z
//        of the window's origin-fault rate against the (smoothed) baseline rate; only with at
//        least 3 origins, a ratio >= 1.5 and a rise >= 0.5 points.
//   Facts: "ratio", "share", "baseline", "window" (ms per request, or fault rate), "delta",
//   "p50_baseline", "p50_window", "p90_baseline", "p90_window", "requests", "measure" (0 latency,
//   1 errors). Onset: the first window bucket whose value exceeds max(median + 4 MAD, 1.3 median)
//   of the baseline buckets (rates: max(median + 4 MAD, 2 x baseline rate, baseline rate + 1
//   point) and >= 2 origins) and where at least half of the next six buckets with data also
//   exceed; else the first exceeding bucket; else the window start.
//   Evidence: the metric series (self time per request in ms, or origin-fault rate, <= 120 points
//   over B + W) and up to 3 example traces (slowest self time, or origin spans).
// - Symptoms ("symptom" findings, strength 0): per service, its entry spans' latency and fault
//   rate in W against B with their onset; the explanation uses them ("40 s before checkout's
//   errors"), they never rank.
// - Edges: parent service -> child service, and service -> peer.
//
// Speed: per span, two interned-string lookups (cached for runs of the same string), the fault
// classification and, for exit spans, apm::infer_peer; no per-span maps or allocations.
// Nothing here is keyed to particular service names.
//
// Thread safety: analyze_traces may run on several threads at once.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "aiops/investigate/analysis_window.h"
#include "aiops/investigate/investigation.h"
#include "common/clock.h"
#include "common/status.h"
#include "storage/trace_store.h"

namespace opsight::aiops {

struct TraceAnalysisOptions {
  size_t max_spans = 3'000'000;  // records kept at most (64 bytes each)
  // Monotonic deadline (Clock::mono_ns) for the scan; 0 = none. Needs `clock`.
  int64_t deadline_mono_ns = 0;
  const Clock* clock = nullptr;
  size_t max_example_traces = 3;  // per finding
};

struct TraceAnalysis {
  std::vector<ComponentFinding> findings;  // strongest first; kinds latency, errors, dependency
  std::vector<ComponentFinding> symptoms;  // kind "symptom", strength 0 (see above)
  std::set<CallEdge> edges;
  std::vector<std::string> components;  // every component seen (services and peers), sorted
};

// InvalidArgument when the window is empty or the baseline does not precede it. `stats` may be
// null; when given, spans_scanned and traces are increased and complete/stopped_by set when
// max_spans or the deadline cut the scan.
Result<TraceAnalysis> analyze_traces(storage::TraceStore& store, const AnalysisWindow& w,
                                     const TraceAnalysisOptions& o, InvestigationStats* stats);

}  // namespace opsight::aiops

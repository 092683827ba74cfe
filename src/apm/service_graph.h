#pragma once
// The service map of a time range (the X-Ray service graph idea): nodes are the services that
// sent spans plus the uninstrumented peers their client spans call; edges are the calls between
// them, each with request, error, fault and throttle counts and a response-time histogram.
//
// Design. Spans starting in [start, end) are scanned once and kept in a compact form (ids,
// service, kind, duration, class, inferred peer: about 100 bytes each, at most max_spans) in one
// hash map keyed by trace id + span id. Then:
//   - edge parent.service -> span.service for every span whose parent is in the range and in
//     another service;
//   - edge span.service -> peer for every client/producer span with no child in another service
//     whose attributes name a peer (apm::infer_peer: database, queue, remote). A peer whose name
//     is an instrumented service of the graph becomes an edge to that service.
// An edge's request is measured on the caller's client/producer span when there is one (what the
// caller saw: its duration and class), else on the callee's span. A service node counts its
// entry spans (server, consumer and root spans); an inferred peer counts its incoming edges.
// Spans whose parent started before `start` contribute their node but not that edge.
//
// Response-time histogram: fixed upper bounds in seconds, kResponseTimeBuckets, plus +Inf
// (the Prometheus client default buckets); counts per bucket, not cumulative.
//
// Thread safety: ServiceGraphBuilder is used by one thread; build_service_graph may run on
// several threads at once.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "apm/span_facts.h"
#include "common/clock.h"
#include "common/status.h"
#include "storage/trace_store.h"

namespace opsight::apm {

inline constexpr std::array<double, 11> kResponseTimeBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                0.5,   1,    2.5,   5,    10};

struct RequestStats {
  uint64_t requests = 0;
  uint64_t errors = 0;     // 4xx (including 429)
  uint64_t faults = 0;     // 5xx or status ERROR
  uint64_t throttles = 0;  // 429
  double total_seconds = 0;
  // histogram[i] counts requests <= kResponseTimeBuckets[i] (and > the previous bound); the
  // last entry counts those above every bound (+Inf).
  std::array<uint64_t, kResponseTimeBuckets.size() + 1> histogram{};

  void add(double seconds, const SpanClass& cls);
};

struct GraphNode {
  std::string name;
  std::string type;  // kServiceType, kDatabaseType, kQueueType, kRemoteType
  bool inferred = false;
  RequestStats stats;
};

struct GraphEdge {
  std::string source;  // a service
  std::string target;
  std::string target_type;
  RequestStats stats;
};

struct ServiceGraph {
  std::vector<GraphNode> nodes;  // sorted by (type, name)
  std::vector<GraphEdge> edges;  // sorted by (source, target)
  uint64_t spans = 0;            // spans used
  bool complete = true;          // false when max_spans or the deadline stopped the scan
  std::string stopped_by;        // "max_spans", "deadline" or ""
  storage::TraceScanStats scan;
};

// Accumulates spans, then builds the graph. Memory: about 100 bytes per span added.
class ServiceGraphBuilder {
 public:
  ServiceGraphBuilder();
  ~ServiceGraphBuilder();
  void add(const storage::Span& span);
  size_t size() const;
  ServiceGraph finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ServiceGraphOptions {
  size_t max_spans = 1'000'000;
  int64_t deadline_ms = 30'000;
};

Result<ServiceGraph> build_service_graph(storage::TraceStore* store, const storage::Tenant& tenant,
                                         int64_t start_ns, int64_t end_ns,
                                         const ServiceGraphOptions& opts, const Clock* clock);

}  // namespace opsight::apm

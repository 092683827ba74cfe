#include "apm/service_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace opsight::apm {

void RequestStats::add(double seconds, const SpanClass& cls) {
  requests++;
  errors += cls.error ? 1 : 0;
  faults += cls.fault ? 1 : 0;
  throttles += cls.throttle ? 1 : 0;
  total_seconds += seconds;
  size_t b = 0;
  while (b < kResponseTimeBuckets.size() && seconds > kResponseTimeBuckets[b]) b++;
  histogram[b]++;
}

namespace {

// One span, compactly. Strings are interned (ids into Impl::names).
struct SpanRec {
  uint32_t service = 0;
  uint32_t peer = UINT32_MAX;  // interned peer name, or none
  std::string_view peer_type;
  std::string parent_key;  // trace id + parent span id, or "" for a root
  storage::SpanKind kind = storage::SpanKind::kUnspecified;
  bool root = false;
  bool remote_child = false;
  SpanClass cls;
  double seconds = 0;
};

}  // namespace

struct ServiceGraphBuilder::Impl {
  std::vector<std::string> names;
  std::unordered_map<std::string, uint32_t> name_ids;
  std::unordered_map<std::string, SpanRec> spans;  // trace id + span id -> span

  uint32_t intern(const std::string& s) {
    auto [it, fresh] = name_ids.try_emplace(s, static_cast<uint32_t>(names.size()));
    if (fresh) names.push_back(s);
    return it->second;
  }
};

ServiceGraphBuilder::ServiceGraphBuilder() : impl_(std::make_unique<Impl>()) {}
ServiceGraphBuilder::~ServiceGraphBuilder() = default;

size_t ServiceGraphBuilder::size() const {
  return impl_->spans.size();
}

void ServiceGraphBuilder::add(const storage::Span& span) {
  SpanRec r;
  r.service = impl_->intern(span.service);
  if (auto peer = infer_peer(span)) {
    r.peer = impl_->intern(peer->name);
    r.peer_type = peer->type;
  }
  if (!span.parent_span_id.empty()) r.parent_key = span.trace_id + span.parent_span_id;
  r.kind = span.kind;
  r.root = span.parent_span_id.empty();
  r.cls = classify(span);
  r.seconds = static_cast<double>(span.duration_ns()) / 1e9;
  // A repeated span id (an in-progress X-Ray segment and its completion): the last one wins.
  impl_->spans.insert_or_assign(span.trace_id + span.span_id, std::move(r));
}

ServiceGraph ServiceGraphBuilder::finish() {
  Impl& m = *impl_;
  std::map<std::pair<uint32_t, uint32_t>, GraphEdge> service_edges;  // (caller, callee) services
  std::map<std::tuple<uint32_t, uint32_t, std::string_view>, GraphEdge> peer_edges;
  std::map<uint32_t, RequestStats> service_stats;
  for (auto& [key, r] : m.spans) {
    auto& node = service_stats[r.service];
    const bool entry =
        r.root || r.kind == storage::SpanKind::kServer || r.kind == storage::SpanKind::kConsumer;
    if (entry) node.add(r.seconds, r.cls);
    if (r.parent_key.empty()) continue;
    auto it = m.spans.find(r.parent_key);
    if (it == m.spans.end() || it->second.service == r.service) continue;
    SpanRec& parent = it->second;
    parent.remote_child = true;
    const bool caller_exit =
        parent.kind == storage::SpanKind::kClient || parent.kind == storage::SpanKind::kProducer;
    GraphEdge& e = service_edges[{parent.service, r.service}];
    if (caller_exit) {
      e.stats.add(parent.seconds, parent.cls);
    } else {
      e.stats.add(r.seconds, r.cls);
    }
  }
  for (auto& [key, r] : m.spans) {
    if (r.remote_child || r.peer == UINT32_MAX) continue;
    if (service_stats.contains(r.peer) && r.peer != r.service) {
      service_edges[{r.service, r.peer}].stats.add(r.seconds, r.cls);  // peer is instrumented
      continue;
    }
    if (r.peer == r.service) continue;
    peer_edges[{r.service, r.peer, r.peer_type}].stats.add(r.seconds, r.cls);
  }

  ServiceGraph g;
  g.spans = m.spans.size();
  for (auto& [id, stats] : service_stats) {
    g.nodes.push_back(GraphNode{m.names[id], std::string(kServiceType), false, stats});
  }
  std::map<std::pair<std::string_view, uint32_t>, RequestStats> peers;
  for (auto& [k, e] : service_edges) {
    e.source = m.names[k.first];
    e.target = m.names[k.second];
    e.target_type = kServiceType;
    g.edges.push_back(std::move(e));
  }
  for (auto& [k, e] : peer_edges) {
    const auto& [caller, peer, type] = k;
    e.source = m.names[caller];
    e.target = m.names[peer];
    e.target_type = type;
    RequestStats& p = peers[{type, peer}];
    p.requests += e.stats.requests;
    p.errors += e.stats.errors;
    p.faults += e.stats.faults;
    p.throttles += e.stats.throttles;
    p.total_seconds += e.stats.total_seconds;
    for (size_t i = 0; i < p.histogram.size(); i++) p.histogram[i] += e.stats.histogram[i];
    g.edges.push_back(std::move(e));
  }
  for (auto& [k, stats] : peers) {
    g.nodes.push_back(GraphNode{m.names[k.second], std::string(k.first), true, stats});
  }
  std::sort(g.nodes.begin(), g.nodes.end(), [](const GraphNode& a, const GraphNode& b) {
    return std::tie(a.type, a.name) < std::tie(b.type, b.name);
  });
  std::sort(g.edges.begin(), g.edges.end(), [](const GraphEdge& a, const GraphEdge& b) {
    return std::tie(a.source, a.target, a.target_type) <
           std::tie(b.source, b.target, b.target_type);
  });
  return g;
}

Result<ServiceGraph> build_service_graph(storage::TraceStore* store, const storage::Tenant& tenant,
                                         int64_t start_ns, int64_t end_ns,
                                         const ServiceGraphOptions& opts, const Clock* clock) {
  if (end_ns <= start_ns) {
    return Status::invalid_argument(
        fmt::format("service map: end ({} ns) must be after start ({} ns)", end_ns, start_ns));
  }
  const int64_t deadline = clock->mono_ns() + opts.deadline_ms * 1'000'000;
  storage::SpanScan scan;
  scan.tenants = {tenant};
  scan.start_ns = start_ns;
  scan.end_ns = end_ns;
  ASSIGN_OR_RETURN(auto scanner, store->scan(scan));
  ServiceGraphBuilder b;
  storage::Span span;
  bool complete = true;
  std::string stopped_by;
  uint64_t n = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool more, scanner->next(&span));
    if (!more) break;
    if (b.size() >= opts.max_spans) {
      complete = false;
      stopped_by = "max_spans";
      break;
    }
    b.add(span);
    if ((++n & 1023) == 0 && clock->mono_ns() > deadline) {
      complete = false;
      stopped_by = "deadline";
      break;
    }
  }
  ServiceGraph g = b.finish();
  g.complete = complete;
  g.stopped_by = stopped_by;
  g.scan = scanner->stats();
  return g;
}

}  // namespace opsight::apm

#include "query/tracefilter/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "query/tracefilter/eval.h"
#include "query/tracefilter/parser.h"
#include "query/tracefilter/plan.h"

namespace opsight::query::tracefilter {
namespace {

using storage::Span;

constexpr std::string_view kKindNames[] = {"UNSPECIFIED", "INTERNAL", "SERVER",
                                           "CLIENT",      "PRODUCER", "CONSUMER"};

// Annotation keys named anywhere in the filter.
void annotation_keys(const Node* n, std::set<std::string, std::less<>>* out) {
  if (n == nullptr) return;
  if (n->kind == NodeKind::kAnnotation) out->insert(n->annotation_key);
  for (const auto& c : n->children) annotation_keys(c.get(), out);
}

TraceSummary summarize(const TraceView& t, const std::set<std::string, std::less<>>& filter_keys,
                       const SearchOptions& opts) {
  TraceSummary s;
  const Span& root = t.spans()[t.root()];
  s.trace_id = root.trace_id;
  s.start_ns = t.start_ns();
  s.duration_s = static_cast<double>(t.end_ns() - t.start_ns()) / 1e9;
  s.response_time_s = static_cast<double>(root.duration_ns()) / 1e9;
  s.is_partial = t.partial();
  const apm::HttpFacts h = apm::http_facts(root);
  s.http = {h.method, h.url, h.status, h.user_agent, h.client_ip};
  s.entry_service = root.service;
  s.entry_operation = root.name;
  const auto k = static_cast<size_t>(root.kind);
  s.entry_kind = k < std::size(kKindNames) ? kKindNames[k] : "UNSPECIFIED";
  s.span_count = t.live().size();
  std::set<std::string> services;
  std::map<std::string, std::set<std::string>, std::less<>> annotations;
  std::map<std::string, storage::AttrType, std::less<>> annotation_types;
  std::set<std::string> users;
  for (size_t i : t.live()) {
    const Span& sp = t.spans()[i];
    services.insert(sp.service);
    s.has_fault |= t.cls(i).fault;
    s.has_error |= t.cls(i).error;
    s.has_throttle |= t.cls(i).throttle;
    if (std::string u = apm::user_of(sp); !u.empty()) users.insert(std::move(u));
    for (const auto& a : sp.attributes) {
      if (!a.indexed) continue;
      std::string_view key = a.key;
      if (key.starts_with(kAnnotationPrefix)) {
        key.remove_prefix(kAnnotationPrefix.size());
      } else if (!filter_keys.contains(key)) {
        continue;
      }
      auto it = annotations.find(key);
      if (it == annotations.end()) {
        if (annotations.size() >= opts.max_annotations) continue;
        it = annotations.emplace(std::string(key), std::set<std::string>{}).first;
        annotation_types.emplace(std::string(key), a.type);
      }
      if (it->second.size() < opts.max_annotation_values) it->second.insert(a.value);
    }
  }
  s.services.assign(services.begin(), services.end());
  s.users.assign(users.begin(), users.end());
  for (auto& [key, values] : annotations) {
    s.annotations.emplace_back(key, std::vector<std::string>(values.begin(), values.end()));
    s.annotation_types.push_back(annotation_types.find(key)->second);
  }
  return s;
}

}  // namespace

Result<SearchResult> search_traces(storage::TraceStore* store, const SearchRequest& req,
                                   const SearchOptions& opts, const Clock* clock) {
  if (req.end_ns <= req.start_ns) {
    return Status::invalid_argument(
        fmt::format("trace search: end ({} ns) must be after start "
                    "({} ns)",
                    req.end_ns, req.start_ns));
  }
  if (req.limit == 0 || req.limit > kMaxSearchLimit) {
    return Status::invalid_argument(
        fmt::format("trace search: limit {} is out of range (1..{})", req.limit, kMaxSearchLimit));
  }
  ASSIGN_OR_RETURN(Filter filter, parse_filter(req.filter));
  const int64_t deadline = clock->mono_ns() + opts.deadline_ms * 1'000'000;
  SearchResult result;

  // Plan: probe the services of the requirements (a name may be an inferred peer, plan.h).
  std::vector<SpanRequirement> reqs = span_requirements(filter);
  for (SpanRequirement& r : reqs) {
    if (r.service.empty()) continue;
    storage::SpanScan probe;
    probe.tenants = {req.tenant};
    probe.start_ns = req.start_ns;
    probe.end_ns = req.end_ns;
    probe.services = {r.service};
    probe.limit = 1;
    ASSIGN_OR_RETURN(auto scanner, store->scan(probe));
    Span ignored;
    ASSIGN_OR_RETURN(bool found, scanner->next(&ignored));
    if (!found) r.service.clear();
  }
  const SpanRequirement pushed = best_requirement(reqs);
  result.pushed_down = pushed.describe();

  // One scan, or two when annotations are pushed (their OTel and X-Ray key forms, eval.h).
  const bool root_only = root_decidable(filter);
  std::unordered_map<std::string, int64_t> first_start;  // trace id -> earliest span start seen
  const int variants = pushed.attributes.empty() ? 1 : 2;
  for (int v = 0; v < variants && result.complete; v++) {
    storage::SpanScan scan;
    scan.tenants = {req.tenant};
    scan.start_ns = req.start_ns;
    scan.end_ns = req.end_ns;
    if (!pushed.service.empty()) scan.services = {pushed.service};
    scan.attributes = pushed.attributes;
    if (v == 1) {
      for (auto& a : scan.attributes) a.key = std::string(kAnnotationPrefix) + a.key;
    }
    scan.min_duration_ns = pushed.min_duration_ns;
    ASSIGN_OR_RETURN(auto scanner, store->scan(scan));
    Span span;
    uint64_t n = 0;
    while (true) {
      ASSIGN_OR_RETURN(bool more, scanner->next(&span));
      if (!more) break;
      if ((++n & 1023) == 0 && clock->mono_ns() > deadline) {
        result.complete = false;
        result.stopped_by = "deadline";
        break;
      }
      // A root-only filter is decided by the root span alone: skip traces whose root fails it
      // (the whole trace is still fetched and evaluated below for those that pass).
      if (root_only) {
        if (!span.parent_span_id.empty()) continue;
        if (!evaluate(filter, TraceView(std::span<const Span>(&span, 1)))) continue;
      }
      auto [it, fresh] = first_start.try_emplace(span.trace_id, span.start_ns);
      if (!fresh) {
        it->second = std::min(it->second, span.start_ns);
      } else if (first_start.size() > opts.max_candidates) {
        first_start.erase(it);
        result.complete = false;
        result.stopped_by = "max_candidates";
        break;
      }
    }
    const storage::TraceScanStats st = scanner->stats();
    result.scan.spans_scanned += st.spans_scanned;
    result.scan.spans_matched += st.spans_matched;
    result.scan.blocks_read += st.blocks_read;
    result.scan.blocks_skipped += st.blocks_skipped;
    result.scan.bytes_read += st.bytes_read;
  }
  result.candidate_traces = first_start.size();

  std::vector<std::pair<int64_t, std::string>> order;
  order.reserve(first_start.size());
  for (auto& [id, start] : first_start) order.emplace_back(start, id);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::set<std::string, std::less<>> filter_keys;
  annotation_keys(filter.root.get(), &filter_keys);
  for (size_t i = 0; i < order.size(); i++) {
    if (result.traces.size() >= req.limit) {
      result.complete = false;
      result.stopped_by = "limit";
      break;
    }
    if (result.traces_evaluated >= opts.max_traces) {
      result.complete = false;
      result.stopped_by = "max_traces";
      break;
    }
    if (clock->mono_ns() > deadline) {
      result.complete = false;
      result.stopped_by = "deadline";
      break;
    }
    ASSIGN_OR_RETURN(std::vector<Span> spans, store->get_trace(req.tenant, order[i].second));
    if (spans.empty()) continue;  // expired between the scan and now
    result.traces_evaluated++;
    TraceView view(spans);
    if (!evaluate(filter, view)) continue;
    result.traces_matched++;
    result.traces.push_back(summarize(view, filter_keys, opts));
  }
  return result;
}

}  // namespace opsight::query::tracefilter

// The grouping rules of correlator.h.
#include "aiops/correlate/correlator.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>

namespace opsight::aiops {
namespace {

bool is_recovery(const std::string& state) {
  return state == "OK" || state == "INSUFFICIENT_DATA";
}

bool contains_sorted(const std::vector<std::string>& v, std::string_view s) {
  return std::binary_search(v.begin(), v.end(), s);
}

void insert_sorted(std::vector<std::string>& v, const std::string& s, size_t cap) {
  auto it = std::lower_bound(v.begin(), v.end(), s);
  if (it != v.end() && *it == s) return;
  if (v.size() >= cap) return;
  v.insert(it, s);
}

std::string unowned_metric(const Signal& s) {
  auto ns = s.dimensions.find("namespace");
  auto m = s.dimensions.find("metric");
  if (ns == s.dimensions.end() || m == s.dimensions.end()) return {};
  return ns->second + "|" + m->second;
}

}  // namespace

bool is_generic_dimension(std::string_view n) {
  static constexpr std::array<std::string_view, 23> kGeneric = {"namespace",
                                                                "metric",
                                                                "region",
                                                                "account",
                                                                "accountid",
                                                                "operation",
                                                                "stat",
                                                                "statistic",
                                                                "unit",
                                                                "env",
                                                                "environment",
                                                                "deployment.environment",
                                                                "stage",
                                                                "cluster",
                                                                "zone",
                                                                "az",
                                                                "availabilityzone",
                                                                "availability_zone",
                                                                "service",
                                                                "servicename",
                                                                "service.name",
                                                                "service_name",
                                                                "job"};
  return std::find(kGeneric.begin(), kGeneric.end(), n) != kGeneric.end();
}

std::string_view canonical_dimension(std::string_view n) {
  if (n == "host" || n == "hostname" || n == "host.name" || n == "instance" || n == "instanceid") {
    return "host";
  }
  return n;
}

Topology::Topology(const std::vector<std::pair<std::string, std::string>>& edges) {
  for (const auto& [a, b] : edges) {
    if (a.empty() || b.empty() || a == b) continue;
    adjacency_[a].push_back(b);
    adjacency_[b].push_back(a);
  }
  for (auto& [_, v] : adjacency_) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
}

const std::map<std::string, int>& Topology::reach(const std::string& from, int max_hops) const {
  if (cache_hops_ != max_hops) {
    cache_.clear();
    cache_hops_ = max_hops;
  }
  auto it = cache_.find(from);
  if (it != cache_.end()) return it->second;
  std::map<std::string, int>& dist = cache_[from];
  dist[from] = 0;
  std::deque<std::string> queue{from};
  while (!queue.empty()) {
    const std::string cur = std::move(queue.front());
    queue.pop_front();
    const int d = dist[cur];
    if (d >= max_hops) continue;
    auto adj = adjacency_.find(cur);
    if (adj == adjacency_.end()) continue;
    for (const auto& next : adj->second) {
      if (dist.emplace(next, d + 1).second) queue.push_back(next);
    }
  }
  return dist;
}

int Topology::distance(const std::string& a, const std::string& b, int max_hops) const {
  if (a.empty() || b.empty()) return -1;
  if (a == b) return 0;
  if (max_hops <= 0) return -1;
  const auto& dist = reach(a, max_hops);
  auto it = dist.find(b);
  return it == dist.end() ? -1 : it->second;
}

void CooccurrenceIndex::add(const std::string& a, const std::string& b, int64_t n) {
  if (a == b || n <= 0) return;
  auto& ab = by_key_[a][b];
  if (ab == 0) pairs_++;
  ab += n;
  by_key_[b][a] += n;
}

int64_t CooccurrenceIndex::count(const std::string& a, const std::string& b) const {
  auto it = by_key_.find(a);
  if (it == by_key_.end()) return 0;
  auto jt = it->second.find(b);
  return jt == it->second.end() ? 0 : jt->second;
}

const std::map<std::string, int64_t>* CooccurrenceIndex::partners(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &it->second;
}

int relation_score(const Signal& signal, const Incident& incident, const Topology& topology,
                   const CooccurrenceIndex& history, const CorrelationOptions& options,
                   std::vector<std::string>* reasons) {
  int score = 0;
  // Topology: the closest service of the incident.
  if (!signal.service.empty()) {
    int best = -1;
    std::string_view via;
    for (const auto& svc : incident.services) {
      const int d = topology.distance(signal.service, svc, options.max_hops);
      if (d >= 0 && (best < 0 || d < best)) {
        best = d;
        via = svc;
        if (d == 0) break;
      }
    }
    if (best >= 0) {
      score += options.max_hops + 1 - best;
      if (reasons) {
        reasons->push_back(fmt::format("topology:{}({} hop{})", via, best, best == 1 ? "" : "s"));
      }
    }
  }
  // Shared relating dimension values (host-like names counted once, as "host").
  std::vector<std::pair<std::string_view, std::string_view>> counted;
  for (const auto& [name, value] : signal.dimensions) {
    if (value.empty() || is_generic_dimension(name)) continue;
    const std::string canon(canonical_dimension(name));
    const std::pair<std::string_view, std::string_view> item(canonical_dimension(name), value);
    if (std::find(counted.begin(), counted.end(), item) != counted.end()) continue;
    counted.push_back(item);
    auto it = incident.dimensions.find(canon);
    if (it == incident.dimensions.end() || !contains_sorted(it->second, value)) continue;
    score += 1;
    if (reasons) reasons->push_back(fmt::format("dimension:{}={}", canon, value));
  }
  // Co-occurrence in past incidents.
  if (const auto* partners = history.partners(signal_key(signal))) {
    for (const auto& [other, n] : *partners) {
      if (n < options.min_cooccurrence || !incident.keys.contains(other)) continue;
      score += 1;
      if (reasons) reasons->push_back(fmt::format("history:{}({}x)", other, n));
    }
  }
  // Signals without a service on the same metric.
  if (signal.service.empty()) {
    const std::string m = unowned_metric(signal);
    if (!m.empty() && contains_sorted(incident.unowned_metrics, m)) {
      score += 1;
      if (reasons) reasons->push_back("metric:" + m);
    }
  }
  return score;
}

CorrelationDecision correlate(const Signal& signal, const std::vector<const Incident*>& open,
                              const Topology& topology, const CooccurrenceIndex& history,
                              const CorrelationOptions& options) {
  CorrelationDecision d;
  const std::string key = signal_key(signal);
  // 1. Key affinity.
  const Incident* holder = nullptr;
  for (size_t i = 0; i < open.size(); i++) {
    const Incident* inc = open[i];
    if (!inc->keys.contains(key)) continue;
    if (holder == nullptr || inc->last_signal_ms > holder->last_signal_ms ||
        (inc->last_signal_ms == holder->last_signal_ms && inc->id < holder->id)) {
      holder = inc;
      d.index = i;
    }
  }
  if (holder != nullptr) {
    d.action = CorrelationDecision::Action::kJoin;
    d.repeat = holder->keys.at(key).state == signal.state;
    d.reasons.push_back("key");
    return d;
  }
  // 2. Recoveries never open an incident.
  if (is_recovery(signal.state)) {
    d.action = CorrelationDecision::Action::kIgnore;
    d.reasons.push_back("recovery without incident");
    return d;
  }
  // 3. Relation within the window; 4. tie-break.
  const Incident* best = nullptr;
  std::vector<std::string> reasons;
  for (size_t i = 0; i < open.size(); i++) {
    const Incident* inc = open[i];
    const int64_t gap = signal.time_ms >= inc->last_signal_ms
                            ? signal.time_ms - inc->last_signal_ms
                            : inc->last_signal_ms - signal.time_ms;
    if (gap > options.window_ms) continue;
    reasons.clear();
    const int score = relation_score(signal, *inc, topology, history, options, &reasons);
    if (score <= 0) continue;
    const bool better =
        best == nullptr || score > d.score ||
        (score == d.score && (inc->last_signal_ms > best->last_signal_ms ||
                              (inc->last_signal_ms == best->last_signal_ms && inc->id < best->id)));
    if (better) {
      best = inc;
      d.index = i;
      d.score = score;
      d.reasons = reasons;
    }
  }
  if (best != nullptr) {
    d.action = CorrelationDecision::Action::kJoin;
    return d;
  }
  d.score = 0;
  if (signal.kind == SignalKind::kChange) {
    d.action = CorrelationDecision::Action::kIgnore;
    d.reasons.push_back("change without incident");
    return d;
  }
  d.action = CorrelationDecision::Action::kOpen;
  d.reasons.push_back("no related incident");
  return d;
}

bool apply_signal(Incident& inc, const Signal& s) {
  const std::string key = signal_key(s);
  inc.signal_count++;
  if (inc.first_signal_ms == 0 || s.time_ms < inc.first_signal_ms) inc.first_signal_ms = s.time_ms;
  if (s.time_ms > inc.last_signal_ms) inc.last_signal_ms = s.time_ms;
  if (s.state == "ALARM" || s.state.empty()) inc.severity = std::max(inc.severity, s.severity);
  if (!s.service.empty()) insert_sorted(inc.services, s.service, SIZE_MAX);
  for (const auto& [name, value] : s.dimensions) {
    if (value.empty()) continue;
    const std::string canon(canonical_dimension(name));
    insert_sorted(inc.dimensions[canon], value, kMaxDimensionValues);
  }
  if (s.service.empty()) {
    const std::string m = unowned_metric(s);
    if (!m.empty()) insert_sorted(inc.unowned_metrics, m, kMaxDimensionValues);
  }

  auto [it, inserted] = inc.keys.try_emplace(key);
  IncidentKey& k = it->second;
  const bool was_alarm = !inserted && k.kind == SignalKind::kAlarm && k.state == "ALARM";
  const bool entry = inserted || k.state != s.state;
  if (inserted) {
    k.key = key;
    k.kind = s.kind;
    k.source = s.source;
    k.first_ms = s.time_ms;
  }
  if (k.service.empty()) k.service = s.service;
  k.count++;
  if (s.time_ms >= k.last_ms) {
    k.last_ms = s.time_ms;
    k.state = s.state;
  } else if (inserted) {
    k.last_ms = s.time_ms;
    k.state = s.state;
  }
  if (s.kind == SignalKind::kAlarm) {
    const bool is_alarm = k.state == "ALARM";
    if (is_alarm && !was_alarm) inc.active_alarms++;
    if (!is_alarm && was_alarm) inc.active_alarms--;
    if (s.state == "ALARM" && entry) inc.alarm_count++;
  }
  return entry;
}

}  // namespace opsight::aiops

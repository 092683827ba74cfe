#pragma once
// The grouping decision of online incident correlation: given one signal and the open incidents
// of its tenant, join one of them or open a new one. Pure and in memory; the incident service
// (incident_service.h) applies the decision and persists it.
//
// Design (issue 8, "Correlation into incidents"; the rules follow the alert-grouping practice of
// topology- and co-occurrence-based correlation, e.g. Chen et al., "Identifying linked incidents
// in large-scale online service systems", ESEC/FSE 2020, reduced to what can be decided online):
//
//  1. Key affinity. When an open incident already holds the signal's key (signal_key()), the
//     signal goes there (the most recently signalled one if several), whatever its time: repeats
//     are deduplicated there and an alarm going OK updates the incident that holds it.
//  2. Recovery never opens. A signal in state OK or INSUFFICIENT_DATA that matched no incident in
//     step 1 is ignored. A change signal (kind kChange) never opens an incident either: it joins
//     a related incident or is ignored (the service keeps recent changes and attaches them to an
//     incident opened shortly after; see IncidentService).
//  3. Relation. Otherwise the signal may join an incident whose last signal is within window_ms
//     of the signal's time (either side) and to which it relates by at least one piece of
//     evidence, each adding to a score:
//       topology  its service is within max_hops of a service of the incident on the undirected
//                 service graph: + (max_hops + 1 - hops), so the same service scores highest;
//       dimension it shares a relating dimension value (same lower-cased name and value; "host",
//                 "instanceid" and "instance" are all compared as "host"): +1 per shared value.
//                 Generic dimensions (is_generic_dimension) never relate on their own;
//       history   its key co-occurred with one of the incident's keys in >= min_cooccurrence past
//                 incidents: +1 per such key;
//       metric    it has no service and the incident holds a signal without service with the same
//                 namespace and metric name: +1.
//  4. Tie-break: the highest score, then the most recent last signal, then the smaller id.
//     No candidate: open a new incident (unless rule 2 applies).
//
// Repeat vs. entry: a signal whose key is already in the chosen incident with the same state is
// a repeat (counted, no new timeline entry); a different state (an alarm going ALARM -> OK) is a
// new entry.
//
// Thread safety: Topology caches hop distances and is used by one thread at a time; the free
// functions are pure.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aiops/correlate/incident.h"
#include "aiops/correlate/signal.h"

namespace opsight::aiops {

struct CorrelationOptions {
  int64_t window_ms = 15 * 60 * 1000;
  int max_hops = 2;
  int64_t min_cooccurrence = 2;
};

// Dimension names that do not relate two signals by themselves, because most signals of one
// deployment share them: namespace, metric, region, account, accountid, operation, stat,
// statistic, unit, env, environment, deployment.environment, stage, cluster, zone, az,
// availabilityzone, availability_zone, and the service names (service, servicename,
// service.name, service_name, job; service closeness is the topology rule's business).
bool is_generic_dimension(std::string_view lower_name);
// "host" for the host-like names (host, hostname, host.name, instance, instanceid), else the name.
std::string_view canonical_dimension(std::string_view lower_name);

// Undirected service adjacency, with hop distances by breadth-first search (cached per source).
class Topology {
 public:
  Topology() = default;
  explicit Topology(const std::vector<std::pair<std::string, std::string>>& edges);
  // Hop distance from a to b when <= max_hops (0 when a == b, even for a service not in the
  // graph); -1 otherwise or when either is "".
  int distance(const std::string& a, const std::string& b, int max_hops) const;

 private:
  const std::map<std::string, int>& reach(const std::string& from, int max_hops) const;
  std::map<std::string, std::vector<std::string>> adjacency_;
  mutable std::map<std::string, std::map<std::string, int>> cache_;  // from -> {to, hops}
  mutable int cache_hops_ = -1;
};

// How often pairs of signal keys were seen together in past (resolved) incidents of one tenant.
class CooccurrenceIndex {
 public:
  void add(const std::string& a, const std::string& b, int64_t n = 1);  // symmetric; a != b
  int64_t count(const std::string& a, const std::string& b) const;
  // Keys seen with `key` (partner -> count); nullptr when none.
  const std::map<std::string, int64_t>* partners(const std::string& key) const;
  size_t pairs() const { return pairs_; }

 private:
  std::map<std::string, std::map<std::string, int64_t>> by_key_;
  size_t pairs_ = 0;
};

struct CorrelationDecision {
  enum class Action { kJoin, kOpen, kIgnore };
  Action action = Action::kOpen;
  size_t index = 0;     // kJoin: position in `open`
  bool repeat = false;  // kJoin: same key with the same state already there (deduplicated)
  int score = 0;        // kJoin by relation: the evidence score; key affinity: 0
  // Why, for the timeline: "key", "topology:payment(1 hop)", "dimension:host=ip-10-0-0-1",
  // "history:<key>", "metric:AWS/EC2|CPUUtilization", "recovery without incident", ...
  std::vector<std::string> reasons;
};

// The decision for `signal` among `open` (the open and acknowledged incidents of its tenant).
CorrelationDecision correlate(const Signal& signal, const std::vector<const Incident*>& open,
                              const Topology& topology, const CooccurrenceIndex& history,
                              const CorrelationOptions& options);

// Rule 3 alone: the evidence score relating `signal` to `incident` (0 = unrelated), reasons
// appended to `reasons` when not null. Ignores the time window.
int relation_score(const Signal& signal, const Incident& incident, const Topology& topology,
                   const CooccurrenceIndex& history, const CorrelationOptions& options,
                   std::vector<std::string>* reasons);

// Folds `signal` into `incident` (services, keys, counts, dimensions, severity, times) and
// returns true when it is a new timeline entry (a new key, or a known key in a new state),
// false for a repeat. Does not touch state, title, opened/updated/resolved times.
bool apply_signal(Incident& incident, const Signal& signal);

}  // namespace opsight::aiops

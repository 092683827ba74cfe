#pragma once
// IncidentService: online correlation of signals into incidents, their lifecycle, timeline and
// persistence (issue 8, "Correlation into incidents").
//
// Flow: producers (alarm events via alarm_signal.h, anomaly/log/RED watchers, change events)
// call submit(), which only queues. process_pending() drains the queue, asks the correlator
// (correlator.h; the rules are documented there) where each signal goes, applies it to the
// in-memory open incidents and writes the whole batch (incident upserts, timeline entries,
// co-occurrence counts) in ONE SQLite transaction, then emits the events. The worker thread
// (start()) calls process_pending() and run_maintenance() every second; tests call them directly.
//
// What is kept in memory: the open and acknowledged incidents of every tenant (loaded from the
// store at open()), the co-occurrence counts, and change signals of the last window that joined
// no incident (attached to an incident opened within the window after them, so a deploy shortly
// before the first alarm shows up on the incident). Resolved incidents are read from the store.
//
// Events: every change calls options.on_event with source "opsight.incidents", detail-type
// "Incident State Change", resources ["incident/<id>"], detail
//   {"incidentId", "state", "previousState", "title", "services", "severity", "signalCount",
//    "change"}
// (previousState null for "opened") where change is "opened", "signal_added" (once per incident per
// batch that added timeline entries; pure repeats emit nothing), "acknowledged", "resolved",
// "auto_resolved" or "annotated". add_entry() (actions, runbooks, investigations) emits nothing, so
// responders that write their results back do not trigger themselves. on_event is called without
// any lock held (it may call back into the service), from the thread that made the change.
//
// Errors: unknown ids are NotFound; invalid transitions (acknowledge an acknowledged or resolved
// incident, resolve a resolved one) are FailedPrecondition naming both states. When a batch
// fails to commit, the in-memory incidents keep the change (the next successful commit rewrites
// them whole) but that batch's timeline entries are lost; stats().store_errors counts it.
//
// Thread safety: every method is thread-safe. submit() takes a short queue lock only.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "aiops/correlate/correlator.h"
#include "aiops/correlate/incident.h"
#include "aiops/correlate/signal.h"
#include "common/clock.h"
#include "common/status.h"
#include "events/event.h"
#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::aiops {

inline constexpr std::string_view kIncidentEventSource = "opsight.incidents";
inline constexpr std::string_view kIncidentEventDetailType = "Incident State Change";

struct IncidentServiceOptions {
  std::string db_path;  // <data>/incidents.db
  Clock* clock = Clock::real();
  CorrelationOptions correlation;
  // Auto-resolve: no alarm key in ALARM and no new signal for this long.
  int64_t quiet_period_ms = 10 * 60 * 1000;
  int64_t retention_ms = 90LL * 24 * 3600 * 1000;  // resolved incidents older than this go
  // The undirected service graph of a tenant (pairs of service names); empty when not set.
  // Called once per tenant per process_pending() batch, without the service's lock.
  std::function<std::vector<std::pair<std::string, std::string>>(const storage::Tenant&)> topology;
  std::function<void(const events::Event&)> on_event;  // every incident change as an event
  size_t max_pending = 100'000;
  // At most this many keys of one incident count pairs for co-occurrence when it resolves
  // (the first ones seen), bounding the work to n*(n-1)/2 pairs.
  size_t max_cooccurrence_keys = 64;
  int64_t worker_interval_ms = 1000;
};

struct IncidentStats {
  uint64_t submitted = 0;      // accepted by submit()
  uint64_t dropped = 0;        // refused by submit() (queue full)
  uint64_t processed = 0;      // signals taken by process_pending()
  uint64_t joined = 0;         // joined an existing incident (repeats included)
  uint64_t deduplicated = 0;   // repeats
  uint64_t ignored = 0;        // recoveries or changes that matched no incident
  uint64_t opened = 0;         // incidents opened
  uint64_t resolved = 0;       // resolved by a user
  uint64_t auto_resolved = 0;  // resolved after the quiet period
  uint64_t purged = 0;         // deleted by retention
  uint64_t store_errors = 0;   // failed commits
  uint64_t batches = 0;        // process_pending() calls that wrote something
  size_t pending = 0;          // queued now
  size_t active = 0;           // open + acknowledged incidents now
};

class IncidentService {
 public:
  // Opens (creating) the store and loads the active incidents and co-occurrence counts.
  static Result<std::unique_ptr<IncidentService>> open(IncidentServiceOptions options);
  ~IncidentService();  // stops the worker
  IncidentService(const IncidentService&) = delete;
  IncidentService& operator=(const IncidentService&) = delete;

  // Queues a signal. O(1); false (and counted in stats().dropped) when max_pending are queued.
  bool submit(Signal signal);
  // Correlates every queued signal (in submission order) and commits them in one transaction.
  // Returns the number of signals processed.
  size_t process_pending();

  Result<std::vector<Incident>> list(const storage::Tenant& tenant, const IncidentQuery& query);
  Result<Incident> get(const storage::Tenant& tenant, const std::string& id);
  Result<std::vector<TimelineEntry>> timeline(const storage::Tenant& tenant, const std::string& id);

  // open -> acknowledged. `note` (optional) goes into the state entry.
  Status acknowledge(const storage::Tenant& tenant, const std::string& id, std::string author,
                     std::string note);
  // open|acknowledged -> resolved.
  Status resolve(const storage::Tenant& tenant, const std::string& id, std::string author,
                 std::string note);
  // A note on the timeline (any state). InvalidArgument when text is empty.
  Status annotate(const storage::Tenant& tenant, const std::string& id, std::string author,
                  std::string text);
  // Appends an entry (action, runbook output, investigation link, ...) to the timeline of any
  // incident. time_ms 0 = now; data_json must be a JSON object ("" = "{}"; not validated beyond
  // its first character). Emits no event.
  Status add_entry(const storage::Tenant& tenant, const std::string& id, TimelineEntry entry);

  // Auto-resolves quiet incidents and purges by retention (at most once an hour).
  // Returns the number of incidents resolved plus purged.
  size_t run_maintenance();

  // The worker thread: process_pending() + run_maintenance() every worker_interval_ms.
  void start();
  void stop();  // idempotent; processes what is still queued before returning

  IncidentStats stats() const;

 private:
  struct Impl;
  explicit IncidentService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsight::aiops

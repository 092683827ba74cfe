#pragma once
// LogWatcher: signals (kind kLogAnomaly) from the log groups' patterns, for the incident
// correlator (issue 8, "Signals": a pattern never seen before, or a pattern whose rate leaves
// its learned band).
//
// A pass (run_once(now_ms); the server calls it every 30 s) does, per tenant of TenantsFn and
// per log group (LogStore::describe_groups):
//   1. scans the events ingested in [previous pass, now - settle_ms) (by ingestion time; the
//      scan covers timestamps from late_event_ms before the previous pass to future_event_ms
//      after now, so events stamped further in the past are not seen); a group's first pass
//      covers first_pass_ms. At most max_events_per_group events are kept, sampled evenly when
//      there are more (every k-th, k doubling as the count grows), and counts are scaled back up;
//   2. mines their patterns (query/patterns/pattern_miner.h; messages cut to max_line_bytes);
//   3. hands the patterns to the group's LogGroupModel (log_detector.h: warm-up, new patterns,
//      spikes, recovery, LRU bound), whose transitions become Signals through the sink: source
//      "<group>#<pattern id>", service, dimensions {log_group}.
// The service of a group: "<service>" of "/otel/<service>" (the OTLP logs mapping,
// ingest/logs/otlp_logs_model.h), else the most frequent "service.name" (or "service") field of
// its events in the pass, else the last one known, else "".
//
// State: one LogGroupModel per (tenant, group), in memory; dropped when the group disappears;
// relearnt after a restart (warm-up again). At most max_groups groups are watched per pass (the
// first by name; the rest counted as skipped).
//
// Thread safety: run_once() must not run concurrently with itself; stats() may be called from
// any thread. The store must outlive the watcher.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aiops/watch/log_detector.h"
#include "aiops/watch/signal_sink.h"
#include "common/status.h"
#include "storage/log_store.h"

namespace opsight::aiops::watch {

struct LogWatcherOptions {
  LogRules rules;
  size_t max_events_per_group = 5'000;  // mined per group and pass
  size_t max_line_bytes = 2'048;        // of each message, for mining
  size_t max_groups = 10'000;           // per tenant and pass
  int64_t first_pass_ms = 60'000;       // what a group's first pass covers
  int64_t settle_ms = 2'000;            // ingestion newer than now - settle_ms waits a pass
  // Events stamped more than this before the interval they were ingested in are not seen. Each
  // pass scans (interval + late_event_ms) of timestamps to find one interval of ingestion, so
  // this is also the read amplification: 2 min over a 30 s pass reads ~5x.
  int64_t late_event_ms = 2 * 60'000;
  int64_t future_event_ms = 2 * 3'600'000;
  TenantsFn tenants = default_tenant_only;
};

struct LogWatcherStats {
  uint64_t passes = 0;
  uint64_t groups_scanned = 0;
  uint64_t groups_skipped = 0;  // beyond max_groups
  uint64_t events_read = 0;     // ingested in the passes' intervals
  uint64_t events_mined = 0;    // after sampling
  uint64_t new_patterns = 0, spikes = 0, recoveries = 0;
  uint64_t deferred = 0;  // alarms beyond LogRules::max_alarms_per_pass, offered next pass
  uint64_t sink_rejected = 0;
  uint64_t scan_errors = 0;
  size_t groups_tracked = 0, patterns_tracked = 0;
  std::string last_error;
};

// The events of one group and pass, as mined.
struct GroupBatch {
  std::vector<std::string> lines;  // kept (sampled) messages, cut to max_line_bytes
  std::vector<LogLevel> levels;    // per kept line
  uint64_t total = 0;              // events in the interval (kept or not)
  std::string service;             // most frequent service.name field, "" if none
};

// Mines `batch` into pattern observations (counts scaled by total / kept lines; a pattern's level
// is the highest of its lines, or a level word of its template when the lines carry none).
std::vector<PatternObservation> mine_batch(const GroupBatch& batch);

// "payment" for "/otel/payment"; "" for other names and "/otel/unknown_service".
std::string service_of_group(std::string_view group);

class LogWatcher {
 public:
  LogWatcher(storage::LogStore* store, SignalSink sink, LogWatcherOptions options);
  ~LogWatcher();

  // One pass at `now_ms`. A group or tenant that cannot be read is skipped (its model keeps its
  // state and its interval is read again next pass) and the first such error is returned after
  // the others were done.
  Status run_once(int64_t now_ms);

  LogWatcherStats stats() const;

  // Step 1 for one group: the events ingested in [from_ms, to_ms).
  static Result<GroupBatch> read_batch(storage::LogStore* store, const storage::Tenant& tenant,
                                       const std::string& group, int64_t from_ms, int64_t to_ms,
                                       const LogWatcherOptions& options);

 private:
  struct GroupState {
    std::unique_ptr<LogGroupModel> model;
    int64_t read_upto_ms = 0;  // ingestion times below this were read
    std::string service;
  };
  using GroupKey = std::pair<storage::Tenant, std::string>;

  storage::LogStore* const store_;
  const SignalSink sink_;
  const LogWatcherOptions opts_;
  std::map<GroupKey, GroupState> groups_;  // used by run_once() only

  mutable std::mutex stats_mu_;
  LogWatcherStats stats_;  // GUARDED_BY(stats_mu_)
};

}  // namespace opsight::aiops::watch

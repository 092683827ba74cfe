#pragma once
// Incidents, their timelines and key co-occurrence counts in SQLite (<data>/incidents.db, WAL
// mode, synchronous=FULL; storage/meta/sqlite_db.h).
//
// Schema (user_version 1):
//   incidents(id TEXT PRIMARY KEY, account, region, state, title, opened_ms, updated_ms,
//             resolved_ms, first_signal_ms, last_signal_ms, signal_count, alarm_count,
//             active_alarms, doc)  WITHOUT ROWID
//       doc: JSON {"severity", "services": [...], "dimensions": {name: [values]},
//                  "unowned": [...], "keys": [{key, kind, source, service, state, count,
//                  first, last}]}
//       + index (account, region, opened_ms), index (state)
//   timeline(seq INTEGER PRIMARY KEY AUTOINCREMENT, incident_id, time_ms, type, text, author,
//            data)  + index (incident_id, time_ms, seq)
//   cooccurrence(account, region, key_a, key_b, count, last_ms,
//                PRIMARY KEY (account, region, key_a, key_b)) WITHOUT ROWID   -- key_a < key_b
//
// Durability: every commit() is one transaction (a correlation batch's incident upserts,
// timeline entries and co-occurrence increments are atomic).
// Retention: purge() deletes resolved incidents resolved before the cut-off with their timelines,
// and co-occurrence pairs last seen before it.
//
// Thread safety: thread-safe; one connection serialised by a mutex.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aiops/correlate/correlator.h"
#include "aiops/correlate/incident.h"
#include "common/status.h"

namespace opsight::aiops {

// One write batch.
struct IncidentBatch {
  std::vector<Incident> incidents;  // upserted whole
  // (incident id, entry): appended; seq is assigned in order.
  std::vector<std::pair<std::string, TimelineEntry>> entries;
  struct Pair {
    storage::Tenant tenant;
    std::string key_a, key_b;
    int64_t time_ms = 0;
  };
  std::vector<Pair> cooccurred;  // each pair's count + 1
  bool empty() const { return incidents.empty() && entries.empty() && cooccurred.empty(); }
};

class IncidentStore {
 public:
  static Result<std::unique_ptr<IncidentStore>> open(const std::string& path);
  ~IncidentStore();
  IncidentStore(const IncidentStore&) = delete;
  IncidentStore& operator=(const IncidentStore&) = delete;

  Status commit(const IncidentBatch& batch);

  // Open and acknowledged incidents of every tenant (loaded at start).
  Result<std::vector<Incident>> load_active();
  // Co-occurrence counts of every tenant.
  struct CooccurrenceRow {
    storage::Tenant tenant;
    std::string key_a, key_b;
    int64_t count = 0;
  };
  Result<std::vector<CooccurrenceRow>> load_cooccurrence();

  Result<std::vector<Incident>> list(const storage::Tenant& tenant, const IncidentQuery& query);
  // NotFound "incident <id> not found" (also for another tenant's incident).
  Result<Incident> get(const storage::Tenant& tenant, const std::string& id);
  // Chronological (time, then seq). NotFound when the incident does not exist.
  Result<std::vector<TimelineEntry>> timeline(const storage::Tenant& tenant, const std::string& id);

  // Returns the number of incidents deleted.
  Result<int64_t> purge(int64_t cutoff_ms);

 private:
  struct Impl;
  explicit IncidentStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsight::aiops

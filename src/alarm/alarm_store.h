#pragma once
// Alarm runtime data in SQLite (<data>/alarms.db, WAL mode, synchronous=FULL):
// alarm state, state/config/action history with retention, scheduler checkpoints and the
// action outbox. Definitions are configuration objects and live in the meta store
// (storage/meta, kind "alarm"); this file holds what changes while alarms run, kept apart so
// 100,000 alarms changing state do not contend with configuration writes on meta.db.
//
// Schema (user_version 1; docs/alarms.md "Storage"):
//   alarm_state(account, region, name, state, reason, reason_data, updated_ms,
//               transitioned_ms, forced, left_alarm_ms, supp_by, supp_state, supp_since_ms,
//               supp_deadline_ms, PRIMARY KEY (account, region, name)) WITHOUT ROWID
//   alarm_history(id INTEGER PRIMARY KEY AUTOINCREMENT, account, region, name, alarm_type,
//                 item_type, ts_ms, summary, data)  + index (account, region, ts_ms, id)
//   checkpoint(period_ms INTEGER PRIMARY KEY, tick_ms)       -- last evaluated tick per period
//   outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, account, region, alarm_name, doc, attempts,
//          next_attempt_ms)                                   -- pending action deliveries
// Durability: synchronous=FULL, one transaction per commit() (a scheduler tick's state changes,
// history items and checkpoint are atomic), so a restart resumes from the last committed tick.
//
// History retention: purge_history() deletes items older than a cut-off (the service runs it
// hourly; default retention 30 days, longer than CloudWatch's two weeks).
//
// Concurrency: thread-safe; one connection serialised by a mutex.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alarm/alarm_types.h"
#include "alarm/suppression.h"
#include "common/status.h"
#include "storage/metric_store.h"  // Tenant

namespace opsight::alarm {

struct AlarmStateRecord {
  storage::Tenant tenant;
  std::string name;
  StateValue state = StateValue::kInsufficientData;
  std::string reason;
  std::string reason_data;
  int64_t updated_ms = 0;       // StateUpdatedTimestamp
  int64_t transitioned_ms = 0;  // StateTransitionedTimestamp
  bool forced = false;          // set by SetAlarmState, until the next evaluation
  int64_t left_alarm_ms = 0;    // the last time it left ALARM (suppressor extension)
  SuppressionState suppression;
  bool operator==(const AlarmStateRecord&) const = default;
};

struct HistoryItem {
  int64_t id = 0;  // assigned on append
  storage::Tenant tenant;
  std::string alarm_name;
  AlarmType alarm_type = AlarmType::kMetric;
  HistoryItemType item_type = HistoryItemType::kStateUpdate;
  int64_t ts_ms = 0;
  std::string summary;
  std::string data;  // HistoryData JSON
};

struct HistoryQuery {
  std::string alarm_name;              // "" = every alarm
  std::vector<AlarmType> alarm_types;  // empty = both
  std::optional<HistoryItemType> item_type;
  std::optional<int64_t> start_ms, end_ms;  // inclusive bounds
  size_t max_records = 100;
  bool ascending = false;  // ScanBy TimestampAscending
  std::string next_token;
};

struct HistoryPage {
  std::vector<HistoryItem> items;
  std::string next_token;  // "" = no more
};

// One pending webhook delivery (the document is the dispatcher's JSON; opaque here).
struct OutboxEntry {
  int64_t id = 0;
  storage::Tenant tenant;
  std::string alarm_name;
  std::string doc;
  int64_t attempts = 0;
  int64_t next_attempt_ms = 0;
};

class AlarmStore {
 public:
  static Result<std::unique_ptr<AlarmStore>> open(const std::string& path);
  ~AlarmStore();
  AlarmStore(const AlarmStore&) = delete;
  AlarmStore& operator=(const AlarmStore&) = delete;

  // One transaction: upsert states, append history (ids assigned into the items), set
  // checkpoints (period_ms -> tick_ms).
  Status commit(std::span<const AlarmStateRecord> states, std::span<HistoryItem> history,
                const std::map<int64_t, int64_t>& checkpoints = {});
  Status delete_state(const storage::Tenant& tenant, std::string_view name);
  // Every state row of every tenant.
  Result<std::vector<AlarmStateRecord>> load_states();
  Result<std::map<int64_t, int64_t>> load_checkpoints();

  // InvalidArgument "InvalidNextToken: ..." for a token this store did not issue.
  Result<HistoryPage> query_history(const storage::Tenant& tenant, const HistoryQuery& query);
  // Deletes items with ts_ms < cutoff_ms; returns how many.
  Result<int64_t> purge_history(int64_t cutoff_ms);

  Result<int64_t> add_outbox(const OutboxEntry& entry);
  Status update_outbox(int64_t id, int64_t attempts, int64_t next_attempt_ms);
  Status remove_outbox(int64_t id);
  Result<std::vector<OutboxEntry>> load_outbox();

 private:
  struct Impl;
  explicit AlarmStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsight::alarm

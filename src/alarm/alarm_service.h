#pragma once
// AlarmService: CloudWatch-style metric and composite alarms for every tenant of the server.
// The REST API, the AWS front end and the CLI are thin layers over these calls.
//
// Design
// - Definitions are configuration objects in the meta store (kind "alarm", name = AlarmName,
//   document = alarm_doc(), CloudWatch field names); alarm targets are objects of kind
//   "alarm-target". Runtime state, history, scheduler checkpoints and the action outbox live
//   in AlarmStore (<data>/alarms.db). Everything is loaded into memory at open().
// - Scheduler: metric alarms are grouped by Period. run_due() (called every second by the
//   scheduler thread, or directly by tests with a ManualClock) evaluates each group once per
//   aligned period: at tick T = floor((now - evaluation_delay) / Period) * Period every alarm
//   of the group is evaluated over the range ending at T (evaluation.h). Alarms put since the
//   last tick are evaluated on the next run_due(). Data is read through the injected
//   AlarmDataSource without the service lock held; no thread per alarm. The tick of each group
//   is checkpointed with the state changes in one transaction, so after a restart every group
//   whose tick passed while the process was down is evaluated at once (pending evaluations
//   survive), as are held composite actions and undelivered webhooks (the outbox).
// - Composite alarms are evaluated when put and whenever one of their children changes state
//   (transitively through nested composites; cycles are rejected at put time, as are unknown
//   children and suppressors). TRUE -> ALARM, FALSE -> OK.
// - SetAlarmState forces a state (with history, event and actions) until the alarm's next
//   evaluation replaces it.
// - On every state change: a StateUpdate history item, an EventBridge "CloudWatch Alarm State
//   Change" event to the event sink, and the actions of the new state (if ActionsEnabled)
//   handed to the ActionDispatcher (composites: subject to action suppression,
//   suppression.h). Delivery results become Action history items.
// - History is kept for history_retention_ms (default 30 days; CloudWatch keeps 2 weeks),
//   purged hourly by run_due().
//
// Thread safety: all public methods are thread-safe. Mutations are serialised (one at a time,
// including a scheduler pass); describe calls only wait for in-memory updates, not for disk.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "alarm/action_dispatcher.h"
#include "alarm/action_target.h"
#include "alarm/alarm_event.h"
#include "alarm/alarm_json.h"
#include "alarm/alarm_model.h"
#include "alarm/alarm_rule.h"
#include "alarm/alarm_store.h"
#include "common/background_worker.h"
#include "common/clock.h"
#include "storage/meta/meta_store.h"

namespace opsight::alarm {

inline constexpr int64_t kDefaultHistoryRetentionMs = 30LL * 86'400'000;
inline constexpr std::string_view kInitialStateReason = "Unchecked: Initial alarm creation";

// Receives every state change as an EventBridge event (alarm_event.h). Called without the
// service's state lock held, from the thread that made the change, but while mutations are
// serialised: it must not call AlarmService mutators (queue the event instead).
using EventSink = std::function<void(const storage::Tenant& tenant, const std::string& event)>;

struct AlarmServiceOptions {
  std::string state_db_path;  // e.g. <data>/alarms.db
  Clock* clock = Clock::real();
  AlarmDataSource data_source;  // required for metric alarms to leave INSUFFICIENT_DATA
  EventSink event_sink;         // optional
  int64_t history_retention_ms = kDefaultHistoryRetentionMs;
  // Evaluate the period ending at T only at T + delay (late samples).
  int64_t evaluation_delay_ms = 0;
  std::string external_url;    // links in notifications
  DispatcherOptions dispatch;  // its clock defaults to `clock`
};

struct AlarmServiceStats {
  uint64_t evaluations = 0;
  uint64_t evaluation_errors = 0;
  uint64_t transitions = 0;
  size_t alarms = 0;
};

class AlarmService {
 public:
  // `meta` must outlive the service.
  static Result<std::unique_ptr<AlarmService>> open(storage::meta::MetaStore* meta,
                                                    AlarmServiceOptions options);
  ~AlarmService();
  AlarmService(const AlarmService&) = delete;
  AlarmService& operator=(const AlarmService&) = delete;

  // PutMetricAlarm / PutCompositeAlarm bodies (alarm_model.h). Creating keeps nothing of a
  // previous alarm; updating keeps the state (CloudWatch: "its state is left unchanged").
  Status put_metric_alarm(const storage::Tenant& tenant, std::string_view json);
  Status put_composite_alarm(const storage::Tenant& tenant, std::string_view json);
  Status put_alarm(const storage::Tenant& tenant, AlarmDefinition def);
  // ResourceNotFound when a name does not exist; ValidationError when an alarm is still a child
  // or suppressor of a composite that is not deleted with it. All or nothing.
  Status delete_alarms(const storage::Tenant& tenant, const std::vector<std::string>& names);
  // EnableAlarmActions / DisableAlarmActions.
  Status set_actions_enabled(const storage::Tenant& tenant, const std::vector<std::string>& names,
                             bool enabled);
  Status set_alarm_state(const storage::Tenant& tenant, const SetAlarmStateRequest& request);

  Result<DescribeAlarmsResult> describe_alarms(const storage::Tenant& tenant,
                                               const DescribeAlarmsRequest& request) const;
  Result<HistoryPage> describe_alarm_history(const storage::Tenant& tenant,
                                             const HistoryQuery& query);

  // Alarm targets (action_target.h).
  Status put_target(const storage::Tenant& tenant, std::string_view json);
  Status delete_target(const storage::Tenant& tenant, std::string_view name);
  Result<std::vector<ActionTarget>> list_targets(const storage::Tenant& tenant);

  // One scheduler pass at the clock's now: due metric alarms, composites, suppression
  // deadlines, hourly history purge. Returns the number of metric alarms evaluated.
  size_t run_due();
  // Scheduler thread (run_due every second) and the dispatcher thread.
  void start();
  void stop();

  ActionDispatcher& dispatcher() { return *dispatcher_; }
  AlarmServiceStats stats() const;

 private:
  using Key = std::pair<storage::Tenant, std::string>;
  struct Entry {
    Key key;
    std::shared_ptr<const AlarmDefinition> def;
    std::shared_ptr<const AlarmRule> rule;  // composites
    std::vector<std::string> children;      // composites: resolved name per rule ref
    std::string suppressor;                 // composites: resolved suppressor name
    AlarmStateRecord state;
    int64_t config_updated_ms = 0;
    int64_t period_ms = 0;  // metric alarms
    int64_t last_eval_tick = 0;
  };
  struct Group {
    int64_t last_tick = 0;
    bool dirty = false;
    std::unordered_set<Entry*> members;
  };
  struct ActionRun {
    StateChange change;
    std::vector<std::string> actions;
  };
  struct Effects {
    std::map<Key, AlarmStateRecord> states;
    std::vector<HistoryItem> history;
    std::map<int64_t, int64_t> checkpoints;
    std::vector<StateChange> events;
    std::vector<ActionRun> runs;
    std::set<Key> dirty_composites;
  };

  AlarmService(storage::meta::MetaStore* meta, std::unique_ptr<AlarmStore> store,
               AlarmServiceOptions options);
  Status load();

  // mu_ held.
  void index_locked(Entry& e);
  void unindex_locked(Entry& e);
  Status check_composite_locked(const storage::Tenant& tenant, const CompositeAlarm& c,
                                std::vector<std::string>* children, std::string* suppressor);
  void transition_locked(Entry& e, StateValue s, std::string reason, std::string reason_data,
                         int64_t now, bool forced, Effects& fx);
  void evaluate_composite_locked(Entry& e, int64_t now, Effects& fx);
  void cascade_locked(int64_t now, Effects& fx);
  void suppression_tick_locked(int64_t now, Effects& fx);
  StateValue state_of_locked(const storage::Tenant& tenant, const std::string& name) const;

  // commit_mu_ held, mu_ not held: persist, publish events, enqueue actions.
  void commit(Effects& fx);
  Delivery make_delivery(const StateChange& change, const std::string& event,
                         const std::string& action);
  HistoryItem config_item(const storage::Tenant& tenant, const AlarmDefinition& def,
                          std::string_view type, const std::string* old_doc, int64_t now);

  storage::meta::MetaStore* meta_;
  std::unique_ptr<AlarmStore> store_;
  AlarmServiceOptions options_;
  Clock* clock_;
  std::unique_ptr<ActionDispatcher> dispatcher_;

  std::mutex commit_mu_;  // serialises mutations (in memory + disk)
  mutable std::mutex mu_;
  std::map<Key, Entry> alarms_;                      // guarded by mu_
  std::map<Key, std::set<std::string>> parents_;     // child -> composites; guarded by mu_
  std::map<Key, std::set<std::string>> suppresses_;  // suppressor -> composites; mu_
  std::set<Key> composites_;                         // guarded by mu_
  std::map<int64_t, Group> groups_;                  // by period ms; guarded by mu_
  int64_t last_purge_ms_ = 0;                        // guarded by commit_mu_

  std::atomic<uint64_t> evaluations_{0}, evaluation_errors_{0}, transitions_{0};
  std::unique_ptr<BackgroundWorker> scheduler_;
};

}  // namespace opsight::alarm

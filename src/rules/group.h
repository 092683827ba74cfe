#pragma once
// One rule group: evaluates its rules in order at a timestamp, writes the results back through
// the storage contract, and keeps the alert state. Semantics follow Prometheus 2.42's rules
// package (rules/group.go, recording.go, alerting.go; documented in configuration/
// recording_rules.md and alerting_rules.md):
//
// - eval(ts) runs each rule as an instant query at ts; a later rule sees what earlier rules of
//   the same evaluation wrote (each rule's samples are committed before the next rule runs).
// - Recording rule: the result vector (a scalar becomes one sample without labels) gets
//   __name__ = record and the rule's labels; two samples with the same resulting label set, or
//   more series than the group's limit, fail the rule. Series written at the previous evaluation
//   and missing now get a staleness marker at ts.
// - Alerting rule: each result sample (labels + rule labels with templates expanded, alertname)
//   is an alert: inactive -> pending -> firing once it has been active for `for`; when it stops
//   matching it is resolved (kept 15 minutes for resending) unless keep_firing_for keeps it
//   firing. ALERTS{alertname, alertstate, ...} = 1 and ALERTS_FOR_STATE = activeAt (seconds) are
//   written for every pending/firing alert, with the same staleness handling. Firing and newly
//   resolved alerts are handed to `notify` every resend_delay (Prometheus's needsSending).
// - A failing rule gets health "err" and its error; the remaining rules still run.
//
// Limitations: the `for` state is not restored from ALERTS_FOR_STATE on restart (alerts start
// over as pending); `query` in templates is not supported.
//
// Thread safety: eval(), mark_stale() and copy_state_from() are called by one thread at a time
// (the group's runner); status() may be called from any thread at any time.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/labels.h"
#include "query/promql/engine.h"
#include "rules/rule_file.h"
#include "storage/metric_store.h"

namespace opsight::rules {

inline constexpr int64_t kResolvedRetentionMs = 15 * 60'000;

enum class AlertState { kInactive, kPending, kFiring };
std::string_view alert_state_name(AlertState s);  // "inactive", "pending", "firing"

enum class RuleHealth { kUnknown, kOk, kErr };
std::string_view rule_health_name(RuleHealth h);  // "unknown", "ok", "err"

struct Alert {
  AlertState state = AlertState::kInactive;
  Labels labels;       // result labels + expanded rule labels + alertname
  Labels annotations;  // expanded
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;  // 0 = not resolved
  int64_t last_sent_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t keep_firing_since_ms = 0;  // 0 = not kept firing
};

// An alert as sent to receivers (Prometheus's notifier.Alert).
struct NotifyAlert {
  Labels labels;
  Labels annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string generator_url;
};
using NotifyFn = std::function<void(std::vector<NotifyAlert>)>;

struct RuleStatus {
  std::shared_ptr<const RuleSpec> spec;
  RuleHealth health = RuleHealth::kUnknown;
  std::string last_error;
  double eval_seconds = 0;
  int64_t last_eval_ms = 0;                  // wall time the last evaluation started; 0 = never
  AlertState state = AlertState::kInactive;  // alerting: the highest state of its alerts
  std::vector<Alert> alerts;                 // alerting: pending and firing alerts
};

struct GroupStatus {
  std::string name;
  std::string file;
  int64_t interval_ms = 0;
  int64_t limit = 0;
  std::vector<RuleStatus> rules;
  double eval_seconds = 0;
  int64_t last_eval_ms = 0;  // 0 = never
};

struct GroupOptions {
  storage::MetricStore* store = nullptr;
  storage::Tenant tenant;
  const query::promql::Engine* engine = nullptr;
  Clock* clock = Clock::real();  // evaluation durations and last-evaluation times
  int64_t default_interval_ms = 60'000;
  Labels external_labels;    // $externalLabels in templates
  std::string external_url;  // $externalURL, generatorURL prefix
  int64_t resend_delay_ms = 60'000;
  NotifyFn notify;  // may be empty
};

class Group {
 public:
  Group(GroupSpec spec, GroupOptions options);

  const std::string& name() const { return spec_.name; }
  const std::string& file() const { return spec_.file; }
  int64_t interval_ms() const { return interval_ms_; }
  size_t size() const { return spec_.rules.size(); }

  // Prometheus's evalTimestamp: the latest slot <= now_ms, where slots are interval_ms apart and
  // offset by hash(name, file) % interval, so groups spread over the interval and a restart
  // keeps the same slots.
  int64_t eval_timestamp(int64_t now_ms) const;

  // Evaluates every rule at ts (ms).
  void eval(int64_t ts);
  // Writes staleness markers at ts for all series written by the last evaluation (the group
  // is being removed).
  void mark_stale(int64_t ts);
  // Takes over alert state and last-written series of rules with the same type, name and query
  // from `old` (reload).
  void copy_state_from(Group& old);
  // Counts an evaluation that did not happen because the previous one ran late.
  void add_missed(int64_t n);

  GroupStatus status() const;

 private:
  struct RuleState {
    std::shared_ptr<const RuleSpec> spec;
    RuleHealth health = RuleHealth::kUnknown;
    std::string last_error;
    double eval_seconds = 0;
    int64_t last_eval_ms = 0;
    std::map<uint64_t, Alert> active;        // alerting: by label hash
    std::map<Labels, bool> previous_series;  // written at the previous evaluation
  };
  struct Output {
    Labels labels;
    double value;
  };

  Result<std::vector<Output>> eval_recording(RuleState& r, int64_t ts);
  Result<std::vector<Output>> eval_alerting(RuleState& r, int64_t ts);
  void send_alerts(RuleState& r, int64_t ts);
  Status write(const std::vector<Output>& out, int64_t ts, RuleState& r);

  GroupSpec spec_;
  GroupOptions opts_;
  int64_t interval_ms_;
  mutable std::mutex mu_;  // guards rules_' status fields and alerts, eval_seconds_, last_eval_ms_
  std::vector<RuleState> rules_;
  double eval_seconds_ = 0;
  int64_t last_eval_ms_ = 0;
};

}  // namespace opsight::rules

#pragma once
// Tells people about incident changes: the IncidentService's on_event hook (aiops/correlate)
// feeds on_event(); every configured target that wants the change (NotifyTarget::on) gets one
// request rendered by notify_templates.h.
//
// Design
// - Delivery is the alarm actions' (alarm/action_dispatcher.h), not a second loop: on_event()
//   enqueues an alarm::Delivery with owner "incident" into a dispatcher (normally the alarm
//   service's), which persists it in its outbox (a restart resumes it), retries connection
//   errors, timeouts, 429 and 5xx with exponential backoff, and fails other answers at once.
//   Each request carries X-Opsight-Dedup-Key: <event id>/<target> so receivers can drop the
//   duplicates that retries may cause (PagerDuty also dedups on dedup_key = incident id).
// - The notifier listens to the dispatcher's final results and reports every incident delivery
//   through `on_delivery` (a DeliveryReport): the server adds it to the incident's timeline as
//   an entry of type "action" (timeline_text() / data_json()).
// - A target that cannot be rendered for a change (jira / servicenow after opened) is skipped
//   silently; configuration errors were refused when the config was parsed.
//
// Limits: jira and servicenow create a record on opened and are not updated afterwards (see
// notify_templates.h); a retry after a lost answer can create a duplicate Jira issue.
//
// Thread safety: on_event() and stats() are thread-safe. on_delivery runs on the dispatcher's
// thread and must not call back into the notifier's constructor/destructor.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "aiops/respond/notify_templates.h"
#include "alarm/action_dispatcher.h"
#include "common/clock.h"
#include "common/status.h"
#include "events/event.h"

namespace opsight::aiops::respond {

inline constexpr std::string_view kIncidentDeliveryOwner = "incident";

// The final outcome of one notification.
struct DeliveryReport {
  storage::Tenant tenant;
  std::string incident_id;
  std::string event_id;
  std::string target;       // NotifyTarget::name
  std::string target_type;  // notify_type_name()
  std::string change;       // "opened", "acknowledged", "resolved"
  std::string url;
  bool ok = false;
  int64_t attempts = 0;
  int http_status = 0;  // 0 = no HTTP answer
  std::string error;    // "" when ok
  int64_t time_ms = 0;  // when the outcome was known

  // One line for the timeline, e.g. "Notified oncall (pagerduty) of opened: HTTP 202" or
  // "Notification to oncall (pagerduty) of opened failed after 5 attempts: HTTP status 503".
  std::string timeline_text() const;
  // {"action": "notify", "target", "targetType", "change", "url", "ok", "attempts",
  //  "httpStatus"?, "error"?, "eventId"} (compact JSON object).
  std::string data_json() const;
};

using DeliveryCallback = std::function<void(const DeliveryReport&)>;

struct NotifierOptions {
  std::vector<NotifyTarget> targets;  // validated (validate_notify_target)
  // Console base URL ("http://opsight.example:4318"); links become <base>/incidents/<id>.
  // "" = no links.
  std::string external_url;
  // The top hypothesis of an incident in one line, or "" (optional). Called from on_event(), so
  // it must be cheap (e.g. a cached investigation) and must not call the IncidentService.
  std::function<std::string(const IncidentNotice&)> hypothesis;
  DeliveryCallback on_delivery;  // optional
};

struct NotifierStats {
  uint64_t events = 0;    // incident events seen
  uint64_t enqueued = 0;  // deliveries handed to the dispatcher
  uint64_t enqueue_errors = 0;
  uint64_t delivered = 0;  // final results: ok
  uint64_t failed = 0;     // final results: failed
  uint64_t ignored = 0;    // events that are not incident changes or were unreadable
};

class IncidentNotifier {
 public:
  // `dispatcher` must outlive the notifier. Registers a listener on it (removed by the
  // destructor): create the notifier before the dispatcher's thread starts, so deliveries it
  // reloads from the outbox are reported.
  IncidentNotifier(alarm::ActionDispatcher* dispatcher, NotifierOptions options);
  ~IncidentNotifier();
  IncidentNotifier(const IncidentNotifier&) = delete;
  IncidentNotifier& operator=(const IncidentNotifier&) = delete;

  // Queues the notifications of one event (any event; others are ignored). Never blocks on
  // the network; returns the number of deliveries queued.
  size_t on_event(const events::Event& event);

  bool enabled() const { return !options_.targets.empty(); }
  const std::vector<NotifyTarget>& targets() const { return options_.targets; }
  NotifierStats stats() const;

 private:
  void on_result(const alarm::Delivery& delivery, const alarm::DeliveryResult& result);

  alarm::ActionDispatcher* dispatcher_;
  NotifierOptions options_;
  int64_t listener_id_ = 0;
  std::atomic<uint64_t> events_{0}, enqueued_{0}, enqueue_errors_{0}, delivered_{0}, failed_{0},
      ignored_{0};
};

}  // namespace opsight::aiops::respond

#pragma once
// Delivers alarm actions (webhook POSTs) off the evaluation path.
//
// Design
// - enqueue() writes the delivery to the store's outbox (so a restart resumes it) and wakes the
//   worker; it never touches the network.
// - run_due() sends every delivery whose next attempt is due (blocking, one at a time): 2xx is
//   success; a connection error, timeout, 429 or 5xx is retried with exponential backoff
//   (initial_backoff_ms * 2^(attempt-1), capped at max_backoff_ms) until max_attempts; any other
//   answer, or a request that cannot be made (bad URL), fails at once. The final result becomes
//   an Action history item ("Successfully executed action ..." / "Failed to execute action
//   ...", HistoryData with actionState, attempts, httpStatus, error, dedupKey) and the outbox
//   row is removed.
// - start() runs run_due() on one thread whenever something is due (or every second); tests
//   call run_due() themselves with a ManualClock and never start the thread.
// - Other subsystems deliver through the same outbox: a Delivery with a non-empty `owner` (e.g.
//   "incident", aiops/respond/incident_notifier.h) is retried and persisted the same way, but its
//   final result is not an alarm history item; it goes to the listeners (add_listener), which
//   see every final result (alarm deliveries too).
//
// Thread safety: all public methods are thread-safe.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alarm/alarm_store.h"
#include "alarm/alarm_types.h"
#include "common/clock.h"
#include "common/status.h"

namespace opsight::alarm {

using Headers = std::vector<std::pair<std::string, std::string>>;

// POSTs `body` (application/json) to `url`; returns the HTTP status code. The default uses
// net::http_fetch.
using PostFn = std::function<Result<int>(const std::string& url, const std::string& body,
                                         const Headers& headers, int64_t timeout_ms)>;

struct Delivery {
  storage::Tenant tenant;
  std::string alarm_name;
  AlarmType alarm_type = AlarmType::kMetric;
  std::string action;  // as configured on the alarm
  std::string target_name, target_type;
  std::string url, body;
  Headers headers;
  int64_t timeout_ms = 10'000;
  std::string dedup_key;
  StateValue state = StateValue::kAlarm;
  int64_t state_ts_ms = 0;
  // Non-empty: the action could not be resolved (unknown target, ...): recorded as failed
  // without a request.
  std::string error;
  // "" = an alarm action (the result becomes alarm history). Otherwise the subsystem that
  // enqueued it; its result goes only to the listeners. `owner_data` is that subsystem's opaque
  // context (e.g. JSON), persisted with the delivery.
  std::string owner;
  std::string owner_data;
};

// The final result of one delivery (after the last attempt).
struct DeliveryResult {
  bool ok = false;
  int64_t attempts = 0;
  int http_status = 0;  // 0 = no HTTP answer
  std::string error;    // "" when ok
  int64_t time_ms = 0;  // when the result was known
};

// Called from the thread running run_due(), without the dispatcher's state lock. It must not
// call add_listener / remove_listener.
using DeliveryListener = std::function<void(const Delivery&, const DeliveryResult&)>;

std::string delivery_doc(const Delivery& d);
Result<Delivery> parse_delivery_doc(std::string_view json);

struct DispatcherOptions {
  int max_attempts = 5;
  int64_t initial_backoff_ms = 1'000;
  int64_t max_backoff_ms = 60'000;
  Clock* clock = Clock::real();
  PostFn post;  // empty = HTTP
};

class ActionDispatcher {
 public:
  // `store` must outlive the dispatcher.
  ActionDispatcher(AlarmStore* store, DispatcherOptions options);
  ~ActionDispatcher();
  ActionDispatcher(const ActionDispatcher&) = delete;
  ActionDispatcher& operator=(const ActionDispatcher&) = delete;

  // Reloads the outbox (call once after construction).
  Status load();
  Status enqueue(Delivery delivery);
  // Attempts every due delivery; returns the number of attempts made.
  size_t run_due();
  size_t pending() const;
  // Earliest next attempt, or INT64_MAX when nothing is pending.
  int64_t next_due_ms() const;

  // Registers a listener for every final result; returns its id. Register before start() (or
  // the first run_due()) so results of deliveries reloaded from the outbox are seen.
  int64_t add_listener(DeliveryListener listener);
  // After it returns the listener is not running and is never called again.
  void remove_listener(int64_t id);

  void start();
  void stop();

 private:
  struct Item {
    Delivery d;
    int64_t attempts = 0;
    int64_t next_ms = 0;
    bool in_flight = false;
  };
  void record(const Item& item, bool ok, int http_status, const std::string& error);
  void loop();

  AlarmStore* store_;
  DispatcherOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Item> items_;  // by outbox id; guarded by mu_
  bool stop_ = false;              // guarded by mu_
  bool kick_ = false;              // guarded by mu_
  std::thread thread_;
  // Held while listeners run, so remove_listener() waits for a running call.
  std::mutex listeners_mu_;
  std::map<int64_t, DeliveryListener> listeners_;  // guarded by listeners_mu_
  int64_t next_listener_id_ = 1;                   // guarded by listeners_mu_
};

}  // namespace opsight::alarm

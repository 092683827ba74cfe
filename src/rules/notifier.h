#pragma once
// Sends alerts to webhook receivers in the Alertmanager webhook format (version "4", documented
// at prometheus.io/docs/alerting/latest/configuration/#webhook_config), so anything that accepts
// Alertmanager webhooks accepts opsight's alerts without an Alertmanager in between.
//
// Design
// - send() only enqueues (never blocks on the network): a bounded queue of alerts; when full,
//   the oldest alerts are dropped and counted (opsight_notifications_dropped_total), as
//   Prometheus's notifier does with its queue capacity.
// - One sender thread takes up to kMaxBatch alerts at a time; per webhook it groups them by
//   alertname (groupLabels {alertname}, groupKey `{}:{alertname="..."}` like an Alertmanager
//   with the default route) and POSTs one JSON document per group, with the webhook's timeout,
//   retrying failures (connection errors, 5xx, 429) with exponential backoff up to max_attempts.
// - External labels are added to every alert that does not have them (Prometheus's notifier).
// - An alert is "resolved" when its endsAt is not after the send time; webhooks with
//   send_resolved: false never see resolved alerts.
//
// Thread safety: all public methods are thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/labels.h"
#include "common/status.h"
#include "rules/group.h"

namespace opsight::rules {

struct WebhookConfig {
  std::string name = "webhook";  // the "receiver" field
  std::string url;
  int64_t timeout_ms = 10'000;
  bool send_resolved = true;
  size_t max_alerts = 0;  // per message; 0 = all (the rest counted in truncatedAlerts)
};

// POSTs `body` as JSON to `url`; returns the HTTP status. The default uses net::http_request.
using PostFn =
    std::function<Result<int>(const std::string& url, const std::string& body, int64_t timeout_ms)>;

struct NotifierOptions {
  std::vector<WebhookConfig> webhooks;
  std::string external_url;
  Labels external_labels;
  size_t queue_capacity = 10'000;  // alerts
  int max_attempts = 3;
  int64_t initial_backoff_ms = 500;
  int64_t max_backoff_ms = 10'000;
  Clock* clock = Clock::real();
  PostFn post;  // empty = HTTP
};

class Notifier {
 public:
  static constexpr size_t kMaxBatch = 64;

  explicit Notifier(NotifierOptions options);
  ~Notifier();  // stop()
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Starts the sender thread.
  void start();
  // Stops the sender thread after at most one more batch; queued alerts are discarded.
  void stop();
  // Enqueues alerts (from a rule group's evaluation).
  void send(std::vector<NotifyAlert> alerts);
  // Sends everything queued on the calling thread; for tests and when no thread runs.
  void flush();

  struct Stats {
    uint64_t sent = 0;     // alerts delivered (per webhook)
    uint64_t dropped = 0;  // alerts dropped from a full queue
    uint64_t errors = 0;   // deliveries that failed after all attempts
    size_t queued = 0;
  };
  Stats stats() const;

 private:
  void run();
  void deliver(std::vector<NotifyAlert> batch);
  // Returns false when stop() interrupted the retries.
  bool post_with_retries(const WebhookConfig& w, const std::string& body);

  NotifierOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<NotifyAlert> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;          // GUARDED_BY(mu_)
  Stats stats_;                    // GUARDED_BY(mu_) except queued
  std::thread thread_;
};

// The Alertmanager webhook document for `alerts` (all of one group) sent to `w` at now_ms.
std::string webhook_payload(const WebhookConfig& w, const std::vector<NotifyAlert>& alerts,
                            const Labels& group_labels, std::string_view external_url,
                            int64_t now_ms);
// Alertmanager's alert fingerprint: FNV-1a 64 over sorted "name\xffvalue\xff", as 16 hex digits.
std::string alert_fingerprint(const Labels& labels);
// RFC 3339 with nanosecond precision trimmed like Go's time.RFC3339Nano, in UTC.
std::string rfc3339_nano(int64_t ms);

}  // namespace opsight::rules

#include "rules/notifier.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include "common/json_writer.h"
#include "common/logging.h"
#include "common/self_metrics.h"
#include "net/http_client.h"

namespace opsight::rules {

namespace {

struct Probe {
  metrics::Counter* sent;
  metrics::Counter* dropped;
  metrics::Counter* errors;
  metrics::Gauge* queue_length;
  static const Probe& get() {
    static const Probe p = [] {
      auto& r = metrics::Registry::global();
      return Probe{r.counter("opsight_notifications_sent_total", "Alerts delivered to webhooks."),
                   r.counter("opsight_notifications_dropped_total",
                             "Alerts dropped because the notification queue was full."),
                   r.counter("opsight_notifications_errors_total",
                             "Webhook deliveries that failed after all retries."),
                   r.gauge("opsight_notifications_queue_length", "Alerts waiting to be sent.")};
    }();
    return p;
  }
};

Result<int> http_post(const std::string& url, const std::string& body, int64_t timeout_ms) {
  ASSIGN_OR_RETURN(net::ClientResponse resp,
                   net::http_request("POST", url, body, {{"Content-Type", "application/json"}},
                                     static_cast<int>(timeout_ms)));
  return resp.status;
}

void write_labels(json::Writer& w, const Labels& l) {
  w.begin_object();
  for (const auto& x : l) w.kv(x.name, x.value);
  w.end_object();
}

// Labels (name and value) that every set has in common.
Labels common(const std::vector<const Labels*>& sets) {
  if (sets.empty()) return {};
  std::vector<Label> out;
  for (const auto& l : *sets[0]) {
    bool all = true;
    for (size_t i = 1; i < sets.size() && all; i++)
      all = sets[i]->get(l.name) == l.value && sets[i]->has(l.name);
    if (all) out.push_back(l);
  }
  return Labels::from_sorted(std::move(out));
}

}  // namespace

std::string rfc3339_nano(int64_t ms) {
  int64_t secs = ms / 1000, frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs--;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buf;
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

std::string alert_fingerprint(const Labels& labels) {
  uint64_t h = 14695981039346656037ULL;
  auto add = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  for (const auto& l : labels) {
    add(l.name);
    add("\xff");
    add(l.value);
    add("\xff");
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string webhook_payload(const WebhookConfig& w, const std::vector<NotifyAlert>& alerts,
                            const Labels& group_labels, std::string_view external_url,
                            int64_t now_ms) {
  size_t n = w.max_alerts > 0 ? std::min(w.max_alerts, alerts.size()) : alerts.size();
  bool any_firing = false;
  std::vector<const Labels*> ls, as;
  for (const auto& a : alerts) {
    if (a.ends_at_ms == 0 || a.ends_at_ms > now_ms) any_firing = true;
    ls.push_back(&a.labels);
    as.push_back(&a.annotations);
  }
  json::Writer j;
  j.begin_object();
  j.kv("receiver", w.name);
  j.kv("status", any_firing ? "firing" : "resolved");
  j.key("alerts").begin_array();
  for (size_t i = 0; i < n; i++) {
    const NotifyAlert& a = alerts[i];
    bool resolved = a.ends_at_ms != 0 && a.ends_at_ms <= now_ms;
    j.begin_object();
    j.kv("status", resolved ? "resolved" : "firing");
    j.key("labels");
    write_labels(j, a.labels);
    j.key("annotations");
    write_labels(j, a.annotations);
    j.kv("startsAt", rfc3339_nano(a.starts_at_ms));
    // Alertmanager hides the end of an alert that has not ended yet.
    j.kv("endsAt", resolved ? rfc3339_nano(a.ends_at_ms) : std::string("0001-01-01T00:00:00Z"));
    j.kv("generatorURL", a.generator_url);
    j.kv("fingerprint", alert_fingerprint(a.labels));
    j.end_object();
  }
  j.end_array();
  j.key("groupLabels");
  write_labels(j, group_labels);
  j.key("commonLabels");
  write_labels(j, common(ls));
  j.key("commonAnnotations");
  write_labels(j, common(as));
  j.kv("externalURL", external_url);
  j.kv("version", "4");
  std::string key = "{}:{";
  for (size_t i = 0; i < group_labels.size(); i++) {
    if (i > 0) key += ", ";
    key += group_labels[i].name + "=";
    append_quoted(key, group_labels[i].value);
  }
  j.kv("groupKey", key + "}");
  j.kv("truncatedAlerts", static_cast<int64_t>(alerts.size() - n));
  j.end_object();
  return j.take();
}

Notifier::Notifier(NotifierOptions options) : opts_(std::move(options)) {
  if (!opts_.post) opts_.post = http_post;
  if (opts_.queue_capacity == 0) opts_.queue_capacity = 1;
  if (opts_.max_attempts < 1) opts_.max_attempts = 1;
}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  std::lock_guard<std::mutex> l(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void Notifier::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::send(std::vector<NotifyAlert> alerts) {
  if (alerts.empty()) return;
  const Probe& probe = Probe::get();
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& a : alerts) {
      for (const auto& el : opts_.external_labels) {
        if (!a.labels.has(el.name))
          a.labels = LabelsBuilder(a.labels).set(el.name, el.value).build();
      }
      queue_.push_back(std::move(a));
    }
    while (queue_.size() > opts_.queue_capacity) {
      queue_.pop_front();
      stats_.dropped++;
      probe.dropped->inc();
    }
    probe.queue_length->set(static_cast<double>(queue_.size()));
  }
  cv_.notify_all();
}

Notifier::Stats Notifier::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  Stats s = stats_;
  s.queued = queue_.size();
  return s;
}

void Notifier::run() {
  while (true) {
    std::vector<NotifyAlert> batch;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      Probe::get().queue_length->set(static_cast<double>(queue_.size()));
    }
    deliver(std::move(batch));
  }
}

void Notifier::flush() {
  while (true) {
    std::vector<NotifyAlert> batch;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (queue_.empty()) return;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      Probe::get().queue_length->set(static_cast<double>(queue_.size()));
    }
    deliver(std::move(batch));
  }
}

void Notifier::deliver(std::vector<NotifyAlert> batch) {
  int64_t now = opts_.clock->now_ms();
  for (const auto& w : opts_.webhooks) {
    std::map<std::string, std::vector<NotifyAlert>> groups;
    for (const auto& a : batch) {
      bool resolved = a.ends_at_ms != 0 && a.ends_at_ms <= now;
      if (resolved && !w.send_resolved) continue;
      groups[std::string(a.labels.get("alertname"))].push_back(a);
    }
    for (auto& [name, alerts] : groups) {
      std::string body =
          webhook_payload(w, alerts, Labels{{"alertname", name}}, opts_.external_url, now);
      bool ok = post_with_retries(w, body);
      std::lock_guard<std::mutex> l(mu_);
      if (ok) {
        stats_.sent += alerts.size();
        Probe::get().sent->inc(alerts.size());
      } else {
        stats_.errors++;
        Probe::get().errors->inc();
      }
    }
  }
}

bool Notifier::post_with_retries(const WebhookConfig& w, const std::string& body) {
  int64_t backoff = opts_.initial_backoff_ms;
  for (int attempt = 1;; attempt++) {
    auto r = opts_.post(w.url, body, w.timeout_ms);
    if (r.ok() && *r >= 200 && *r < 300) return true;
    bool retryable = !r.ok() || *r >= 500 || *r == 429;
    std::string why = r.ok() ? "HTTP " + std::to_string(*r) : r.status().message();
    if (!retryable || attempt >= opts_.max_attempts) {
      log::warn("webhook \"{}\" ({}): giving up after {} attempt(s): {}", w.name, w.url, attempt,
                why);
      return false;
    }
    std::unique_lock<std::mutex> l(mu_);
    if (cv_.wait_for(l, std::chrono::milliseconds(backoff), [this] { return stopping_; }))
      return false;
    backoff = std::min(backoff * 2, opts_.max_backoff_ms);
  }
}

}  // namespace opsight::rules

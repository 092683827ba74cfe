#include "alarm/action_dispatcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "alarm/json_util.h"
#include "common/json_writer.h"
#include "common/logging.h"
#include "net/http_client.h"

namespace opsight::alarm {
namespace {

namespace dom = simdjson::dom;

Result<int> http_post(const std::string& url, const std::string& body, const Headers& headers,
                      int64_t timeout_ms) {
  Headers h = headers;
  h.emplace_back("Content-Type", "application/json");
  net::FetchOptions o;
  o.timeout_ms = timeout_ms;
  o.max_body_bytes = 1 << 20;
  auto r = net::http_fetch("POST", url, body, h, o);
  if (!r.ok()) return r.status();
  return r->status;
}

bool retryable(const Result<int>& r) {
  if (!r.ok()) {
    const Code c = r.status().code();
    return c == Code::kUnavailable || c == Code::kDeadlineExceeded || c == Code::kIOError;
  }
  return *r == 429 || *r >= 500;
}

}  // namespace

std::string delivery_doc(const Delivery& d) {
  json::Writer w(512);
  w.begin_object();
  w.kv("account", d.tenant.account).kv("region", d.tenant.region);
  w.kv("alarmName", d.alarm_name).kv("alarmType", alarm_type_name(d.alarm_type));
  w.kv("action", d.action).kv("targetName", d.target_name).kv("targetType", d.target_type);
  w.kv("url", d.url).kv("body", d.body);
  w.key("headers").begin_array();
  for (const auto& [k, v] : d.headers) w.begin_array().value(k).value(v).end_array();
  w.end_array();
  w.kv("timeoutMs", d.timeout_ms).kv("dedupKey", d.dedup_key);
  w.kv("state", state_name(d.state)).kv("stateTs", d.state_ts_ms).kv("error", d.error);
  if (!d.owner.empty()) w.kv("owner", d.owner).kv("ownerData", d.owner_data);
  w.end_object();
  return w.take();
}

Result<Delivery> parse_delivery_doc(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "delivery"));
  Delivery d;
  std::optional<std::string> account, region, name, type, action, tname, ttype, url, body, dedup,
      state, error, owner, owner_data;
  std::optional<int64_t> timeout, ts;
  RETURN_IF_ERROR(jsonu::get_string(obj, "account", &account));
  RETURN_IF_ERROR(jsonu::get_string(obj, "region", &region));
  RETURN_IF_ERROR(jsonu::get_string(obj, "alarmName", &name));
  RETURN_IF_ERROR(jsonu::get_string(obj, "alarmType", &type));
  RETURN_IF_ERROR(jsonu::get_string(obj, "action", &action));
  RETURN_IF_ERROR(jsonu::get_string(obj, "targetName", &tname));
  RETURN_IF_ERROR(jsonu::get_string(obj, "targetType", &ttype));
  RETURN_IF_ERROR(jsonu::get_string(obj, "url", &url));
  RETURN_IF_ERROR(jsonu::get_string(obj, "body", &body));
  RETURN_IF_ERROR(jsonu::get_string(obj, "dedupKey", &dedup));
  RETURN_IF_ERROR(jsonu::get_string(obj, "state", &state));
  RETURN_IF_ERROR(jsonu::get_string(obj, "error", &error));
  RETURN_IF_ERROR(jsonu::get_string(obj, "owner", &owner));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ownerData", &owner_data));
  RETURN_IF_ERROR(jsonu::get_int(obj, "timeoutMs", &timeout));
  RETURN_IF_ERROR(jsonu::get_int(obj, "stateTs", &ts));
  d.tenant = {account.value_or(""), region.value_or("")};
  d.alarm_name = name.value_or("");
  d.alarm_type = parse_alarm_type(type.value_or("")).value_or(AlarmType::kMetric);
  d.action = action.value_or("");
  d.target_name = tname.value_or("");
  d.target_type = ttype.value_or("");
  d.url = url.value_or("");
  d.body = body.value_or("");
  d.dedup_key = dedup.value_or("");
  d.state = parse_state(state.value_or("")).value_or(StateValue::kAlarm);
  d.error = error.value_or("");
  d.owner = owner.value_or("");
  d.owner_data = owner_data.value_or("");
  d.timeout_ms = timeout.value_or(10'000);
  d.state_ts_ms = ts.value_or(0);
  dom::element headers;
  if (jsonu::member(obj, "headers", &headers)) {
    dom::array arr;
    if (headers.get_array().get(arr)) return Status::corruption("delivery: bad headers");
    for (dom::element pair : arr) {
      dom::array kv;
      std::string_view k, v;
      if (pair.get_array().get(kv) || kv.size() != 2 || kv.at(0).get_string().get(k) ||
          kv.at(1).get_string().get(v)) {
        return Status::corruption("delivery: bad header");
      }
      d.headers.emplace_back(std::string(k), std::string(v));
    }
  }
  return d;
}

ActionDispatcher::ActionDispatcher(AlarmStore* store, DispatcherOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.post) options_.post = http_post;
  if (options_.clock == nullptr) options_.clock = Clock::real();
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

ActionDispatcher::~ActionDispatcher() {
  stop();
}

Status ActionDispatcher::load() {
  ASSIGN_OR_RETURN(auto rows, store_->load_outbox());
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& row : rows) {
    auto d = parse_delivery_doc(row.doc);
    if (!d.ok()) {
      log::warn("alarm outbox entry {} is unreadable, dropped: {}", row.id, d.status().message());
      (void)store_->remove_outbox(row.id);
      continue;
    }
    items_[row.id] = Item{std::move(*d), row.attempts, row.next_attempt_ms, false};
  }
  return OkStatus();
}

Status ActionDispatcher::enqueue(Delivery delivery) {
  OutboxEntry e;
  e.tenant = delivery.tenant;
  e.alarm_name = delivery.alarm_name;
  e.doc = delivery_doc(delivery);
  e.next_attempt_ms = options_.clock->now_ms();
  ASSIGN_OR_RETURN(int64_t id, store_->add_outbox(e));
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_[id] = Item{std::move(delivery), 0, e.next_attempt_ms, false};
    kick_ = true;
  }
  cv_.notify_one();
  return OkStatus();
}

size_t ActionDispatcher::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

int64_t ActionDispatcher::next_due_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t next = std::numeric_limits<int64_t>::max();
  for (const auto& [id, item] : items_) {
    if (!item.in_flight) next = std::min(next, item.next_ms);
  }
  return next;
}

int64_t ActionDispatcher::add_listener(DeliveryListener listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  const int64_t id = next_listener_id_++;
  listeners_[id] = std::move(listener);
  return id;
}

void ActionDispatcher::remove_listener(int64_t id) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.erase(id);
}

void ActionDispatcher::record(const Item& item, bool ok, int http_status,
                              const std::string& error) {
  const Delivery& d = item.d;
  {
    DeliveryResult result{ok, item.attempts, http_status, ok ? std::string() : error,
                          options_.clock->now_ms()};
    std::lock_guard<std::mutex> lock(listeners_mu_);
    for (const auto& [id, listener] : listeners_) listener(d, result);
  }
  if (!d.owner.empty()) return;  // not an alarm action: no alarm history
  HistoryItem h;
  h.tenant = d.tenant;
  h.alarm_name = d.alarm_name;
  h.alarm_type = d.alarm_type;
  h.item_type = HistoryItemType::kAction;
  h.ts_ms = options_.clock->now_ms();
  h.summary =
      ok ? fmt::format("Successfully executed action {}", d.action)
         : fmt::format("Failed to execute action {}. Received error: \"{}\"", d.action, error);
  json::Writer w(256);
  w.begin_object();
  w.kv("actionState", ok ? "Succeeded" : "Failed");
  w.kv("stateUpdateTimestamp", d.state_ts_ms);
  w.kv("notificationResource", d.action);
  w.kv("state", state_name(d.state));
  if (!d.target_name.empty()) w.kv("target", d.target_name);
  if (!d.target_type.empty()) w.kv("targetType", d.target_type);
  if (!d.url.empty()) w.kv("url", d.url);
  w.kv("attempts", item.attempts);
  if (http_status > 0) w.kv("httpStatus", http_status);
  if (!error.empty()) w.kv("error", error);
  w.kv("dedupKey", d.dedup_key);
  w.end_object();
  h.data = w.take();
  std::vector<HistoryItem> items{std::move(h)};
  if (Status st = store_->commit({}, items); !st.ok()) {
    log::warn("alarm action history for {} not recorded: {}", d.alarm_name, st.message());
  }
}

size_t ActionDispatcher::run_due() {
  size_t attempts = 0;
  for (;;) {
    int64_t id = 0;
    Item item;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const int64_t now = options_.clock->now_ms();
      auto it = std::find_if(items_.begin(), items_.end(), [&](const auto& kv) {
        return !kv.second.in_flight && kv.second.next_ms <= now;
      });
      if (it == items_.end() || stop_) break;
      it->second.in_flight = true;
      id = it->first;
      item = it->second;
    }
    item.attempts++;
    attempts++;
    bool done = true, ok = false;
    int http_status = 0;
    std::string error = item.d.error;
    if (error.empty()) {
      Result<int> r = options_.post(item.d.url, item.d.body, item.d.headers, item.d.timeout_ms);
      if (r.ok()) {
        http_status = *r;
        ok = http_status >= 200 && http_status < 300;
        if (!ok) error = fmt::format("HTTP status {}", http_status);
      } else {
        error = r.status().message();
      }
      if (!ok && retryable(r) && item.attempts < options_.max_attempts) done = false;
    }
    if (done) {
      record(item, ok, http_status, error);
      (void)store_->remove_outbox(id);
      std::lock_guard<std::mutex> lock(mu_);
      items_.erase(id);
      continue;
    }
    int64_t backoff = options_.initial_backoff_ms;
    for (int64_t i = 1; i < item.attempts && backoff < options_.max_backoff_ms; i++) backoff *= 2;
    backoff = std::min(backoff, options_.max_backoff_ms);
    const int64_t next = options_.clock->now_ms() + backoff;
    (void)store_->update_outbox(id, item.attempts, next);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = items_.find(id);
    if (it != items_.end()) {
      it->second.attempts = item.attempts;
      it->second.next_ms = next;
      it->second.in_flight = false;
    }
  }
  return attempts;
}

void ActionDispatcher::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void ActionDispatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ActionDispatcher::loop() {
  for (;;) {
    run_due();
    const int64_t next = next_due_ms();
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    const int64_t now = options_.clock->now_ms();
    const int64_t wait_ms = std::clamp<int64_t>(next - now, 0, 1'000);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return stop_ || kick_; });
    kick_ = false;
    if (stop_) return;
  }
}

}  // namespace opsight::alarm

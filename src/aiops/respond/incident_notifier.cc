#include "aiops/respond/incident_notifier.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "alarm/action_target.h"  // kDedupHeader
#include "common/json_writer.h"
#include "common/logging.h"

namespace opsight::aiops::respond {
namespace {

namespace dom = simdjson::dom;

// Delivery::owner_data of an incident delivery.
std::string owner_data(const IncidentNotice& n, const NotifyTarget& t) {
  json::Writer w(128);
  w.begin_object();
  w.kv("incidentId", n.incident_id).kv("eventId", n.event_id);
  w.kv("change", incident_change_name(n.kind)).kv("target", t.name);
  w.end_object();
  return w.take();
}

}  // namespace

std::string DeliveryReport::timeline_text() const {
  if (ok) {
    return fmt::format("Notified {} ({}) of {}: HTTP {}", target, target_type, change, http_status);
  }
  return fmt::format("Notification to {} ({}) of {} failed after {} attempt{}: {}", target,
                     target_type, change, attempts, attempts == 1 ? "" : "s", error);
}

std::string DeliveryReport::data_json() const {
  json::Writer w(256);
  w.begin_object();
  w.kv("action", "notify").kv("target", target).kv("targetType", target_type);
  w.kv("change", change).kv("url", url).kv("ok", ok).kv("attempts", attempts);
  if (http_status > 0) w.kv("httpStatus", http_status);
  if (!error.empty()) w.kv("error", error);
  w.kv("eventId", event_id);
  w.end_object();
  return w.take();
}

IncidentNotifier::IncidentNotifier(alarm::ActionDispatcher* dispatcher, NotifierOptions options)
    : dispatcher_(dispatcher), options_(std::move(options)) {
  while (!options_.external_url.empty() && options_.external_url.back() == '/') {
    options_.external_url.pop_back();
  }
  listener_id_ = dispatcher_->add_listener(
      [this](const alarm::Delivery& d, const alarm::DeliveryResult& r) { on_result(d, r); });
}

IncidentNotifier::~IncidentNotifier() {
  dispatcher_->remove_listener(listener_id_);
}

size_t IncidentNotifier::on_event(const events::Event& event) {
  if (event.source != kIncidentEventSource) return 0;
  events_++;
  auto notice = parse_incident_event(event);
  if (!notice.ok()) {
    ignored_++;
    log::warn("incident notification skipped: {}", notice.status().message());
    return 0;
  }
  if (notice->kind == IncidentChange::kNone) return 0;
  bool wanted = false;
  for (const auto& t : options_.targets) wanted = wanted || target_wants(t, notice->kind);
  if (!wanted) return 0;
  NotifyContext ctx;
  if (options_.hypothesis) ctx.hypothesis = options_.hypothesis(*notice);
  if (!options_.external_url.empty()) {
    ctx.incident_url = fmt::format("{}/incidents/{}", options_.external_url, notice->incident_id);
  }
  size_t queued = 0;
  for (const auto& t : options_.targets) {
    if (!target_wants(t, notice->kind)) continue;
    auto req = render_notification(t, *notice, event, ctx);
    if (!req) continue;
    alarm::Delivery d;
    d.tenant = notice->tenant;
    d.action = fmt::format("incident-target:{}", t.name);
    d.target_name = t.name;
    d.target_type = std::string(notify_type_name(t.type));
    d.url = std::move(req->url);
    d.body = std::move(req->body);
    d.headers = t.headers;
    d.dedup_key = fmt::format("{}/{}", notice->event_id, t.name);
    d.headers.emplace_back(std::string(alarm::kDedupHeader), d.dedup_key);
    d.timeout_ms = t.timeout_ms;
    d.state_ts_ms = notice->time_ms;
    d.owner = std::string(kIncidentDeliveryOwner);
    d.owner_data = owner_data(*notice, t);
    if (Status st = dispatcher_->enqueue(std::move(d)); !st.ok()) {
      enqueue_errors_++;
      log::warn("incident {}: notification to {} not queued: {}", notice->incident_id, t.name,
                st.message());
      continue;
    }
    enqueued_++;
    queued++;
  }
  return queued;
}

void IncidentNotifier::on_result(const alarm::Delivery& d, const alarm::DeliveryResult& r) {
  if (d.owner != kIncidentDeliveryOwner) return;
  if (r.ok) {
    delivered_++;
  } else {
    failed_++;
  }
  if (!options_.on_delivery) return;
  DeliveryReport rep;
  rep.tenant = d.tenant;
  rep.target = d.target_name;
  rep.target_type = d.target_type;
  rep.url = d.url;
  rep.ok = r.ok;
  rep.attempts = r.attempts;
  rep.http_status = r.http_status;
  rep.error = r.error;
  rep.time_ms = r.time_ms;
  dom::parser parser;
  dom::object obj;
  if (!parser.parse(d.owner_data).get_object().get(obj)) {
    std::string_view v;
    if (!obj["incidentId"].get_string().get(v)) rep.incident_id = std::string(v);
    if (!obj["eventId"].get_string().get(v)) rep.event_id = std::string(v);
    if (!obj["change"].get_string().get(v)) rep.change = std::string(v);
  }
  if (rep.incident_id.empty()) {
    log::warn("incident delivery to {} has no incident id; outcome not reported", d.target_name);
    return;
  }
  options_.on_delivery(rep);
}

NotifierStats IncidentNotifier::stats() const {
  return NotifierStats{events_.load(),    enqueued_.load(), enqueue_errors_.load(),
                       delivered_.load(), failed_.load(),   ignored_.load()};
}

}  // namespace opsight::aiops::respond

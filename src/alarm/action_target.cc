// Alarm action targets and their payload templates (see action_target.h for the sources).
#include "alarm/action_target.h"

#include <fmt/format.h>

#include "alarm/json_util.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::alarm {
namespace {

namespace dom = simdjson::dom;

std::string_view state_title(StateValue s) {
  switch (s) {
    case StateValue::kAlarm:
      return "ALARM";
    case StateValue::kOk:
      return "OK";
    case StateValue::kInsufficientData:
      return "INSUFFICIENT_DATA";
  }
  return "";
}

std::string summary_line(const StateChange& ch) {
  return fmt::format("{}: \"{}\" in {} ({}) changed from {} to {}", state_title(ch.new_state),
                     ch.alarm_name, ch.tenant.region, ch.tenant.account, state_name(ch.old_state),
                     state_name(ch.new_state));
}

std::string console_link(std::string_view external_url, const StateChange& ch) {
  if (external_url.empty()) return "";
  std::string base(external_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return fmt::format("{}/alarms/{}", base, ch.alarm_name);
}

std::string slack_payload(const StateChange& ch, std::string_view external_url) {
  std::string text = fmt::format("*{}*\n>{}", summary_line(ch), ch.new_reason);
  if (!ch.description.empty()) text += fmt::format("\n{}", ch.description);
  const std::string link = console_link(external_url, ch);
  if (!link.empty()) text += fmt::format("\n<{}|View alarm>", link);
  json::Writer w(256);
  w.begin_object().kv("text", text).end_object();
  return w.take();
}

std::string pagerduty_payload(const ActionTarget& t, const StateChange& ch,
                              std::string_view external_url) {
  const std::string arn = alarm_arn(ch.tenant, ch.alarm_name);
  json::Writer w(512);
  w.begin_object();
  w.kv("routing_key", t.routing_key);
  w.kv("event_action", ch.new_state == StateValue::kOk ? "resolve" : "trigger");
  w.kv("dedup_key", arn);
  if (ch.new_state != StateValue::kOk) {
    w.key("payload").begin_object();
    w.kv("summary", summary_line(ch).substr(0, 1024));
    w.kv("source", arn);
    w.kv("severity", ch.new_state == StateValue::kAlarm ? "critical" : "warning");
    w.kv("timestamp", format_rfc3339_ms(ch.new_ts_ms));
    w.kv("component", ch.alarm_name);
    w.kv("group", ch.tenant.region);
    w.kv("class", alarm_type_name(ch.alarm_type));
    w.key("custom_details").begin_object();
    w.kv("reason", ch.new_reason);
    if (!ch.new_reason_data.empty()) w.kv("reasonData", ch.new_reason_data);
    if (!ch.description.empty()) w.kv("description", ch.description);
    w.kv("previousState", state_name(ch.old_state));
    w.kv("account", ch.tenant.account);
    w.end_object();
    w.end_object();
  }
  w.kv("client", "opsight");
  const std::string link = console_link(external_url, ch);
  if (!link.empty()) w.kv("client_url", link);
  w.end_object();
  return w.take();
}

std::string alertmanager_payload(const ActionTarget& t, const StateChange& ch,
                                 std::string_view external_url) {
  const bool resolved = ch.new_state == StateValue::kOk;
  const std::string_view status = resolved ? "resolved" : "firing";
  // Labels, sorted by name (Alertmanager's fingerprint is over sorted labels).
  const std::vector<std::pair<std::string, std::string>> labels = {
      {"account", ch.tenant.account},
      {"alarm_type", std::string(alarm_type_name(ch.alarm_type))},
      {"alertname", ch.alarm_name},
      {"region", ch.tenant.region},
      {"state", std::string(state_name(ch.new_state))},
  };
  std::string fp_key;
  for (const auto& [k, v] : labels) {
    if (k == "state") continue;  // the same alert across states
    fp_key += k + '\xff' + v + '\xff';
  }
  auto write_labels = [&](json::Writer& w) {
    w.begin_object();
    for (const auto& [k, v] : labels) w.kv(k, v);
    w.end_object();
  };
  auto write_annotations = [&](json::Writer& w) {
    w.begin_object();
    if (!ch.description.empty()) w.kv("description", ch.description);
    w.kv("summary", ch.new_reason);
    w.end_object();
  };
  const std::string link = console_link(external_url, ch);
  json::Writer w(1024);
  w.begin_object();
  w.kv("version", "4");
  w.kv("groupKey", fmt::format("{{}}:{{alertname=\"{}\"}}", ch.alarm_name));
  w.kv("truncatedAlerts", 0);
  w.kv("status", status);
  w.kv("receiver", t.name);
  w.key("groupLabels").begin_object().kv("alertname", ch.alarm_name).end_object();
  w.key("commonLabels");
  write_labels(w);
  w.key("commonAnnotations");
  write_annotations(w);
  w.kv("externalURL", external_url);
  w.key("alerts").begin_array().begin_object();
  w.kv("status", status);
  w.key("labels");
  write_labels(w);
  w.key("annotations");
  write_annotations(w);
  // startsAt: when the alarm entered the state that fired; endsAt: when it resolved.
  w.kv("startsAt", format_rfc3339_ms(resolved ? ch.old_ts_ms : ch.new_ts_ms));
  w.kv("endsAt", resolved ? format_rfc3339_ms(ch.new_ts_ms) : "0001-01-01T00:00:00Z");
  w.kv("generatorURL", link);
  w.kv("fingerprint", fmt::format("{:016x}", xxhash64(fp_key)));
  w.end_object().end_array();
  w.end_object();
  return w.take();
}

}  // namespace

std::string_view target_type_name(TargetType t) {
  switch (t) {
    case TargetType::kGeneric:
      return "generic";
    case TargetType::kSlack:
      return "slack";
    case TargetType::kPagerDuty:
      return "pagerduty";
    case TargetType::kAlertmanager:
      return "alertmanager";
  }
  return "";
}

Result<ActionTarget> parse_action_target(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "alarm-target"));
  std::optional<std::string> name, type, url, key;
  std::optional<int64_t> timeout;
  RETURN_IF_ERROR(jsonu::get_string(obj, "Name", &name));
  RETURN_IF_ERROR(jsonu::get_string(obj, "Type", &type));
  RETURN_IF_ERROR(jsonu::get_string(obj, "Url", &url));
  RETURN_IF_ERROR(jsonu::get_string(obj, "RoutingKey", &key));
  RETURN_IF_ERROR(jsonu::get_int(obj, "TimeoutMs", &timeout));
  if (!name || name->empty()) return jsonu::missing("Name");
  if (name->size() > 255 || name->find_first_of(":/") != std::string::npos) {
    return jsonu::invalid("Name", "must be 1 to 255 characters without ':' or '/'.");
  }
  ActionTarget t;
  t.name = *name;
  const std::string tname = type.value_or("generic");
  if (tname == "generic") {
    t.type = TargetType::kGeneric;
  } else if (tname == "slack") {
    t.type = TargetType::kSlack;
  } else if (tname == "pagerduty") {
    t.type = TargetType::kPagerDuty;
  } else if (tname == "alertmanager") {
    t.type = TargetType::kAlertmanager;
  } else {
    return jsonu::invalid("Type", fmt::format("\"{}\" must be one of generic, slack, pagerduty, "
                                              "alertmanager.",
                                              tname.substr(0, 64)));
  }
  if (!url || url->empty()) return jsonu::missing("Url");
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return jsonu::invalid("Url", "must be an http:// or https:// URL.");
  }
  t.url = *url;
  t.routing_key = key.value_or("");
  if (t.type == TargetType::kPagerDuty && t.routing_key.empty()) {
    return jsonu::missing("RoutingKey");
  }
  t.timeout_ms = timeout.value_or(10'000);
  if (t.timeout_ms < 1 || t.timeout_ms > 120'000) {
    return jsonu::invalid("TimeoutMs", "must be between 1 and 120000.");
  }
  dom::element headers;
  if (jsonu::member(obj, "Headers", &headers)) {
    dom::object h;
    if (headers.get_object().get(h)) return jsonu::invalid("Headers", "must be an object.");
    for (auto [k, v] : h) {
      std::string_view s;
      if (v.get_string().get(s)) return jsonu::invalid("Headers", "values must be strings.");
      t.headers.emplace_back(std::string(k), std::string(s));
    }
  }
  return t;
}

std::string action_target_json(const ActionTarget& t) {
  json::Writer w(256);
  w.begin_object();
  w.kv("Name", t.name).kv("Type", target_type_name(t.type)).kv("Url", t.url);
  if (!t.routing_key.empty()) w.kv("RoutingKey", t.routing_key);
  if (!t.headers.empty()) {
    w.key("Headers").begin_object();
    for (const auto& [k, v] : t.headers) w.kv(k, v);
    w.end_object();
  }
  w.kv("TimeoutMs", t.timeout_ms);
  w.end_object();
  return w.take();
}

std::string target_name_of_action(std::string_view action) {
  if (!action.starts_with("arn:")) return "";
  const size_t cut = action.find_last_of(":/");
  return std::string(action.substr(cut + 1));
}

std::string render_payload(const ActionTarget& target, const StateChange& change,
                           std::string_view event_json, std::string_view external_url) {
  switch (target.type) {
    case TargetType::kSlack:
      return slack_payload(change, external_url);
    case TargetType::kPagerDuty:
      return pagerduty_payload(target, change, external_url);
    case TargetType::kAlertmanager:
      return alertmanager_payload(target, change, external_url);
    case TargetType::kGeneric:
      break;
  }
  return std::string(event_json);
}

}  // namespace opsight::alarm

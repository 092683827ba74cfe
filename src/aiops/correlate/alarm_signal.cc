// "CloudWatch Alarm State Change" events (CloudWatch user guide, "Alarm events and EventBridge";
// the shape alarm/alarm_event.cc writes) into correlation signals. See alarm_signal.h.
#include "aiops/correlate/alarm_signal.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <string>

#include "common/time_util.h"

namespace opsight::aiops {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kDetailType = "CloudWatch Alarm State Change";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_service_name(std::string_view lower_name) {
  return lower_name == "service" || lower_name == "servicename" || lower_name == "service.name" ||
         lower_name == "service_name" || lower_name == "job";
}

bool is_host_name(std::string_view lower_name) {
  return lower_name == "host" || lower_name == "hostname" || lower_name == "host.name" ||
         lower_name == "instanceid" || lower_name == "instance";
}

std::string_view string_at(dom::element e, std::string_view key) {
  std::string_view s;
  if (e.at_key(key).get_string().get(s)) return {};
  return s;
}

// CloudWatch writes "2024-01-02T03:04:05.123+0000"; RFC 3339 wants "+00:00".
bool parse_cw_time(std::string_view s, int64_t* out) {
  std::string t(s);
  if (t.size() >= 5 && (t[t.size() - 5] == '+' || t[t.size() - 5] == '-') &&
      t.find(':', t.size() - 5) == std::string::npos) {
    t.insert(t.size() - 2, ":");
  }
  auto r = parse_time_ms(t);
  if (!r.ok()) return false;
  *out = *r;
  return true;
}

struct Found {
  std::string service;
  std::string host;
  std::string ns, metric;
};

void take_dimension(Signal& sig, Found& found, std::string_view name, std::string_view value) {
  const std::string lname = lower(name);
  if (value.empty()) return;
  if (is_service_name(lname) && found.service.empty()) found.service = std::string(value);
  if (is_host_name(lname) && found.host.empty()) found.host = std::string(value);
  sig.dimensions.emplace(lname, std::string(value));
}

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

// Label matchers name="value" / name = 'value' in a metric expression (PromQL selectors,
// CloudWatch Metrics Insights WHERE clauses, SEARCH terms). "!=" and "=~" are not equalities.
void scan_expression(Signal& sig, Found& found, std::string_view expr) {
  for (size_t i = 0; i < expr.size(); i++) {
    if (expr[i] != '=') continue;
    if (i > 0 &&
        (expr[i - 1] == '!' || expr[i - 1] == '<' || expr[i - 1] == '>' || expr[i - 1] == '=')) {
      continue;
    }
    if (i + 1 < expr.size() && (expr[i + 1] == '~' || expr[i + 1] == '=')) continue;
    size_t e = i;
    while (e > 0 && expr[e - 1] == ' ') e--;
    size_t b = e;
    while (b > 0 && ident_char(expr[b - 1])) b--;
    if (b == e) continue;
    size_t v = i + 1;
    while (v < expr.size() && expr[v] == ' ') v++;
    if (v >= expr.size() || (expr[v] != '"' && expr[v] != '\'')) continue;
    const char quote = expr[v];
    const size_t close = expr.find(quote, v + 1);
    if (close == std::string_view::npos) continue;
    take_dimension(sig, found, expr.substr(b, e - b), expr.substr(v + 1, close - v - 1));
  }
}

void take_metric_stat(Signal& sig, Found& found, dom::element stat) {
  dom::element metric;
  if (stat.at_key("metric").get(metric)) return;
  if (found.ns.empty()) {
    found.ns = std::string(string_at(metric, "namespace"));
    found.metric = std::string(string_at(metric, "name"));
  }
  dom::object dims;
  if (metric.at_key("dimensions").get_object().get(dims)) return;
  for (auto field : dims) {
    std::string_view value;
    if (field.value.get_string().get(value)) continue;
    take_dimension(sig, found, field.key, value);
  }
}

}  // namespace

Result<Signal> signal_from_alarm_event(const storage::Tenant& tenant, std::string_view event_json) {
  auto bad = [](std::string_view what) {
    return Status::invalid_argument(fmt::format("alarm event: {}", what));
  };
  dom::parser parser;
  const simdjson::padded_string padded(event_json);
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return bad(fmt::format("not valid JSON: {}", simdjson::error_message(err)));
  }
  if (!doc.is_object()) return bad("the event must be a JSON object");
  if (string_at(doc, "detail-type") != kDetailType) {
    return bad(fmt::format("detail-type must be \"{}\"", kDetailType));
  }
  dom::element detail;
  if (doc.at_key("detail").get(detail) || !detail.is_object()) {
    return bad("detail must be an object");
  }
  Signal sig;
  sig.tenant = tenant;
  sig.kind = SignalKind::kAlarm;
  sig.source = std::string(string_at(detail, "alarmName"));
  if (sig.source.empty()) return bad("detail.alarmName must be a non-empty string");
  dom::element state;
  if (detail.at_key("state").get(state) || !state.is_object()) {
    return bad("detail.state must be an object");
  }
  sig.state = std::string(string_at(state, "value"));
  if (sig.state != "ALARM" && sig.state != "OK" && sig.state != "INSUFFICIENT_DATA") {
    return bad("detail.state.value must be ALARM, OK or INSUFFICIENT_DATA");
  }
  const std::string_view reason = string_at(state, "reason");
  if (!parse_cw_time(string_at(state, "timestamp"), &sig.time_ms) &&
      !parse_cw_time(string_at(doc, "time"), &sig.time_ms)) {
    return bad("detail.state.timestamp (or time) must be a timestamp");
  }
  sig.severity = sig.state == "ALARM" ? 0.7 : sig.state == "OK" ? 0.0 : 0.1;
  sig.summary = reason.empty() ? fmt::format("{} {}", sig.source, sig.state)
                               : fmt::format("{} {}: {}", sig.source, sig.state, reason);

  Found found;
  dom::element config;
  if (!detail.at_key("configuration").get(config) && config.is_object()) {
    if (!string_at(config, "alarmRule").empty()) {
      // Composite: its children carry the services; it relates by key and history only.
      sig.dimensions["alarm_type"] = "composite";
      return sig;
    }
    dom::array metrics;
    if (!config.at_key("metrics").get_array().get(metrics)) {
      for (dom::element q : metrics) {
        dom::element stat;
        if (!q.at_key("metricStat").get(stat)) take_metric_stat(sig, found, stat);
        const std::string_view expr = string_at(q, "expression");
        if (!expr.empty()) scan_expression(sig, found, expr);
      }
    }
  }
  sig.service = found.service;
  if (!found.host.empty()) sig.dimensions["host"] = found.host;
  if (!found.ns.empty()) sig.dimensions["namespace"] = found.ns;
  if (!found.metric.empty()) sig.dimensions["metric"] = found.metric;
  return sig;
}

}  // namespace opsight::aiops

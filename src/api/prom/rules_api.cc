#include "api/prom/rules_api.h"

#include <charconv>
#include <cmath>
#include <set>

#include "api/api_util.h"
#include "common/json_writer.h"
#include "rules/notifier.h"

namespace opsight::api {
namespace {

// Go's time.Time in JSON (RFC 3339 with trimmed fraction); the zero time for "never".
std::string go_time(int64_t ms) {
  return ms == 0 ? "0001-01-01T00:00:00Z" : rules::rfc3339_nano(ms);
}

// strconv.FormatFloat(v, 'e', -1, 64): "1e+00", "2.5e-01", "NaN", "+Inf".
std::string go_float_e(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  return std::string(buf, static_cast<size_t>(r.ptr - buf));
}

void write_labels(json::Writer& w, const Labels& l) {
  w.begin_object();
  for (const auto& x : l) w.kv(x.name, x.value);
  w.end_object();
}

void write_alert(json::Writer& w, const rules::Alert& a) {
  w.begin_object();
  w.key("labels");
  write_labels(w, a.labels);
  w.key("annotations");
  write_labels(w, a.annotations);
  w.kv("state", rules::alert_state_name(a.state));
  w.kv("activeAt", go_time(a.active_at_ms));
  if (a.keep_firing_since_ms != 0) w.kv("keepFiringSince", go_time(a.keep_firing_since_ms));
  w.kv("value", go_float_e(a.value));
  w.end_object();
}

std::set<std::string> param_set(const HttpRequest& req, std::string_view name) {
  std::set<std::string> out;
  for (auto v : req.params_named(name)) out.emplace(v);
  return out;
}

}  // namespace

Result<std::string> rules_json(const std::vector<rules::GroupStatus>& groups,
                               const HttpRequest& req) {
  std::string_view type = req.param("type");
  bool want_alerts = true, want_records = true;
  if (!type.empty()) {
    if (type == "alert") {
      want_records = false;
    } else if (type == "record") {
      want_alerts = false;
    } else {
      return Status::invalid_argument("not supported value \"" + std::string(type) + "\"");
    }
  }
  auto names = param_set(req, "rule_name[]");
  auto group_names = param_set(req, "rule_group[]");
  auto files = param_set(req, "file[]");
  bool filtered = !type.empty() || !names.empty() || !group_names.empty() || !files.empty();

  json::Writer w;
  w.begin_object().key("groups").begin_array();
  for (const auto& g : groups) {
    if (!group_names.empty() && !group_names.contains(g.name)) continue;
    if (!files.empty() && !files.contains(g.file)) continue;
    json::Writer rw;
    rw.begin_array();
    size_t n = 0;
    for (const auto& r : g.rules) {
      const rules::RuleSpec& s = *r.spec;
      if (!names.empty() && !names.contains(s.name)) continue;
      if (s.type == rules::RuleType::kAlerting) {
        if (!want_alerts) continue;
        rw.begin_object();
        rw.kv("state", rules::alert_state_name(r.state));
        rw.kv("name", s.name);
        rw.kv("query", s.query);
        rw.kv("duration", static_cast<double>(s.for_ms) / 1000);
        rw.kv("keepFiringFor", static_cast<double>(s.keep_firing_for_ms) / 1000);
        rw.key("labels");
        write_labels(rw, s.labels);
        rw.key("annotations");
        write_labels(rw, s.annotations);
        rw.key("alerts").begin_array();
        for (const auto& a : r.alerts) write_alert(rw, a);
        rw.end_array();
      } else {
        if (!want_records) continue;
        rw.begin_object();
        rw.kv("name", s.name);
        rw.kv("query", s.query);
        if (!s.labels.empty()) {
          rw.key("labels");
          write_labels(rw, s.labels);
        }
      }
      rw.kv("health", rules::rule_health_name(r.health));
      if (!r.last_error.empty()) rw.kv("lastError", r.last_error);
      rw.kv("evaluationTime", r.eval_seconds);
      rw.kv("lastEvaluation", go_time(r.last_eval_ms));
      rw.kv("type", s.type == rules::RuleType::kAlerting ? "alerting" : "recording");
      rw.end_object();
      n++;
    }
    rw.end_array();
    // With a filter, groups left without rules are omitted (Prometheus).
    if (filtered && n == 0) continue;
    w.begin_object();
    w.kv("name", g.name);
    w.kv("file", g.file);
    w.key("rules").raw(rw.str());
    w.kv("interval", static_cast<double>(g.interval_ms) / 1000);
    w.kv("limit", g.limit);
    w.kv("evaluationTime", g.eval_seconds);
    w.kv("lastEvaluation", go_time(g.last_eval_ms));
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string alerts_json(const std::vector<rules::GroupStatus>& groups) {
  json::Writer w;
  w.begin_object().key("alerts").begin_array();
  for (const auto& g : groups) {
    for (const auto& r : g.rules) {
      for (const auto& a : r.alerts) write_alert(w, a);
    }
  }
  w.end_array().end_object();
  return w.take();
}

void register_rules_api(Router& router, RulesDeps deps) {
  auto groups = deps.groups;
  router.add("GET", "/api/v1/rules", [groups](HttpRequest& req) {
    auto body = rules_json(groups(), req);
    if (!body.ok()) return prom_error(body.status());
    return prom_success(*body);
  });
  router.add("GET", "/api/v1/alerts",
             [groups](HttpRequest&) { return prom_success(alerts_json(groups())); });
  if (deps.reload) {
    auto reload = deps.reload;
    router.add("POST,PUT", "/-/reload", [reload](HttpRequest&) {
      Status st = reload();
      if (!st.ok()) return HttpResponse::text(500, "failed to reload config: " + st.message());
      return HttpResponse::text(200, "");
    });
  }
}

}  // namespace opsight::api

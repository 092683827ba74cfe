#include "aiops/investigate/investigation_json.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>

#include "aiops/investigate/investigator.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::aiops {
namespace {

namespace dom = simdjson::dom;

Status bad(std::string_view field, std::string_view rule) {
  return Status::invalid_argument(fmt::format("{}: {}", field, rule));
}

// A time member: a number of Unix ms or a time string.
Result<int64_t> read_time(dom::element e, std::string_view field, int64_t now_ms) {
  int64_t i = 0;
  double d = 0;
  std::string_view str;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  if (e.is_uint64()) return bad(field, "is out of range");
  if (e.get_double().get(d) == simdjson::SUCCESS) {
    if (!std::isfinite(d) || std::abs(d) > 9e15) return bad(field, "is out of range");
    return static_cast<int64_t>(d);
  }
  if (e.get_string().get(str) == simdjson::SUCCESS) {
    auto t = parse_time_flexible_ms(str, now_ms);
    if (!t.ok()) return bad(field, t.status().message());
    return *t;
  }
  return bad(field, "must be Unix ms or an RFC 3339 time");
}

Status read_hint(dom::object obj, std::string_view field, std::string* out) {
  dom::element e;
  if (obj.at_key(field).get(e) != simdjson::SUCCESS || e.is_null()) return OkStatus();
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return bad(field, "must be a string");
  if (s.size() > 1024) return bad(field, "must be at most 1024 bytes");
  *out = std::string(s);
  return OkStatus();
}

void write_stats(json::Writer& j, const InvestigationStats& s) {
  j.key("stats").begin_object();
  j.kv("spansScanned", s.spans_scanned);
  j.kv("traces", s.traces);
  j.kv("logEventsScanned", s.log_events_scanned);
  j.kv("seriesRead", s.series_read);
  j.kv("elapsedMs", s.elapsed_ms);
  j.kv("complete", s.complete);
  j.kv("stoppedBy", s.stopped_by);
  j.end_object();
}

void write_hypothesis(json::Writer& j, const Hypothesis& h) {
  j.begin_object();
  j.kv("rank", h.rank);
  j.kv("service", h.service);
  j.kv("component", h.component);
  j.kv("componentType", h.component_type);
  j.kv("kind", h.kind);
  j.kv("score", h.score);
  j.kv("onset", h.onset_ms);
  j.kv("explanation", h.explanation);
  j.key("evidence").begin_array();
  for (const Evidence& e : h.evidence) {
    j.begin_object();
    j.kv("type", e.type);
    j.kv("title", e.title);
    j.kv("link", e.link);
    j.key("data").raw(e.data_json.empty() ? std::string_view("{}") : e.data_json);
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

}  // namespace

Result<InvestigationRequest> parse_investigation_request(std::string_view body,
                                                         const storage::Tenant& tenant,
                                                         int64_t now_ms) {
  dom::parser parser;
  simdjson::padded_string padded(body);
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return Status::invalid_argument(
        fmt::format("request body: not valid JSON ({})", simdjson::error_message(err)));
  }
  dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::invalid_argument("request body: must be a JSON object");
  }
  InvestigationRequest req;
  req.tenant = tenant;
  dom::element e;
  if (obj.at_key("start").get(e) != simdjson::SUCCESS || e.is_null()) {
    return bad("start", "is required (Unix ms or an RFC 3339 time)");
  }
  ASSIGN_OR_RETURN(req.start_ms, read_time(e, "start", now_ms));
  if (obj.at_key("end").get(e) == simdjson::SUCCESS && !e.is_null()) {
    ASSIGN_OR_RETURN(req.end_ms, read_time(e, "end", now_ms));
  } else {
    req.end_ms = now_ms;
  }
  RETURN_IF_ERROR(read_hint(obj, "service", &req.service));
  RETURN_IF_ERROR(read_hint(obj, "alarm", &req.alarm));
  RETURN_IF_ERROR(read_hint(obj, "incident", &req.incident));
  RETURN_IF_ERROR(validate_request(req));
  return req;
}

std::string investigation_request_json(const InvestigationRequest& req) {
  json::Writer j;
  j.begin_object();
  j.kv("start", req.start_ms).kv("end", req.end_ms);
  if (!req.service.empty()) j.kv("service", req.service);
  if (!req.alarm.empty()) j.kv("alarm", req.alarm);
  if (!req.incident.empty()) j.kv("incident", req.incident);
  j.end_object();
  return j.take();
}

std::string investigation_result_json(std::string_view id, std::string_view status,
                                      const InvestigationRequest& req,
                                      const InvestigationResult* result, std::string_view error) {
  json::Writer j(1024);
  j.begin_object();
  j.kv("id", id);
  j.kv("status", status);
  j.kv("start", req.start_ms).kv("end", req.end_ms);
  if (result != nullptr) j.kv("baselineStart", result->baseline_start_ms);
  if (!req.service.empty()) j.kv("service", req.service);
  if (!req.alarm.empty()) j.kv("alarm", req.alarm);
  if (!req.incident.empty()) j.kv("incident", req.incident);
  if (!error.empty()) j.kv("error", error);
  j.key("hypotheses").begin_array();
  if (result != nullptr) {
    for (const Hypothesis& h : result->hypotheses) write_hypothesis(j, h);
  }
  j.end_array();
  if (result != nullptr) write_stats(j, result->stats);
  j.end_object();
  return j.take();
}

}  // namespace opsight::aiops

#include "api/native/investigations_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>

#include "aiops/investigate/investigation_json.h"
#include "api/api_util.h"
#include "api/native/incidents_api.h"
#include "common/json_writer.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;

constexpr uint64_t kMaxBody = 64 * 1024;

// Holds one of the kMaxConcurrentInvestigations slots for its lifetime.
class Slot {
 public:
  explicit Slot(std::atomic<int>* running) : running_(running) {
    acquired_ = running_->fetch_add(1) < kMaxConcurrentInvestigations;
  }
  ~Slot() { running_->fetch_sub(1); }
  bool acquired() const { return acquired_; }

 private:
  std::atomic<int>* running_;
  bool acquired_ = false;
};

// A request naming an incident but no "start": the window and hints from the body's strings,
// the window from the incident.
Result<aiops::InvestigationRequest> incident_request(const InvestigationsDeps& deps,
                                                     const storage::Tenant& tenant, dom::object obj,
                                                     int64_t now) {
  aiops::InvestigationRequest req;
  req.tenant = tenant;
  for (auto field : obj) {
    std::string_view v;
    if (field.value.get_string().get(v) != simdjson::SUCCESS) continue;
    if (field.key == "incident") req.incident = std::string(v);
    if (field.key == "service") req.service = std::string(v);
    if (field.key == "alarm") req.alarm = std::string(v);
  }
  if (!deps.incidents) {
    return Status::invalid_argument("incident: incidents are not enabled on this server");
  }
  ASSIGN_OR_RETURN(aiops::Incident inc, deps.incidents->get(tenant, req.incident));
  req.end_ms = inc.is_active() ? now : std::max(inc.last_signal_ms, inc.first_signal_ms + 1);
  req.start_ms = std::max(inc.first_signal_ms - kIncidentLeadMs,
                          req.end_ms - aiops::kMaxInvestigationWindowMs);
  return req;
}

Result<aiops::InvestigationRequest> parse_request(const InvestigationsDeps& deps,
                                                  const HttpRequest& http, int64_t now) {
  RETURN_IF_ERROR(check_body_size(http, kMaxBody, "investigation body"));
  const storage::Tenant tenant = request_tenant(http);
  dom::parser parser;
  simdjson::padded_string padded(http.body);
  dom::object obj;
  if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) {
    return Status::invalid_argument("the body must be a JSON object");
  }
  dom::element unused;
  if (obj["start"].get(unused) != simdjson::SUCCESS &&
      obj["incident"].get(unused) == simdjson::SUCCESS) {
    return incident_request(deps, tenant, obj, now);
  }
  return aiops::parse_investigation_request(http.body, tenant, now);
}

// "<component> (<kind>, 0.87): <explanation>" of the best hypothesis.
std::string top_line(const aiops::InvestigationResult& r) {
  if (r.hypotheses.empty()) return "no hypothesis: nothing deviates from its baseline";
  const aiops::Hypothesis& h = r.hypotheses.front();
  return fmt::format("#1 {} ({}, {:.2f}): {}", h.component, h.kind, h.score, h.explanation);
}

// The prompt of the optional summariser: the ranked explanations only.
std::string summary_prompt(const aiops::InvestigationResult& r) {
  std::string p =
      "Summarise this root-cause analysis for an on-call engineer in at most three sentences. "
      "Do not add causes that are not listed.\n";
  for (const aiops::Hypothesis& h : r.hypotheses) {
    p += fmt::format("{}. {} [{}; score {:.2f}]: {}\n", h.rank, h.component, h.kind, h.score,
                     h.explanation);
  }
  return p;
}

HttpResponse start_investigation(const InvestigationsDeps& deps, std::atomic<int>* running,
                                 const HttpRequest& http) {
  const int64_t now = deps.clock->now_ms();
  auto req = parse_request(deps, http, now);
  if (!req.ok()) return aiops_error(req.status());
  Slot slot(running);
  if (!slot.acquired()) {
    return aiops_error(Status::resource_exhausted(fmt::format(
        "{} investigations are running already; retry in a moment", kMaxConcurrentInvestigations)));
  }
  aiops::InvestigationRecord rec;
  rec.id = aiops::new_investigation_id();
  rec.tenant = req->tenant;
  rec.request_json = aiops::investigation_request_json(*req);
  rec.status = "running";
  rec.created_ms = now;
  if (Status st = deps.store->put(rec); !st.ok()) return aiops_error(st);

  auto result = aiops::investigate(deps.sources, *req, deps.options, deps.clock);
  rec.completed_ms = deps.clock->now_ms();
  if (!result.ok()) {
    rec.status = "failed";
    rec.error = result.status().message();
    rec.result_json =
        aiops::investigation_result_json(rec.id, rec.status, *req, nullptr, rec.error);
    (void)deps.store->put(rec);
    return aiops_error(result.status());
  }
  rec.status = "complete";
  rec.result_json = aiops::investigation_result_json(rec.id, rec.status, *req, &*result, "");
  if (deps.summarizer && deps.summarizer->enabled() && !result->hypotheses.empty()) {
    // Polish only: the hypotheses stand without it, and a failure is reported beside them.
    auto summary = deps.summarizer->summarize(summary_prompt(*result));
    json::Writer w;
    w.begin_object();
    if (summary.ok()) {
      w.kv("summary", *summary);
    } else {
      w.kv("summaryError", summary.status().message());
    }
    w.end_object();
    rec.result_json.pop_back();
    rec.result_json += "," + w.str().substr(1);
  }
  if (Status st = deps.store->put(rec); !st.ok()) return aiops_error(st);
  if (!req->incident.empty() && deps.incidents) {
    aiops::TimelineEntry e;
    e.time_ms = rec.completed_ms;
    e.type = aiops::TimelineType::kInvestigation;
    e.author = "opsight";
    e.text = fmt::format("investigation {}: {}", rec.id, top_line(*result));
    json::Writer w;
    w.begin_object().kv("investigationId", rec.id).end_object();
    e.data_json = w.take();
    (void)deps.incidents->add_entry(req->tenant, req->incident, std::move(e));
  }
  return HttpResponse::json(200, rec.result_json);
}

HttpResponse get_investigation(const InvestigationsDeps& deps, const HttpRequest& http) {
  auto rec = deps.store->get(request_tenant(http), http.path_params.at("id"));
  if (!rec.ok()) return aiops_error(rec.status());
  if (!rec->result_json.empty()) return HttpResponse::json(200, rec->result_json);
  json::Writer w;
  w.begin_object().kv("id", rec->id).kv("status", rec->status);
  w.key("request").raw(rec->request_json.empty() ? "{}" : rec->request_json);
  w.end_object();
  return HttpResponse::json(200, w.take());
}

HttpResponse list_investigations(const InvestigationsDeps& deps, const HttpRequest& http) {
  size_t limit = 50;
  if (http.has_param("limit")) {
    const std::string_view l = http.param("limit");
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (ec != std::errc() || p != l.data() + l.size() || limit < 1 ||
        limit > aiops::kMaxInvestigationList) {
      return aiops_error(Status::invalid_argument(
          fmt::format("limit: must be an integer in 1..{}", aiops::kMaxInvestigationList)));
    }
  }
  auto recs = deps.store->list(request_tenant(http), limit);
  if (!recs.ok()) return aiops_error(recs.status());
  json::Writer w;
  w.begin_object().key("investigations").begin_array();
  for (const aiops::InvestigationRecord& r : *recs) {
    w.begin_object().kv("id", r.id).kv("status", r.status).kv("createdAt", r.created_ms);
    w.kv("completedAt", r.completed_ms);
    w.key("request").raw(r.request_json.empty() ? "{}" : r.request_json);
    if (!r.error.empty()) w.kv("error", r.error);
    w.end_object();
  }
  w.end_array().end_object();
  return HttpResponse::json(200, w.take());
}

}  // namespace

void register_investigations_api(Router& router, const InvestigationsDeps& deps) {
  auto running = std::make_shared<std::atomic<int>>(0);
  router.add("POST", "/api/v1/investigations", [deps, running](HttpRequest& r) {
    return start_investigation(deps, running.get(), r);
  });
  router.add("GET", "/api/v1/investigations",
             [deps](HttpRequest& r) { return list_investigations(deps, r); });
  router.add("GET", "/api/v1/investigations/:id",
             [deps](HttpRequest& r) { return get_investigation(deps, r); });
}

}  // namespace opsight::api

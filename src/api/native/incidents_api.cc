#include "api/native/incidents_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <map>

#include "api/api_util.h"
#include "common/json_writer.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;

constexpr uint64_t kMaxBody = 64 * 1024;

// The optional JSON object body of an action; {} when empty.
Result<std::map<std::string, std::string>> action_body(
    const HttpRequest& req, std::initializer_list<std::string_view> keys) {
  std::map<std::string, std::string> out;
  RETURN_IF_ERROR(check_body_size(req, kMaxBody, "incident action body"));
  if (req.body.empty()) return out;
  dom::parser parser;
  simdjson::padded_string padded(req.body);
  dom::object obj;
  if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) {
    return Status::invalid_argument("the body must be a JSON object");
  }
  for (auto field : obj) {
    const std::string_view k = field.key;
    bool known = false;
    for (std::string_view want : keys) known = known || k == want;
    if (!known) continue;  // unknown members are ignored
    std::string_view v;
    if (field.value.get_string().get(v) != simdjson::SUCCESS) {
      return Status::invalid_argument(fmt::format("\"{}\" must be a string", k));
    }
    if (v.size() > 16 * 1024) {
      return Status::invalid_argument(fmt::format("\"{}\" is longer than 16384 bytes", k));
    }
    out[std::string(k)] = std::string(v);
  }
  return out;
}

std::string author_of(const std::map<std::string, std::string>& body, const HttpRequest& req) {
  auto it = body.find("author");
  if (it != body.end() && !it->second.empty()) return it->second;
  return req.account.empty() ? "api" : req.account;
}

// The incident (with keys) and its timeline.
HttpResponse incident_answer(const IncidentsDeps& deps, const storage::Tenant& tenant,
                             const std::string& id) {
  auto inc = deps.incidents->get(tenant, id);
  if (!inc.ok()) return aiops_error(inc.status());
  auto timeline = deps.incidents->timeline(tenant, id);
  if (!timeline.ok()) return aiops_error(timeline.status());
  std::string body = aiops::incident_json(*inc, true);
  body.pop_back();  // the closing '}'
  body += ",\"timeline\":[";
  for (size_t i = 0; i < timeline->size(); ++i) {
    if (i) body += ',';
    body += aiops::timeline_entry_json((*timeline)[i]);
  }
  body += "]}";
  return HttpResponse::json(200, std::move(body));
}

HttpResponse list_incidents(const IncidentsDeps& deps, const HttpRequest& req) {
  aiops::IncidentQuery q;
  if (req.has_param("state")) {
    q.state = aiops::parse_incident_state(req.param("state"));
    if (!q.state) {
      return aiops_error(Status::invalid_argument(
          fmt::format("state: \"{}\" is not one of open, acknowledged, resolved",
                      req.param("state").substr(0, 64))));
    }
  }
  const int64_t now = deps.clock->now_ms();
  if (req.has_param("start")) {
    auto s = time_param(req, "start", 0, now);
    if (!s.ok()) return aiops_error(s.status());
    q.start_ms = *s;
  }
  if (req.has_param("end")) {
    auto e = time_param(req, "end", now, now);
    if (!e.ok()) return aiops_error(e.status());
    q.end_ms = *e;
  }
  q.service = std::string(req.param("service"));
  if (req.has_param("limit")) {
    const std::string_view l = req.param("limit");
    size_t n = 0;
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), n);
    if (ec != std::errc() || p != l.data() + l.size() || n < 1 || n > 10'000) {
      return aiops_error(Status::invalid_argument("limit: must be an integer in 1..10000"));
    }
    q.limit = n;
  }
  auto incidents = deps.incidents->list(request_tenant(req), q);
  if (!incidents.ok()) return aiops_error(incidents.status());
  std::string body = "{\"incidents\":[";
  for (size_t i = 0; i < incidents->size(); ++i) {
    if (i) body += ',';
    body += aiops::incident_json((*incidents)[i], false);
  }
  body += "]}";
  return HttpResponse::json(200, std::move(body));
}

HttpResponse act(const IncidentsDeps& deps, const HttpRequest& req, std::string_view verb) {
  const storage::Tenant tenant = request_tenant(req);
  const std::string id = req.path_params.at("id");
  auto body = action_body(req, {"author", "note", "text"});
  if (!body.ok()) return aiops_error(body.status());
  const std::string author = author_of(*body, req);
  Status st;
  if (verb == "ack") {
    st = deps.incidents->acknowledge(tenant, id, author, (*body)["note"]);
  } else if (verb == "resolve") {
    st = deps.incidents->resolve(tenant, id, author, (*body)["note"]);
  } else {
    const std::string& text = (*body)["text"];
    if (text.empty()) return aiops_error(Status::invalid_argument("text: a note needs a text"));
    st = deps.incidents->annotate(tenant, id, author, text);
  }
  if (!st.ok()) return aiops_error(st);
  return incident_answer(deps, tenant, id);
}

HttpResponse run_runbook(const IncidentsDeps& deps, const HttpRequest& req) {
  const storage::Tenant tenant = request_tenant(req);
  const std::string id = req.path_params.at("id");
  const std::string name = req.path_params.at("name");
  if (!deps.runbooks || !deps.runbooks->enabled()) {
    return aiops_error(Status::not_found(
        fmt::format("runbook \"{}\": no runbooks are configured (config `runbooks:`)", name)));
  }
  auto body = action_body(req, {"author"});
  if (!body.ok()) return aiops_error(body.status());
  auto inc = deps.incidents->get(tenant, id);
  if (!inc.ok()) return aiops_error(inc.status());
  aiops::respond::RunbookContext ctx;
  ctx.tenant = tenant;
  ctx.incident_id = id;
  ctx.incident_title = inc->title;
  ctx.services = inc->services;
  ctx.actor = author_of(*body, req);
  auto result = deps.runbooks->run(name, ctx);
  if (!result.ok()) return aiops_error(result.status());
  aiops::TimelineEntry e;
  e.time_ms = deps.clock->now_ms();
  e.type = aiops::TimelineType::kAction;
  e.author = ctx.actor;
  e.text = fmt::format("runbook {} {}{}", name, result->ok ? "succeeded" : "failed",
                       result->error.empty() ? "" : ": " + result->error);
  e.data_json = aiops::respond::runbook_result_json(*result, 4096);
  Status st = deps.incidents->add_entry(tenant, id, std::move(e));
  if (!st.ok()) return aiops_error(st);
  return HttpResponse::json(200, aiops::respond::runbook_result_json(*result));
}

}  // namespace

HttpResponse aiops_error(const Status& st) {
  std::string_view code = "InternalFailure";
  int status = http_status_for(st.code());
  switch (st.code()) {
    case Code::kInvalidArgument:
      code = "InvalidParameterValue";
      break;
    case Code::kNotFound:
      code = "ResourceNotFound";
      break;
    case Code::kFailedPrecondition:
      code = "InvalidStateTransition";
      status = 409;
      break;
    case Code::kResourceExhausted:
      code = "Throttling";
      break;
    case Code::kUnavailable:
      code = "ServiceUnavailable";
      break;
    default:
      break;
  }
  json::Writer w;
  w.begin_object().kv("code", code).kv("message", st.message()).end_object();
  HttpResponse r = HttpResponse::json(status, w.take());
  if (r.status == 429 || r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

void register_incidents_api(Router& router, const IncidentsDeps& deps) {
  router.add("GET", "/api/v1/incidents",
             [deps](HttpRequest& r) { return list_incidents(deps, r); });
  router.add("GET", "/api/v1/incidents/:id", [deps](HttpRequest& r) {
    return incident_answer(deps, request_tenant(r), r.path_params.at("id"));
  });
  router.add("POST", "/api/v1/incidents/:id/ack",
             [deps](HttpRequest& r) { return act(deps, r, "ack"); });
  router.add("POST", "/api/v1/incidents/:id/resolve",
             [deps](HttpRequest& r) { return act(deps, r, "resolve"); });
  router.add("POST", "/api/v1/incidents/:id/notes",
             [deps](HttpRequest& r) { return act(deps, r, "notes"); });
  router.add("POST", "/api/v1/incidents/:id/runbooks/:name",
             [deps](HttpRequest& r) { return run_runbook(deps, r); });
}

}  // namespace opsight::api

// Native alarm endpoints (see alarms_api.h). Every request is parsed and validated by the alarm
// library's CloudWatch parsers: a GET's query parameters are turned into the same JSON request a
// POST carries, so both forms accept and reject exactly the same input.
#include "api/native/alarms_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "alarm/action_target.h"
#include "alarm/alarm_json.h"
#include "alarm/alarm_model.h"
#include "alarm/alarm_types.h"
#include "api/api_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::api {
namespace {

using alarm::AlarmType;

constexpr uint64_t kMaxBodyBytes = 1 << 20;
constexpr std::string_view kAlarmsPrefix = "/api/v1/alarms/";

// The CloudWatch code for errors that carry none in their message.
std::string_view fallback_code(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
      return alarm::kInvalidParameterValue;
    case Code::kNotFound:
      return alarm::kResourceNotFound;
    case Code::kAlreadyExists:
      return "ConflictException";
    case Code::kResourceExhausted:
      return "LimitExceeded";
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return "ServiceUnavailable";
    default:
      return "InternalServiceFault";
  }
}

HttpResponse error(const Status& st) {
  std::string_view code = alarm::aws_error_code(st);
  std::string_view message = st.message();
  if (!code.empty()) {
    message.remove_prefix(code.size() + 2);  // "<code>: "
  } else {
    code = fallback_code(st.code());
  }
  json::Writer w;
  w.begin_object().kv("code", code).kv("message", message).end_object();
  HttpResponse r = HttpResponse::json(http_status_for(st.code()), w.take());
  if (r.status == 429 || r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// The body of a JSON request; 413 above kMaxBodyBytes (alarm documents are a few KiB).
Result<std::string_view> body_of(const HttpRequest& req) {
  if (req.body.size() > kMaxBodyBytes) {
    return Status::resource_exhausted(
        fmt::format("request body is {} bytes > limit {} bytes", req.body.size(), kMaxBodyBytes));
  }
  return std::string_view(req.body);
}

HttpResponse too_large_or(const Status& st) {
  if (st.code() != Code::kResourceExhausted) return error(st);
  json::Writer w;
  w.begin_object().kv("code", "RequestEntityTooLarge").kv("message", st.message()).end_object();
  return HttpResponse::json(413, w.take());
}

HttpResponse ok_empty() {
  return HttpResponse::json(200, "{}");
}

// --- GET query parameters -> the JSON request of the POST form ------------------------------

enum class ParamKind { kString, kList, kTime };
struct ParamSpec {
  std::string_view name;
  ParamKind kind;
};

constexpr std::array kDescribeParams = {
    ParamSpec{"AlarmNames", ParamKind::kList},
    ParamSpec{"AlarmNamePrefix", ParamKind::kString},
    ParamSpec{"AlarmTypes", ParamKind::kList},
    ParamSpec{"StateValue", ParamKind::kString},
    ParamSpec{"ActionPrefix", ParamKind::kString},
    ParamSpec{"ChildrenOfAlarmName", ParamKind::kString},
    ParamSpec{"ParentsOfAlarmName", ParamKind::kString},
    ParamSpec{"MaxRecords", ParamKind::kString},  // the parser accepts digit strings
    ParamSpec{"NextToken", ParamKind::kString},
};

constexpr std::array kHistoryParams = {
    ParamSpec{"AlarmName", ParamKind::kString},       ParamSpec{"AlarmTypes", ParamKind::kList},
    ParamSpec{"HistoryItemType", ParamKind::kString}, ParamSpec{"StartDate", ParamKind::kTime},
    ParamSpec{"EndDate", ParamKind::kTime},           ParamSpec{"MaxRecords", ParamKind::kString},
    ParamSpec{"NextToken", ParamKind::kString},       ParamSpec{"ScanBy", ParamKind::kString},
};

template <size_t N>
Result<std::string> params_to_json(const HttpRequest& req, const std::array<ParamSpec, N>& specs,
                                   int64_t now_ms) {
  for (const auto& [name, value] : req.params) {
    const bool known =
        std::any_of(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.name == name; });
    if (!known) {
      std::string names;
      for (const auto& s : specs) names += (names.empty() ? "" : ", ") + std::string(s.name);
      return alarm::aws_error(alarm::kInvalidParameterValue,
                              fmt::format("Unknown query parameter \"{}\" (expected one of {}).",
                                          name.substr(0, 64), names));
    }
  }
  json::Writer w;
  w.begin_object();
  for (const auto& spec : specs) {
    auto values = req.params_named(spec.name);
    std::erase_if(values, [](std::string_view v) { return v.empty(); });
    if (values.empty()) continue;
    if (spec.kind == ParamKind::kList) {
      w.key(spec.name).begin_array();
      for (std::string_view v : values) {
        size_t i = 0;
        while (i <= v.size()) {
          size_t j = v.find(',', i);
          if (j == std::string_view::npos) j = v.size();
          if (j > i) w.value(v.substr(i, j - i));
          i = j + 1;
        }
      }
      w.end_array();
      continue;
    }
    if (values.size() > 1) {
      return alarm::aws_error(alarm::kInvalidParameterValue,
                              fmt::format("The parameter {} must be given once.", spec.name));
    }
    if (spec.kind == ParamKind::kTime) {
      auto t = parse_time_flexible_ms(values[0], now_ms);
      if (!t.ok()) {
        return alarm::aws_error(
            alarm::kInvalidParameterValue,
            fmt::format("The parameter {} must be a time (RFC 3339, Unix seconds, "
                        "milliseconds or now-<duration>): {}",
                        spec.name, t.status().message()));
      }
      w.kv(spec.name, static_cast<double>(*t) / 1000.0);  // epoch seconds, ms kept
    } else {
      w.kv(spec.name, values[0]);
    }
  }
  w.end_object();
  return w.take();
}

// The request JSON of a GET (from its parameters) or POST (its body).
template <size_t N>
Result<std::string> request_json(const AlarmsDeps& d, const HttpRequest& req,
                                 const std::array<ParamSpec, N>& specs) {
  if (req.method == "POST") {
    ASSIGN_OR_RETURN(std::string_view body, body_of(req));
    return std::string(body);
  }
  return params_to_json(req, specs, d.clock->now_ms());
}

// --- alarms ---------------------------------------------------------------------------------

// The rest of the request target after `prefix`, percent-decoded: alarm names may contain '/'.
std::string name_from_target(const HttpRequest& req, std::string_view prefix,
                             std::string_view param) {
  std::string_view t = req.target;
  t = t.substr(0, t.find('?'));
  if (t.starts_with(prefix) && t.size() > prefix.size()) {
    return url_decode(t.substr(prefix.size()), /*form=*/false);
  }
  auto it = req.path_params.find(std::string(param));
  if (it == req.path_params.end()) return "";
  std::string_view v = it->second;
  if (v.starts_with('/')) v.remove_prefix(1);
  return std::string(v);
}

// One alarm of either type; ResourceNotFound when there is none.
Result<alarm::AlarmView> find_alarm(const AlarmsDeps& d, const storage::Tenant& tenant,
                                    const std::string& name) {
  alarm::DescribeAlarmsRequest r;
  r.alarm_names = {name};
  r.alarm_types = {AlarmType::kMetric, AlarmType::kComposite};
  r.max_records = 1;
  ASSIGN_OR_RETURN(auto found, d.alarms->describe_alarms(tenant, r));
  if (!found.metric_alarms.empty()) return std::move(found.metric_alarms[0]);
  if (!found.composite_alarms.empty()) return std::move(found.composite_alarms[0]);
  return alarm::aws_not_found(fmt::format("The alarm \"{}\" does not exist.", name));
}

// The alarm as DescribeAlarms shows it, with "AlarmType" first.
HttpResponse alarm_response(const AlarmsDeps& d, const storage::Tenant& tenant,
                            const std::string& name) {
  auto view = find_alarm(d, tenant, name);
  if (!view.ok()) return error(view.status());
  std::string body = R"({"AlarmType":)";
  json::append_string(body, alarm::alarm_type_name(alarm::type_of(view->def)));
  const std::string obj = alarm::alarm_view_json(tenant, *view, alarm::TimeFormat::kIso8601);
  body += ',';
  body.append(obj, 1);  // the object without its '{'
  return HttpResponse::json(200, std::move(body));
}

Result<alarm::AlarmDefinition> parse_definition(std::string_view body, AlarmType type) {
  if (type == AlarmType::kMetric) {
    ASSIGN_OR_RETURN(alarm::MetricAlarm m, alarm::parse_put_metric_alarm(body));
    return alarm::AlarmDefinition(std::move(m));
  }
  ASSIGN_OR_RETURN(alarm::CompositeAlarm c, alarm::parse_put_composite_alarm(body));
  return alarm::AlarmDefinition(std::move(c));
}

HttpResponse put_alarm(const AlarmsDeps& d, const HttpRequest& req, AlarmType type) {
  auto body = body_of(req);
  if (!body.ok()) return too_large_or(body.status());
  auto def = parse_definition(*body, type);
  if (!def.ok()) return error(def.status());
  const storage::Tenant tenant = request_tenant(req);
  const std::string name = alarm::common_of(*def).alarm_name;
  if (Status st = d.alarms->put_alarm(tenant, std::move(*def)); !st.ok()) return error(st);
  return alarm_response(d, tenant, name);
}

HttpResponse describe(const AlarmsDeps& d, const HttpRequest& req) {
  auto json = request_json(d, req, kDescribeParams);
  if (!json.ok()) return too_large_or(json.status());
  auto parsed = alarm::parse_describe_alarms_request(*json);
  if (!parsed.ok()) return error(parsed.status());
  const storage::Tenant tenant = request_tenant(req);
  auto result = d.alarms->describe_alarms(tenant, *parsed);
  if (!result.ok()) return error(result.status());
  return HttpResponse::json(
      200, alarm::describe_alarms_response(tenant, *result, alarm::TimeFormat::kIso8601));
}

HttpResponse get_alarm(const AlarmsDeps& d, const HttpRequest& req) {
  return alarm_response(d, request_tenant(req), name_from_target(req, kAlarmsPrefix, "name"));
}

// delete, enable-actions, disable-actions: {"AlarmNames": [...]}.
enum class NamesOp { kDelete, kEnable, kDisable };

HttpResponse names_op(const AlarmsDeps& d, const HttpRequest& req, NamesOp op) {
  auto body = body_of(req);
  if (!body.ok()) return too_large_or(body.status());
  auto names = alarm::parse_alarm_names_request(*body);
  if (!names.ok()) return error(names.status());
  const storage::Tenant tenant = request_tenant(req);
  Status st = op == NamesOp::kDelete
                  ? d.alarms->delete_alarms(tenant, *names)
                  : d.alarms->set_actions_enabled(tenant, *names, op == NamesOp::kEnable);
  return st.ok() ? ok_empty() : error(st);
}

HttpResponse set_state(const AlarmsDeps& d, const HttpRequest& req) {
  auto body = body_of(req);
  if (!body.ok()) return too_large_or(body.status());
  auto parsed = alarm::parse_set_alarm_state_request(*body);
  if (!parsed.ok()) return error(parsed.status());
  const storage::Tenant tenant = request_tenant(req);
  if (Status st = d.alarms->set_alarm_state(tenant, *parsed); !st.ok()) return error(st);
  return alarm_response(d, tenant, parsed->alarm_name);
}

HttpResponse history(const AlarmsDeps& d, const HttpRequest& req) {
  auto json = request_json(d, req, kHistoryParams);
  if (!json.ok()) return too_large_or(json.status());
  auto query = alarm::parse_describe_alarm_history_request(*json);
  if (!query.ok()) return error(query.status());
  auto page = d.alarms->describe_alarm_history(request_tenant(req), *query);
  if (!page.ok()) return error(page.status());
  return HttpResponse::json(
      200, alarm::describe_alarm_history_response(*page, alarm::TimeFormat::kIso8601));
}

// --- alarm targets --------------------------------------------------------------------------

HttpResponse list_targets(const AlarmsDeps& d, const HttpRequest& req) {
  auto targets = d.alarms->list_targets(request_tenant(req));
  if (!targets.ok()) return error(targets.status());
  std::string body = R"({"Targets":[)";
  for (size_t i = 0; i < targets->size(); i++) {
    if (i > 0) body += ',';
    body += alarm::action_target_json((*targets)[i]);
  }
  body += "]}";
  return HttpResponse::json(200, std::move(body));
}

// The target document with "Name" set to the path's name (added when absent; a different
// Name in the body is an error).
Result<std::string> target_doc(std::string_view body, const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return alarm::aws_error(
        alarm::kInvalidFormat,
        fmt::format("alarm-target: the body is not valid JSON: {}", simdjson::error_message(err)));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    return alarm::aws_error(alarm::kInvalidFormat, "alarm-target: the body must be a JSON object");
  }
  simdjson::dom::element given;
  if (!obj.at_key("Name").get(given) && !given.is_null()) {
    std::string_view s;
    if (given.get_string().get(s) || s != name) {
      return alarm::aws_error(
          alarm::kInvalidParameterCombination,
          fmt::format("The parameter Name must equal the name in the path (\"{}\").", name));
    }
    return std::string(body);
  }
  std::string out = R"({"Name":)";
  json::append_string(out, name);
  const size_t open = body.find('{');
  std::string_view rest = body.substr(open + 1);
  if (obj.size() > 0) out += ',';
  out += rest;
  return out;
}

HttpResponse put_target(const AlarmsDeps& d, const HttpRequest& req) {
  auto body = body_of(req);
  if (!body.ok()) return too_large_or(body.status());
  const std::string name = req.path_params.at("name");
  auto doc = target_doc(*body, name);
  if (!doc.ok()) return error(doc.status());
  const storage::Tenant tenant = request_tenant(req);
  if (Status st = d.alarms->put_target(tenant, *doc); !st.ok()) return error(st);
  auto targets = d.alarms->list_targets(tenant);
  if (!targets.ok()) return error(targets.status());
  for (const auto& t : *targets) {
    if (t.name == name) return HttpResponse::json(200, alarm::action_target_json(t));
  }
  return error(alarm::aws_not_found(fmt::format("The alarm-target \"{}\" does not exist.", name)));
}

HttpResponse delete_target(const AlarmsDeps& d, const HttpRequest& req) {
  Status st = d.alarms->delete_target(request_tenant(req), req.path_params.at("name"));
  return st.ok() ? ok_empty() : error(st);
}

}  // namespace

void register_alarms_api(Router& router, const AlarmsDeps& deps) {
  const AlarmsDeps d = deps;
  // Fixed paths first: GET /api/v1/alarms/*name takes whatever is left.
  router.add("PUT", "/api/v1/alarms/metric",
             [d](HttpRequest& req) { return put_alarm(d, req, AlarmType::kMetric); });
  router.add("PUT", "/api/v1/alarms/composite",
             [d](HttpRequest& req) { return put_alarm(d, req, AlarmType::kComposite); });
  router.add("GET,POST", "/api/v1/alarms", [d](HttpRequest& req) { return describe(d, req); });
  router.add("POST", "/api/v1/alarms/delete",
             [d](HttpRequest& req) { return names_op(d, req, NamesOp::kDelete); });
  router.add("POST", "/api/v1/alarms/enable-actions",
             [d](HttpRequest& req) { return names_op(d, req, NamesOp::kEnable); });
  router.add("POST", "/api/v1/alarms/disable-actions",
             [d](HttpRequest& req) { return names_op(d, req, NamesOp::kDisable); });
  router.add("POST", "/api/v1/alarms/set-state",
             [d](HttpRequest& req) { return set_state(d, req); });
  router.add("GET,POST", "/api/v1/alarms/history",
             [d](HttpRequest& req) { return history(d, req); });
  router.add("GET", "/api/v1/alarms/targets",
             [d](HttpRequest& req) { return list_targets(d, req); });
  router.add("PUT", "/api/v1/alarms/targets/:name",
             [d](HttpRequest& req) { return put_target(d, req); });
  router.add("DELETE", "/api/v1/alarms/targets/:name",
             [d](HttpRequest& req) { return delete_target(d, req); });
  router.add("GET", "/api/v1/alarms/*name", [d](HttpRequest& req) { return get_alarm(d, req); });
}

}  // namespace opsight::api

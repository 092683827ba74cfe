#include "api/api_util.h"

#include <fmt/format.h>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "query/promql/selector.h"
#include "wire/compression.h"

namespace opsight::api {

HttpResponse prom_error(const Status& st) {
  const char* type = "bad_data";
  switch (st.code()) {
    case Code::kInvalidArgument:
      type = "bad_data";
      break;
    case Code::kNotFound:
      type = "not_found";
      break;
    case Code::kDeadlineExceeded:
      type = "timeout";
      break;
    case Code::kCancelled:
      type = "canceled";
      break;
    case Code::kUnavailable:
      type = "unavailable";
      break;
    case Code::kResourceExhausted:
      type = "execution";
      break;
    default:
      type = "internal";
  }
  int code = http_status_for(st.code());
  if (st.code() == Code::kResourceExhausted) code = 422;  // Prometheus: execution errors
  return prom_error(type, code, st.message());
}

HttpResponse prom_error(std::string_view error_type, int http_status, std::string_view message) {
  json::Writer w;
  w.begin_object()
      .kv("status", "error")
      .kv("errorType", error_type)
      .kv("error", message)
      .end_object();
  return HttpResponse::json(http_status, w.take());
}

HttpResponse prom_success(std::string_view data_json) {
  std::string body;
  body.reserve(data_json.size() + 32);
  body += R"({"status":"success","data":)";
  body += data_json;
  body += '}';
  return HttpResponse::json(200, std::move(body));
}

storage::Tenant request_tenant(const HttpRequest& req) {
  storage::Tenant t;
  if (!req.account.empty()) t.account = req.account;
  if (!req.region.empty()) t.region = req.region;
  return t;
}

std::vector<storage::Tenant> request_tenants(const HttpRequest& req) {
  std::vector<storage::Tenant> out{request_tenant(req)};
  out.reserve(1 + req.linked_accounts.size());
  for (const auto& a : req.linked_accounts) {
    if (a == out.front().account) continue;
    out.push_back(storage::Tenant{a, out.front().region});
  }
  return out;
}

Result<int64_t> time_param(const HttpRequest& req, std::string_view name, int64_t def,
                           int64_t now_ms) {
  if (!req.has_param(name) || req.param(name).empty()) return def;
  auto t = parse_time_flexible_ms(req.param(name), now_ms);
  if (!t.ok()) return t.status().with_prefix("parameter " + std::string(name));
  return t;
}

Result<std::vector<std::vector<storage::Matcher>>> match_params(const HttpRequest& req) {
  std::vector<std::vector<storage::Matcher>> out;
  auto values = req.params_named("match[]");
  for (auto v : req.params_named("match")) values.push_back(v);
  for (auto v : values) {
    ASSIGN_OR_RETURN(auto m, query::promql::parse_series_selector(v));
    out.push_back(std::move(m));
  }
  return out;
}

bool is_json(const HttpRequest& req) {
  return req.header("content-type").value_or("").starts_with("application/json");
}

Status check_body_size(const HttpRequest& req, uint64_t max_body, std::string_view limit_name) {
  if (req.body.size() <= max_body) return OkStatus();
  return Status::resource_exhausted(fmt::format("request body is {} bytes > limit {} ({})",
                                                req.body.size(), max_body, limit_name));
}

Result<std::string> decoded_body(const HttpRequest& req, uint64_t max_body, uint64_t max_decoded,
                                 std::string_view limit_name, std::string_view default_encoding) {
  RETURN_IF_ERROR(check_body_size(req, max_body, limit_name));
  std::string_view enc = req.header("content-encoding").value_or(default_encoding);
  return wire::decode_content(enc, req.body, max_decoded);
}

}  // namespace opsight::api

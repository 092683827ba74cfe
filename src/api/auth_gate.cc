#include "api/auth_gate.h"

#include <fmt/format.h>

#include "api/aws/protocol/aws_error.h"
#include "api/aws/protocol/aws_query.h"
#include "common/logging.h"
#include "storage/metric_store.h"

namespace opsight::api {
namespace {

bool is_form(const HttpRequest& req) {
  auto ct = req.header("content-type");
  return ct && ct->find("application/x-www-form-urlencoded") != std::string_view::npos;
}

// awsQuery: Action= in a form body (or, for GET, in the query).
bool is_aws_query(const HttpRequest& req) {
  return req.has_param("Action") && (is_form(req) || req.method == "GET");
}

// CloudWatch's JSON 1.0 and RPC v2 CBOR protocols are query-compatible: clients read the
// awsQuery code from x-amzn-query-error.
bool is_query_compatible(const HttpRequest& req) {
  auto target = req.header("x-amz-target");
  if (target && target->starts_with("GraniteServiceVersion20100801.")) return true;
  return req.path.starts_with("/service/GraniteServiceVersion20100801/");
}

}  // namespace

Result<AuthMode> parse_auth_mode(std::string_view s) {
  if (s == "none") return AuthMode::kNone;
  if (s == "sigv4") return AuthMode::kSigV4;
  return Status::invalid_argument(fmt::format("auth \"{}\" must be none or sigv4", s));
}

std::string_view auth_mode_name(AuthMode mode) {
  return mode == AuthMode::kSigV4 ? "sigv4" : "none";
}

bool AuthGate::is_health_path(std::string_view path) {
  return path == "/-/healthy" || path == "/-/ready" || path == "/healthz" || path == "/readyz";
}

HttpResponse auth_error_response(const HttpRequest& req, const Status& status) {
  aws::AwsError e = aws::to_aws_error(status, aws::kCloudWatchErrors);
  const bool query = is_aws_query(req);
  // JSON services name an unknown key UnrecognizedClientException; awsQuery (and CloudWatch's
  // query-compatible protocols) InvalidClientTokenId.
  const bool query_codes = query || is_query_compatible(req);
  if (e.code == auth::kInvalidClientTokenId && !query_codes) e.code = "UnrecognizedClientException";
  const std::string request_id = aws::new_request_id();
  if (query) return aws::query_error_response(e, request_id, aws::kCloudWatchXmlns);
  HttpResponse r = aws::json_error_response(e, request_id);
  if (query_codes) {
    r.headers.emplace_back("x-amzn-query-error", fmt::format("{};{}", e.code, e.fault()));
  }
  return r;
}

std::optional<HttpResponse> AuthGate::check(HttpRequest& req) const {
  req.region = options_.region;
  req.account = std::string(storage::kDefaultAccount);
  req.linked_accounts.clear();
  if (is_health_path(req.path)) return std::nullopt;
  if (options_.mode == AuthMode::kNone) {
    set_linked_accounts(req);
    return std::nullopt;
  }

  const std::string_view target = req.target;
  const size_t q = target.find('?');
  auth::SigV4Request sreq;
  sreq.method = req.method;
  sreq.raw_path = target.substr(0, q);
  sreq.raw_query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  sreq.headers = &req.headers;
  sreq.body = req.body;
  const int64_t now =
      options_.clock != nullptr ? options_.clock->now_ms() : Clock::real()->now_ms();
  auto id = auth::verify_sigv4(sreq, now, options_.resolver);
  if (!id.ok()) {
    req.account.clear();
    if (id.status().code() == Code::kUnauthenticated) {
      log::debug("auth: refused {} {} from {}: {}", req.method, req.path, req.remote_addr,
                 id.status().message().substr(0, id.status().message().find(':')));
    } else {
      log::error("auth: cannot verify {} {}: {}", req.method, req.path, id.status().to_string());
    }
    return auth_error_response(req, id.status());
  }
  req.account = std::move(id->account);
  set_linked_accounts(req);
  return std::nullopt;
}

void AuthGate::set_linked_accounts(HttpRequest& req) const {
  if (options_.links == nullptr) return;
  auto sources = options_.links->sources(req.account);
  if (!sources.ok()) {
    log::error("auth: cannot read the account links of {}: {}", req.account,
               sources.status().to_string());
    return;
  }
  req.linked_accounts = std::move(*sources);
}

}  // namespace opsight::api

#pragma once
// HTTP request/response values and the router, free of any networking header: handlers and
// front ends include only this. The Beast-based server lives in server.cc.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace opsight::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path?query
  std::string path;    // percent-decoded path
  // Query parameters, then (for application/x-www-form-urlencoded POST bodies) form fields.
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_addr;
  std::map<std::string, std::string> path_params;  // from ":name" / "*name" route segments
  // Who the request acts for, set by the server before dispatch (api/auth_gate.h): the account
  // of the verified SigV4 access key ("" = the default account, with `auth: none`) and the
  // server's region ("" = the default region). Handlers read them through request_tenant().
  std::string account;
  std::string region;
  // The source accounts linked to `account` (resources/account_links.h), sorted; empty for an
  // account that is not a monitoring account. Set by the auth gate with account; read through
  // request_tenants() by queries that may span linked accounts.
  std::vector<std::string> linked_accounts;

  std::optional<std::string_view> header(std::string_view lower_name) const;
  // First value of a parameter, or "" when absent.
  std::string_view param(std::string_view name) const;
  bool has_param(std::string_view name) const;
  std::vector<std::string_view> params_named(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static HttpResponse text(int status, std::string body);
  static HttpResponse json(int status, std::string body);
  static HttpResponse no_content() { return HttpResponse{204, "", {}, {}}; }
};

// HTTP status for a Status code (InvalidArgument 400, NotFound 404, ResourceExhausted 429,
// Unavailable 503, ...).
int http_status_for(Code code);

using Handler = std::function<HttpResponse(HttpRequest&)>;

// Routes "METHOD /path/:param/more" and "/prefix/*rest" patterns. Thread-safe for dispatch once
// built (routes are added before the server starts).
class Router {
 public:
  // `methods`: "GET", "POST", "GET,POST", or "*" for any.
  void add(std::string_view methods, std::string_view pattern, Handler handler);
  // 404 when no path matches; 405 with Allow when the path matches for other methods.
  HttpResponse dispatch(HttpRequest& req) const;

  // Runs before dispatch in dispatch_guarded (api/http/server_core.h), i.e. for every request
  // of the HTTP and OTLP/gRPC servers: it may set fields of the request (the auth gate sets
  // req.account / req.region, api/auth_gate.h) or answer it (a refused request). Set before the
  // server starts; Router::dispatch itself does not run it.
  using Gate = std::function<std::optional<HttpResponse>(HttpRequest&)>;
  void set_gate(Gate gate) { gate_ = std::move(gate); }
  const Gate& gate() const { return gate_; }

 private:
  struct Route {
    std::vector<std::string> methods;
    std::vector<std::string> segments;  // "api", "v1", ":name", "*rest"
    Handler handler;
  };
  static bool match(const Route& r, std::string_view path, std::map<std::string, std::string>* p);
  std::vector<Route> routes_;
  Gate gate_;
};

// Percent-decoding ('+' -> ' ' when form) and "a=b&c=d" parsing.
std::string url_decode(std::string_view s, bool form);
void parse_query(std::string_view qs, std::vector<std::pair<std::string, std::string>>* out);

}  // namespace opsight::api

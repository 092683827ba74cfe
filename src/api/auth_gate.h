#pragma once
// The authentication gate: runs before the router for every HTTP/1.1 request and every
// OTLP/gRPC call (Router::set_gate, called from dispatch_guarded in api/http/server_core.cc) and
// decides who the request acts for.
//
//  - `auth: none`: every request acts for the default account (storage::kDefaultAccount); an
//    Authorization header is ignored. Allowed only on loopback listeners (server/config.h).
//  - `auth: sigv4`: every request except the health endpoints (/-/healthy, /-/ready, /healthz,
//    /readyz) must carry a valid AWS Signature Version 4 (auth/sigv4.h) made with an Active
//    access key (auth/key_store.h); it then acts for that key's account. The signature covers the
//    raw path and query (req.target) and the raw body as received (before any gzip decoding or
//    form parsing).
//  In both modes req.region is the server's region and req.account is overwritten, so nothing a
//  client sends can choose the tenant except a verified signature. req.linked_accounts is
//  likewise overwritten: the source accounts linked to req.account (AuthGateOptions.links).
//
// A refused request gets HTTP 403 (500 when the key store failed) in the shape its client
// parses: awsQuery requests (form-encoded with Action=, as the AWS CLI and boto3 send CloudWatch
// calls) an XML ErrorResponse; everything else the JSON {"__type","message"} with
// x-amzn-ErrorType (and x-amzn-query-error for CloudWatch's query-compatible JSON and CBOR
// protocols). Every refusal carries x-amzn-RequestId. Bodies and logs name the AWS error code and
// a reason, never the secret, the expected signature, the string to sign or the canonical
// request.
//
// Thread safety: check() is const and thread-safe when the resolver is (KeyStore's is).

#include <optional>
#include <string>
#include <string_view>

#include "api/http/http.h"
#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/status.h"
#include "resources/account_links.h"

namespace opsight::api {

enum class AuthMode { kNone, kSigV4 };
// "none" / "sigv4"; InvalidArgument naming the accepted values otherwise.
Result<AuthMode> parse_auth_mode(std::string_view s);
std::string_view auth_mode_name(AuthMode mode);

struct AuthGateOptions {
  AuthMode mode = AuthMode::kNone;
  std::string region = "local";  // the server's region, set on every request
  Clock* clock = nullptr;        // for the signature's time window
  auth::KeyResolver resolver;    // required for kSigV4
  // Monitoring-account links: when set, every admitted request gets req.linked_accounts = the
  // sources linked to its account (a failed lookup leaves it empty and is logged: the request
  // then sees only its own account). Null = no links. Must outlive the gate.
  resources::AccountLinks* links = nullptr;
};

class AuthGate {
 public:
  explicit AuthGate(AuthGateOptions options) : options_(std::move(options)) {}

  // nullopt: the request may proceed (req.account and req.region are set). Otherwise the
  // response that refuses it.
  std::optional<HttpResponse> check(HttpRequest& req) const;

  // True for the paths that need no signature.
  static bool is_health_path(std::string_view path);

 private:
  void set_linked_accounts(HttpRequest& req) const;

  AuthGateOptions options_;
};

// The refusal of `req` for a non-ok Status from auth::verify_sigv4 (exposed for tests).
HttpResponse auth_error_response(const HttpRequest& req, const Status& status);

}  // namespace opsight::api

#pragma once
// Small helpers shared by the HTTP front ends: error bodies, time-range parameters, tenants.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/http.h"
#include "common/clock.h"
#include "common/status.h"
#include "storage/matcher.h"
#include "storage/metric_store.h"

namespace opsight::api {

// Prometheus API envelope: {"status":"error","errorType":"bad_data","error":"..."}
HttpResponse prom_error(const Status& st);
// The same with an explicit Prometheus errorType and HTTP status.
HttpResponse prom_error(std::string_view error_type, int http_status, std::string_view message);
// {"status":"success","data":<data_json>}
HttpResponse prom_success(std::string_view data_json);

// The tenant a request acts for: req.account / req.region as the server set them (the verified
// access key's account), the defaults where they are empty.
storage::Tenant request_tenant(const HttpRequest& req);
// The tenants a request may read when it asks to span linked accounts: its own tenant first,
// then one per linked source account (req.linked_accounts, same region).
std::vector<storage::Tenant> request_tenants(const HttpRequest& req);

// Reads `name` as a time (RFC 3339, Unix seconds, ms for 13+ digits, "now", "now-1h"); `def`
// when absent.
Result<int64_t> time_param(const HttpRequest& req, std::string_view name, int64_t def,
                           int64_t now_ms);

// True when the request's Content-Type is JSON.
bool is_json(const HttpRequest& req);
// ResourceExhausted naming `limit_name` when the raw body is longer than `max_body`.
Status check_body_size(const HttpRequest& req, uint64_t max_body, std::string_view limit_name);
// The body after check_body_size, decompressed per Content-Encoding (`default_encoding` when the
// header is absent) into at most `max_decoded` bytes.
Result<std::string> decoded_body(const HttpRequest& req, uint64_t max_body, uint64_t max_decoded,
                                 std::string_view limit_name,
                                 std::string_view default_encoding = "");
// Parses every `match[]` (or `match`) parameter as a series selector.
Result<std::vector<std::vector<storage::Matcher>>> match_params(const HttpRequest& req);

}  // namespace opsight::api

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
// {"status":"success","data":<data_json>}
HttpResponse prom_success(std::string_view data_json);

// The tenant a request acts for. Until authentication exists (SigV4 access keys), every request
// acts for the default account and region.
storage::Tenant request_tenant(const HttpRequest& req);

// Reads `name` as a time (RFC 3339, Unix seconds, ms for 13+ digits, "now", "now-1h"); `def`
// when absent.
Result<int64_t> time_param(const HttpRequest& req, std::string_view name, int64_t def,
                           int64_t now_ms);

// Parses every `match[]` (or `match`) parameter as a series selector.
Result<std::vector<std::vector<storage::Matcher>>> match_params(const HttpRequest& req);

}  // namespace opsight::api

#pragma once
// Prometheus HTTP API for rules and alerts (prometheus.io/docs/prometheus/latest/querying/
// api/#rules and #alerts), with Prometheus 2.42's JSON field names and order:
//   GET /api/v1/rules[?type=alert|record&rule_name[]=&rule_group[]=&file[]=]
//   GET /api/v1/alerts
//   POST|PUT /-/reload   (re-reads the rule files; 200, or 500 with the error text)

#include <functional>
#include <vector>

#include "api/http/http.h"
#include "common/status.h"
#include "rules/group.h"

namespace opsight::api {

struct RulesDeps {
  // A snapshot of every rule group (rules::Manager::groups()).
  std::function<std::vector<rules::GroupStatus>()> groups;
  // Reloads the rule files; empty = no /-/reload route.
  std::function<Status()> reload;
};

void register_rules_api(Router& router, RulesDeps deps);

// The JSON bodies (the "data" member), exposed for tests.
Result<std::string> rules_json(const std::vector<rules::GroupStatus>& groups,
                               const HttpRequest& req);
std::string alerts_json(const std::vector<rules::GroupStatus>& groups);

}  // namespace opsight::api

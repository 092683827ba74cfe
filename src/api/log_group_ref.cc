#include "api/log_group_ref.h"

#include <fmt/format.h>

#include "api/api_util.h"

namespace opsight::api {

std::string log_group_arn_of(const storage::Tenant& tenant, std::string_view group) {
  return fmt::format("arn:aws:logs:{}:{}:log-group:{}", tenant.region, tenant.account, group);
}

Result<LogGroupRef> readable_log_group(const HttpRequest& req, std::string_view identifier) {
  if (!identifier.starts_with("arn:")) {
    return LogGroupRef{request_tenant(req), std::string(identifier)};
  }
  for (const auto& tenant : request_tenants(req)) {
    const std::string prefix = log_group_arn_of(tenant, "");
    if (!identifier.starts_with(prefix)) continue;
    std::string_view name = identifier.substr(prefix.size());
    if (name.ends_with(":*")) name.remove_suffix(2);
    if (name.empty()) break;
    return LogGroupRef{tenant, std::string(name)};
  }
  return Status::not_found("ResourceNotFoundException: The specified log group does not exist.");
}

}  // namespace opsight::api

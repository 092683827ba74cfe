// Cross-account reads of CloudWatch Logs: the log groups of a monitoring account's linked source
// accounts (CloudWatch cross-account observability; CloudWatch Logs API reference:
// API_StartQuery logGroupIdentifiers, API_DescribeLogGroups includeLinkedAccounts /
// accountIdentifiers, API_GetLogEvents / API_FilterLogEvents logGroupIdentifier). Which accounts
// are linked comes from the auth gate (HttpRequest::linked_accounts); api/log_group_ref.h decides
// which of them an identifier names.
#include "api/aws/logs/logs_ops.h"
#include "api/log_group_ref.h"

namespace opsight::api::aws::logs_ops {

Result<GroupRef> readable_group(const Call& c, std::string_view identifier) {
  if (!identifier.starts_with("arn:")) return GroupRef{c.tenant, std::string(identifier)};
  ASSIGN_OR_RETURN(auto ref, readable_log_group(c.http, identifier));
  return GroupRef{std::move(ref.tenant), std::move(ref.name)};
}

Result<storage::Tenant> read_tenant(const Call& c) {
  ASSIGN_OR_RETURN(auto id, c.args.string("logGroupIdentifier"));
  if (!id || !id->starts_with("arn:") || c.http.linked_accounts.empty()) return c.tenant;
  ASSIGN_OR_RETURN(auto ref, readable_group(c, *id));
  return ref.tenant;
}

}  // namespace opsight::api::aws::logs_ops

#pragma once
// Log group identifiers that may name a linked source account's group (CloudWatch
// cross-account observability): a plain name is the caller's own group; an ARN
// arn:aws:logs:<region>:<account>:log-group:<name>[:*] names the group of that account, which must
// be the caller's or one linked to it (HttpRequest::linked_accounts, same region). Used by the
// AWS Logs front end and the native logs API alike.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "api/http/http.h"
#include "common/status.h"
#include "storage/metric_store.h"

namespace opsight::api {

struct LogGroupRef {
  storage::Tenant tenant;
  std::string name;
};

// arn:aws:logs:<region>:<account>:log-group:<name>
std::string log_group_arn_of(const storage::Tenant& tenant, std::string_view group);

// The group `identifier` names for reading by `req`'s account. An ARN of an account that is
// neither the caller's nor linked to it (or of another region, or not a log group ARN) is
// NotFound "ResourceNotFoundException: The specified log group does not exist." — the same
// answer whether or not the group exists. Does not check that the group exists.
Result<LogGroupRef> readable_log_group(const HttpRequest& req, std::string_view identifier);

}  // namespace opsight::api

#pragma once
// Internal to api/aws/logs: the CloudWatch Logs operations behind handle_logs_request(), one
// function per operation, grouped by subject in logs_{group,event,query,metric_filter}_ops.cc.
// Each takes the parsed request and returns the JSON 1.1 response document (or a Status with the
// documented error code as a message prefix).

#include <cstdint>
#include <string>
#include <string_view>

#include "api/aws/logs/logs_aws_api.h"
#include "api/aws/logs/logs_request.h"

namespace opsight::api::aws::logs_ops {

struct Call {
  const LogsAwsDeps& deps;
  const HttpRequest& http;
  const LogsRequest& args;
  std::string_view body;  // the decoded request body
  storage::Tenant tenant;
  int64_t now_ms = 0;
};

using Operation = Result<std::string> (*)(const Call&);

// --- shared helpers (logs_group_ops.cc) ---
// arn:aws:logs:<region>:<account>:log-group:<name>
std::string log_group_arn(const storage::Tenant& tenant, std::string_view group);
// The group named by logGroupName, or by logGroupIdentifier (a name or an ARN of this tenant).
Result<std::string> group_of(const Call& c);
// The group name of a log group ARN of this tenant (":*" suffix allowed); NotFound otherwise.
Result<std::string> group_of_arn(const storage::Tenant& tenant, std::string_view arn);
// NotFound "ResourceNotFoundException: The specified log group does not exist." when absent.
Status require_group(const Call& c, std::string_view group);
// Offset pagination: [*begin, *end) of `total` items from nextToken and limit (1..max_limit,
// default default_limit); *next is the token of the next page or "".
Status page(const Call& c, std::string_view limit_member, size_t total, int64_t default_limit,
            int64_t max_limit, size_t* begin, size_t* end, std::string* next);

// --- cross-account reads (logs_cross_account.cc) ---
// A log group of some tenant: the caller's own or a linked source account's.
struct GroupRef {
  storage::Tenant tenant;
  std::string name;
};
// The group a logGroupIdentifier names for reading: a name (the caller's group), an ARN of the
// caller's account, or an ARN of a source account linked to it (HttpRequest::linked_accounts,
// same region). Any other ARN is NotFound "ResourceNotFoundException: The specified log group
// does not exist." — the same answer whether or not the group exists, so an account learns
// nothing about accounts not linked to it. Does not check that the group exists.
Result<GroupRef> readable_group(const Call& c, std::string_view identifier);
// The tenant a read of one group (GetLogEvents, FilterLogEvents, DescribeLogStreams) acts on:
// that of the linked source account when logGroupIdentifier is its ARN, else c.tenant.
Result<storage::Tenant> read_tenant(const Call& c);

// --- operations ---
Result<std::string> create_log_group(const Call& c);
Result<std::string> delete_log_group(const Call& c);
Result<std::string> describe_log_groups(const Call& c);
Result<std::string> create_log_stream(const Call& c);
Result<std::string> delete_log_stream(const Call& c);
Result<std::string> describe_log_streams(const Call& c);
Result<std::string> put_retention_policy(const Call& c);
Result<std::string> delete_retention_policy(const Call& c);
Result<std::string> tag_log_group(const Call& c);
Result<std::string> untag_log_group(const Call& c);
Result<std::string> list_tags_log_group(const Call& c);
Result<std::string> tag_resource(const Call& c);
Result<std::string> untag_resource(const Call& c);
Result<std::string> list_tags_for_resource(const Call& c);

Result<std::string> put_log_events(const Call& c);
Result<std::string> get_log_events(const Call& c);
Result<std::string> filter_log_events(const Call& c);

Result<std::string> start_query(const Call& c);
Result<std::string> get_query_results(const Call& c);
Result<std::string> stop_query(const Call& c);
Result<std::string> describe_queries(const Call& c);
Result<std::string> put_query_definition(const Call& c);
Result<std::string> describe_query_definitions(const Call& c);
Result<std::string> delete_query_definition(const Call& c);

Result<std::string> put_metric_filter(const Call& c);
Result<std::string> describe_metric_filters(const Call& c);
Result<std::string> delete_metric_filter(const Call& c);

}  // namespace opsight::api::aws::logs_ops

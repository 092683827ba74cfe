#include "api/aws/logs/logs_aws_api.h"

#include <fmt/format.h>

#include <map>

#include "api/api_util.h"
#include "api/aws/logs/logs_ops.h"
#include "api/aws/protocol/aws_error.h"

namespace opsight::api::aws {
namespace {

using logs_ops::Operation;

const std::map<std::string, Operation, std::less<>>& operations() {
  static const std::map<std::string, Operation, std::less<>> ops = {
      {"CreateLogGroup", logs_ops::create_log_group},
      {"DeleteLogGroup", logs_ops::delete_log_group},
      {"DescribeLogGroups", logs_ops::describe_log_groups},
      {"CreateLogStream", logs_ops::create_log_stream},
      {"DeleteLogStream", logs_ops::delete_log_stream},
      {"DescribeLogStreams", logs_ops::describe_log_streams},
      {"PutRetentionPolicy", logs_ops::put_retention_policy},
      {"DeleteRetentionPolicy", logs_ops::delete_retention_policy},
      {"TagLogGroup", logs_ops::tag_log_group},
      {"UntagLogGroup", logs_ops::untag_log_group},
      {"ListTagsLogGroup", logs_ops::list_tags_log_group},
      {"TagResource", logs_ops::tag_resource},
      {"UntagResource", logs_ops::untag_resource},
      {"ListTagsForResource", logs_ops::list_tags_for_resource},
      {"PutLogEvents", logs_ops::put_log_events},
      {"GetLogEvents", logs_ops::get_log_events},
      {"FilterLogEvents", logs_ops::filter_log_events},
      {"StartQuery", logs_ops::start_query},
      {"GetQueryResults", logs_ops::get_query_results},
      {"StopQuery", logs_ops::stop_query},
      {"DescribeQueries", logs_ops::describe_queries},
      {"PutQueryDefinition", logs_ops::put_query_definition},
      {"DescribeQueryDefinitions", logs_ops::describe_query_definitions},
      {"DeleteQueryDefinition", logs_ops::delete_query_definition},
      {"PutMetricFilter", logs_ops::put_metric_filter},
      {"DescribeMetricFilters", logs_ops::describe_metric_filters},
      {"DeleteMetricFilter", logs_ops::delete_metric_filter},
  };
  return ops;
}

constexpr std::string_view kContentType = "application/x-amz-json-1.1";

HttpResponse error_response(const Status& st, const std::string& request_id) {
  HttpResponse r = json_error_response(to_aws_error(st, kLogsErrors), request_id);
  r.content_type = std::string(kContentType);
  return r;
}

}  // namespace

HttpResponse handle_logs_request(const LogsAwsDeps& deps, HttpRequest& req,
                                 std::string_view operation) {
  const std::string request_id = new_request_id();
  auto op = operations().find(operation);
  if (op == operations().end()) {
    return error_response(
        Status::invalid_argument(fmt::format(
            "UnknownOperationException: Logs_20140328.{} is not a CloudWatch Logs operation",
            operation)),
        request_id);
  }
  const uint64_t max = deps.logs.log_limits.max_request_bytes;
  auto body = decoded_body(req, max, max, "limits.logs.max_request_bytes");
  if (!body.ok()) return error_response(body.status(), request_id);
  auto args = LogsRequest::parse(*body);
  if (!args.ok()) return error_response(args.status(), request_id);
  logs_ops::Call call{deps, req, *args, *body, request_tenant(req), deps.logs.clock->now_ms()};
  // Reads of one group named by the ARN of a linked source account act on that account.
  if (operation == "GetLogEvents" || operation == "FilterLogEvents" ||
      operation == "DescribeLogStreams") {
    auto tenant = logs_ops::read_tenant(call);
    if (!tenant.ok()) return error_response(tenant.status(), request_id);
    call.tenant = std::move(*tenant);
  }
  auto out = op->second(call);
  if (!out.ok()) return error_response(out.status(), request_id);
  HttpResponse r = HttpResponse::json(200, std::move(*out));
  r.content_type = std::string(kContentType);
  r.headers.emplace_back("x-amzn-RequestId", request_id);
  return r;
}

}  // namespace opsight::api::aws

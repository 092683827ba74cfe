#pragma once
// The CloudWatch Logs API (AWS JSON 1.1, API version 2014-03-28) over the same services as the
// native logs API: the AWS dispatcher (api/aws/cloudwatch/aws_api.h) owns `POST /` and calls
// handle_logs_request() for `X-Amz-Target: Logs_20140328.<operation>`.
//
// Protocol (AWS JSON 1.1): the request body is a JSON document (gzip per Content-Encoding);
// responses are `application/x-amz-json-1.1` with x-amzn-RequestId; timestamps are epoch
// milliseconds, except StartQuery's startTime/endTime (epoch seconds, as the API reference says).
// Errors: {"__type": "<Code>", "message": "..."} with x-amzn-ErrorType (aws_error.h, kLogsErrors):
// InvalidParameterException, ResourceNotFoundException, ResourceAlreadyExistsException,
// LimitExceededException, MalformedQueryException, SerializationException (body not JSON),
// UnknownOperationException.
//
// Operations: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, CreateLogStream,
// DeleteLogStream, DescribeLogStreams, PutLogEvents (EMF metrics with `x-amzn-logs-format:
// json/emf`; sequenceToken accepted and ignored, as CloudWatch does now), GetLogEvents,
// FilterLogEvents, StartQuery, GetQueryResults, StopQuery, DescribeQueries, PutQueryDefinition,
// DescribeQueryDefinitions, DeleteQueryDefinition, PutRetentionPolicy, DeleteRetentionPolicy,
// PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TagLogGroup, UntagLogGroup,
// ListTagsLogGroup, TagResource, UntagResource, ListTagsForResource. Log group ARNs are
// arn:aws:logs:<region>:<account>:log-group:<name> (DescribeLogGroups' `arn` adds ":*", as AWS).
//
// Thread safety: handle_logs_request() is called concurrently from the server's workers; the
// services in LogsAwsDeps are thread-safe.

#include <string_view>

#include "api/http/http.h"
#include "api/native/logs_api.h"
#include "resources/metric_filters.h"
#include "resources/query_definitions.h"
#include "resources/tag_store.h"

namespace opsight::api::aws {

struct LogsAwsDeps {
  // The native logs API's services (store, metrics, Logs Insights, limits, clock, and the
  // metric filter hook that the writer applies).
  LogsDeps logs;
  resources::TagStore* tags = nullptr;
  resources::MetricFilterStore* metric_filters = nullptr;
  resources::QueryDefinitionStore* query_definitions = nullptr;
};

// Runs one operation ("PutLogEvents") of `req` for request_tenant(req).
HttpResponse handle_logs_request(const LogsAwsDeps& deps, HttpRequest& req,
                                 std::string_view operation);

}  // namespace opsight::api::aws

#pragma once
// Errors and request ids shared by the AWS front ends (CloudWatch, CloudWatch Logs, X-Ray).
//
// Services report errors as opsight::Status. A message may start with the AWS error code the
// API reference documents for the case ("InvalidParameterValue: The parameter Period ...",
// alarm/alarm_types.h); otherwise the code follows from the Status code and the service's
// naming (CloudWatch says "ResourceNotFound", CloudWatch Logs "ResourceNotFoundException").
// Each protocol renders the resulting AwsError in its own documented shape: JSON 1.0/1.1 and
// REST-JSON with json_error_response(); awsQuery (XML) and RPC v2 CBOR in api/aws/protocol.
//
// Every response of an AWS front end carries a request id (x-amzn-RequestId); error bodies
// never echo secrets or signatures, only the message of the Status.
//
// Thread safety: pure functions; new_request_id() is thread-safe.

#include <string>
#include <string_view>

#include "api/http/http.h"
#include "common/status.h"

namespace opsight::api::aws {

// The default error codes of one service, by Status code.
struct ServiceErrorCodes {
  std::string_view invalid_argument;  // e.g. "InvalidParameterValue"
  std::string_view not_found;         // e.g. "ResourceNotFound"
  std::string_view already_exists;    // e.g. "ResourceAlreadyExists"
  std::string_view limit_exceeded;    // e.g. "LimitExceeded"
};
// CloudWatch (monitoring), CloudWatch Logs and X-Ray naming.
extern const ServiceErrorCodes kCloudWatchErrors;
extern const ServiceErrorCodes kLogsErrors;
extern const ServiceErrorCodes kXrayErrors;

struct AwsError {
  int http_status = 400;
  std::string code;     // "InvalidParameterValue", "ResourceNotFoundException", ...
  std::string message;  // without the code prefix
  // awsQuery / query-compatible: "Sender" for 4xx, "Receiver" for 5xx.
  std::string_view fault() const { return http_status >= 500 ? "Receiver" : "Sender"; }
};

// The AwsError of a non-ok Status: a "Code: " message prefix wins when it is an AWS error code
// (ends in Exception/Error/Fault, or a known awsQuery code such as InvalidParameterValue; a
// prefix like "PutMetricData: " is part of the message); else the service default for
// the Status code (Unauthenticated/PermissionDenied -> 403 "AccessDeniedException", Unavailable
// -> 503 "ServiceUnavailable", DeadlineExceeded -> 503, Internal and the rest -> 500
// "InternalFailure"). A code ending in "LimitExceeded"/"LimitExceededException" or a
// ResourceExhausted status keeps HTTP 400 (as AWS answers LimitExceeded), except throttling
// ("ThrottlingException", "Throttling") which is 400 too but marked retryable by clients.
AwsError to_aws_error(const Status& status, const ServiceErrorCodes& codes);

// A random version-4 UUID ("c0ffee00-...").
std::string new_request_id();

// JSON 1.0 / 1.1 / REST-JSON error: the HTTP status, x-amzn-RequestId, x-amzn-ErrorType: <code>,
// body {"__type": "<code>", "message": "<message>"}.
HttpResponse json_error_response(const AwsError& error, std::string_view request_id);

}  // namespace opsight::api::aws

#include "api/aws/protocol/aws_error.h"

#include <fmt/format.h>

#include <random>

#include "alarm/alarm_types.h"
#include "common/json_writer.h"

namespace opsight::api::aws {

const ServiceErrorCodes kCloudWatchErrors{"InvalidParameterValue", "ResourceNotFound",
                                          "ResourceAlreadyExists", "LimitExceeded"};
const ServiceErrorCodes kLogsErrors{"InvalidParameterException", "ResourceNotFoundException",
                                    "ResourceAlreadyExistsException", "LimitExceededException"};
const ServiceErrorCodes kXrayErrors{"InvalidRequestException", "ResourceNotFoundException",
                                    "InvalidRequestException", "RuleLimitExceededException"};

namespace {

// Whether a message prefix is an AWS error code rather than the name of what failed
// ("PutMetricData: ...", "GetTraceSummaries: ..."): the codes of the API references end in
// Exception, Error or Fault, or are one of the awsQuery-era codes below.
bool is_aws_error_code(std::string_view code) {
  static constexpr std::string_view kSuffixes[] = {"Exception", "Error", "Fault"};
  for (std::string_view suffix : kSuffixes) {
    if (code.size() > suffix.size() && code.ends_with(suffix)) return true;
  }
  static constexpr std::string_view kCodes[] = {
      "InvalidParameterValue", "InvalidParameterCombination", "InvalidParameterInput",
      "MissingParameter", "ResourceNotFound", "ResourceAlreadyExists", "LimitExceeded",
      "InvalidNextToken", "InvalidFormat", "InvalidAction", "MissingAction", "MalformedQueryString",
      "RequestEntityTooLarge", "Throttling", "ServiceUnavailable", "InternalFailure",
      "AccessDenied", "ConcurrentModification",
      // SigV4 refusals (auth/sigv4.h).
      "MissingAuthenticationToken", "IncompleteSignature", "InvalidClientTokenId",
      "SignatureDoesNotMatch", "RequestExpired", "SignatureExpired"};
  for (std::string_view known : kCodes) {
    if (code == known) return true;
  }
  return false;
}

}  // namespace

AwsError to_aws_error(const Status& status, const ServiceErrorCodes& codes) {
  AwsError e;
  std::string_view message = status.message();
  const std::string_view prefixed = alarm::aws_error_code(status);
  if (!prefixed.empty() && is_aws_error_code(prefixed)) {
    e.code = std::string(prefixed);
    message.remove_prefix(prefixed.size() + 2);
  }
  switch (status.code()) {
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
      e.http_status = 400;
      if (e.code.empty()) e.code = codes.invalid_argument;
      break;
    case Code::kNotFound:
      e.http_status = 400;
      if (e.code.empty()) e.code = codes.not_found;
      break;
    case Code::kAlreadyExists:
      e.http_status = 400;
      if (e.code.empty()) e.code = codes.already_exists;
      break;
    case Code::kResourceExhausted:
      e.http_status = 400;
      if (e.code.empty()) e.code = codes.limit_exceeded;
      break;
    case Code::kUnauthenticated:
    case Code::kPermissionDenied:
      e.http_status = 403;
      if (e.code.empty()) e.code = "AccessDeniedException";
      break;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      e.http_status = 503;
      if (e.code.empty()) e.code = "ServiceUnavailable";
      break;
    default:
      e.http_status = 500;
      if (e.code.empty()) e.code = "InternalFailure";
      break;
  }
  e.message = std::string(message);
  return e;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t hi = rng();
  const uint64_t lo = rng();
  // RFC 9562 section 5.4: version 4 in bits 48..51, variant 10 in bits 64..65.
  const uint64_t h = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const uint64_t l = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", h >> 32, (h >> 16) & 0xffff, h & 0xffff,
                     l >> 48, l & 0xffffffffffffULL);
}

HttpResponse json_error_response(const AwsError& error, std::string_view request_id) {
  json::Writer w;
  w.begin_object();
  w.kv("__type", error.code);
  w.kv("message", error.message);
  w.end_object();
  HttpResponse r = HttpResponse::json(error.http_status, w.take());
  r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  r.headers.emplace_back("x-amzn-ErrorType", error.code);
  return r;
}

}  // namespace opsight::api::aws

#pragma once
// The AWS front end's entry points on the main HTTP port: CloudWatch in its three wire
// protocols and the CloudWatch Logs dispatch.
//
//   POST /   X-Amz-Target: GraniteServiceVersion20100801.<Op>  CloudWatch, AWS JSON 1.0
//            X-Amz-Target: Logs_20140328.<Op>                  CloudWatch Logs (deps.logs)
//            form body (application/x-www-form-urlencoded) with Action=<Op>
//                                                              CloudWatch, awsQuery (XML out)
//   POST /service/GraniteServiceVersion20100801/operation/<Op> CloudWatch, Smithy RPC v2 CBOR
//
// Every CloudWatch request is translated to the AWS JSON 1.0 request document, run through the
// CwOperation of deps.cloudwatch (cloudwatch_ops.h) and its JSON answer translated back
// (api/aws/protocol). Request bodies may be gzip-compressed (Content-Encoding: gzip). Every
// response carries x-amzn-RequestId; errors take each protocol's documented shape (awsQuery
// <ErrorResponse>, JSON {"__type","message"} + x-amzn-query-error, CBOR map + the same header).
// An unknown operation answers InvalidAction (awsQuery) / UnknownOperationException (JSON, CBOR);
// a Logs target with deps.logs unset answers 400 UnknownOperationException.
//
// Thread safety: the handlers are thread-safe when the operations are (they are called
// concurrently from the server's workers); deps are copied at registration.

#include <cstdint>
#include <functional>
#include <string_view>

#include "api/aws/cloudwatch/cloudwatch_ops.h"
#include "api/http/http.h"
#include "common/clock.h"

namespace opsight::api::aws {

// The CloudWatch Logs handler (api/aws/logs/logs_aws_api.h: handle_logs_request bound to its
// deps): the request and the operation name after "Logs_20140328.".
using LogsHandler = std::function<HttpResponse(HttpRequest&, std::string_view operation)>;

struct AwsApiDeps {
  // Operation name -> implementation; the server fills it with add_cloudwatch_metric_ops()
  // (metric_ops.h), add_cloudwatch_alarm_ops() and add_cloudwatch_resource_ops().
  CwOperationTable cloudwatch;
  LogsHandler logs;        // empty = Logs targets answer UnknownOperationException
  Clock* clock = nullptr;  // CwContext::now_ms; nullptr = Clock::real()
  // Raw and decompressed request body limits (bytes). CloudWatch documents 1 MB for
  // PutMetricData (compressed); the decoded limit bounds gzip bombs.
  uint64_t max_body = 1 << 20;
  uint64_t max_decoded = 8 << 20;
};

// Registers "POST /" and the RPC v2 CBOR route. Nothing else may be registered at "POST /".
void register_aws_api(Router& router, const AwsApiDeps& deps);

}  // namespace opsight::api::aws

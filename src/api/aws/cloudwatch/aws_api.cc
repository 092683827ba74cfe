// The AWS front end's dispatcher on POST / and the CloudWatch RPC v2 CBOR route; see aws_api.h.
#include "api/aws/cloudwatch/aws_api.h"

#include <fmt/format.h>

#include "api/api_util.h"
#include "api/aws/protocol/aws_error.h"
#include "api/aws/protocol/aws_query.h"
#include "api/aws/protocol/rpcv2_cbor.h"
#include "api/aws/protocol/shapes.h"

namespace opsight::api::aws {
namespace {

constexpr std::string_view kCloudWatchTarget = "GraniteServiceVersion20100801.";
constexpr std::string_view kLogsTarget = "Logs_20140328.";
constexpr std::string_view kJson10 = "application/x-amz-json-1.0";

// CloudWatch is awsQueryCompatible: JSON and CBOR errors also carry the awsQuery code and fault.
void add_query_error_header(HttpResponse* r, const AwsError& e) {
  r->headers.emplace_back("x-amzn-query-error", fmt::format("{};{}", e.code, e.fault()));
}

HttpResponse json_error(const AwsError& e, std::string_view request_id) {
  HttpResponse r = json_error_response(e, request_id);
  r.content_type = std::string(kJson10);
  add_query_error_header(&r, e);
  return r;
}

HttpResponse cbor_error(const AwsError& e, std::string_view request_id) {
  HttpResponse r{e.http_status, "application/cbor", {}, cbor_error_body(e)};
  r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  r.headers.emplace_back("smithy-protocol", "rpc-v2-cbor");
  add_query_error_header(&r, e);
  return r;
}

AwsError error_of(const Status& st) {
  return to_aws_error(st, kCloudWatchErrors);
}

AwsError unknown_operation(std::string_view code, std::string_view op, int http_status = 400) {
  AwsError e;
  e.http_status = http_status;
  e.code = std::string(code);
  e.message = fmt::format("The action or operation '{}' is not valid for this endpoint.", op);
  return e;
}

Result<std::string> run_operation(const AwsApiDeps& deps, const HttpRequest& req,
                                  const CwOperation& op, std::string_view json) {
  CwContext ctx;
  ctx.tenant = request_tenant(req);
  ctx.tenants = request_tenants(req);
  ctx.now_ms = (deps.clock != nullptr ? deps.clock : Clock::real())->now_ms();
  return op(ctx, json);
}

Result<std::string> body_of(const AwsApiDeps& deps, const HttpRequest& req) {
  auto body = decoded_body(req, deps.max_body, deps.max_decoded, "AWS request body");
  if (!body.ok() && body.status().code() == Code::kResourceExhausted) {
    return Status::resource_exhausted("RequestEntityTooLarge: " + body.status().message());
  }
  if (!body.ok())
    return Status::invalid_argument("InvalidParameterValue: " + body.status().message());
  return body;
}

HttpResponse cloudwatch_json(const AwsApiDeps& deps, HttpRequest& req, std::string_view op_name,
                             const std::string& request_id) {
  auto it = deps.cloudwatch.find(op_name);
  if (it == deps.cloudwatch.end()) {
    return json_error(unknown_operation("UnknownOperationException", op_name), request_id);
  }
  auto body = body_of(deps, req);
  if (!body.ok()) return json_error(error_of(body.status()), request_id);
  auto out = run_operation(deps, req, it->second, body->empty() ? "{}" : *body);
  if (!out.ok()) return json_error(error_of(out.status()), request_id);
  HttpResponse r{200, std::string(kJson10), {}, std::move(*out)};
  r.headers.emplace_back("x-amzn-RequestId", request_id);
  return r;
}

HttpResponse cloudwatch_query(const AwsApiDeps& deps, HttpRequest& req,
                              const std::string& request_id) {
  auto query_error = [&](const Status& st) {
    return query_error_response(error_of(st), request_id, kCloudWatchXmlns);
  };
  auto body = body_of(deps, req);
  if (!body.ok()) return query_error(body.status());
  // The form body (decoded here, so gzip bodies work too), then the URL's query parameters.
  std::vector<std::pair<std::string, std::string>> fields;
  parse_query(*body, &fields);
  if (auto q = std::string_view(req.target).find('?'); q != std::string_view::npos) {
    parse_query(std::string_view(req.target).substr(q + 1), &fields);
  }
  std::string action;
  for (const auto& [k, v] : fields) {
    if (k == "Action") {
      action = v;
      break;
    }
  }
  if (action.empty()) {
    return query_error(
        Status::invalid_argument("MissingAction: The request must contain the "
                                 "parameter Action."));
  }
  auto it = deps.cloudwatch.find(action);
  if (it == deps.cloudwatch.end()) {
    return query_error_response(unknown_operation("InvalidAction", action), request_id,
                                kCloudWatchXmlns);
  }
  auto json = query_to_json(fields, cloudwatch_shapes());
  if (!json.ok()) return query_error(json.status());
  auto out = run_operation(deps, req, it->second, *json);
  if (!out.ok()) return query_error(out.status());
  auto xml = json_to_query_xml(action, *out, request_id, kCloudWatchXmlns, cloudwatch_shapes());
  if (!xml.ok()) return query_error(Status::internal(xml.status().message()));
  HttpResponse r{200, "text/xml", {}, std::move(*xml)};
  r.headers.emplace_back("x-amzn-RequestId", request_id);
  return r;
}

HttpResponse post_root(const AwsApiDeps& deps, HttpRequest& req) {
  std::string request_id = new_request_id();
  if (auto target = req.header("x-amz-target")) {
    if (target->starts_with(kCloudWatchTarget)) {
      return cloudwatch_json(deps, req, target->substr(kCloudWatchTarget.size()), request_id);
    }
    if (target->starts_with(kLogsTarget)) {
      std::string_view op = target->substr(kLogsTarget.size());
      if (deps.logs) return deps.logs(req, op);
      HttpResponse r =
          json_error_response(unknown_operation("UnknownOperationException", op), request_id);
      r.content_type = "application/x-amz-json-1.1";
      return r;
    }
    return json_error_response(unknown_operation("UnknownOperationException", *target), request_id);
  }
  return cloudwatch_query(deps, req, request_id);
}

HttpResponse post_cbor(const AwsApiDeps& deps, HttpRequest& req) {
  std::string request_id = new_request_id();
  std::string op_name = req.path_params["op"];
  auto it = deps.cloudwatch.find(op_name);
  if (it == deps.cloudwatch.end()) {
    // RPC v2 CBOR: an unknown operation is 404 UnknownOperationException.
    return cbor_error(unknown_operation("UnknownOperationException", op_name, 404), request_id);
  }
  auto body = body_of(deps, req);
  if (!body.ok()) return cbor_error(error_of(body.status()), request_id);
  auto json = cbor_to_json(*body);
  if (!json.ok()) return cbor_error(error_of(json.status()), request_id);
  auto out = run_operation(deps, req, it->second, *json);
  if (!out.ok()) return cbor_error(error_of(out.status()), request_id);
  auto cbor = json_to_cbor(*out, cloudwatch_shapes());
  if (!cbor.ok())
    return cbor_error(error_of(Status::internal(cbor.status().message())), request_id);
  HttpResponse r{200, "application/cbor", {}, std::move(*cbor)};
  r.headers.emplace_back("x-amzn-RequestId", request_id);
  r.headers.emplace_back("smithy-protocol", "rpc-v2-cbor");
  return r;
}

}  // namespace

void register_aws_api(Router& router, const AwsApiDeps& deps) {
  router.add("POST", "/", [deps](HttpRequest& r) { return post_root(deps, r); });
  router.add("POST", "/service/GraniteServiceVersion20100801/operation/:op",
             [deps](HttpRequest& r) { return post_cbor(deps, r); });
}

}  // namespace opsight::api::aws

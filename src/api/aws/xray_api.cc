// X-Ray REST-JSON front end over apm::xray::SamplingService and the trace store (xray_api.h).
#include "api/aws/xray_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "api/api_util.h"
#include "api/span_commit.h"
#include "common/json_writer.h"
#include "common/logging.h"
#include "common/self_metrics.h"
#include "ingest/aws/xray_segment.h"

namespace opsight::api {
namespace {

namespace xray = apm::xray;

struct Probe {
  metrics::Counter* received;
  metrics::Counter* rejected;
  metrics::Counter* spans;
  Probe() {
    auto& r = metrics::Registry::global();
    received = r.counter("opsight_xray_segments_received_total",
                         "X-Ray segment documents received (daemon UDP and PutTraceSegments)");
    rejected = r.counter("opsight_xray_segments_rejected_total",
                         "X-Ray segment documents rejected (bad document or limit)");
    spans = r.counter("opsight_ingest_spans_accepted_total", "Spans stored, by protocol",
                      Labels{{"protocol", "xray"}});
  }
};

Probe& probe() {
  static Probe p;
  return p;
}

// AWS REST-JSON error: x-amzn-ErrorType header and {"__type", "message"}.
HttpResponse aws_error(const Status& st) {
  std::string_view type = "InvalidRequestException";
  int status = 400;
  switch (st.code()) {
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
      break;
    case Code::kResourceExhausted:
      type = "ThrottledException";
      status = 429;
      break;
    case Code::kUnimplemented:
      type = "InvalidRequestException";
      status = 501;
      break;
    default:
      type = "InternalFailure";
      status = 500;
  }
  json::Writer w;
  w.begin_object().kv("__type", type).kv("message", st.message()).end_object();
  HttpResponse r = HttpResponse::json(status, w.take());
  r.headers.emplace_back("x-amzn-ErrorType", std::string(type));
  if (status == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

std::string_view body_or_empty(const HttpRequest& req) {
  return req.body.empty() ? std::string_view("{}") : std::string_view(req.body);
}

HttpResponse get_rules(const XrayApiDeps& d, HttpRequest& req, xray::TimeStyle style) {
  const storage::Tenant tenant = request_tenant(req);
  auto rules = d.sampling->rules(tenant);
  if (!rules.ok()) return aws_error(rules.status());
  return HttpResponse::json(200, xray::get_sampling_rules_response(*rules, tenant, style));
}

HttpResponse targets(const XrayApiDeps& d, HttpRequest& req, xray::TimeStyle style) {
  auto docs = xray::parse_sampling_targets_request(body_or_empty(req));
  if (!docs.ok()) return aws_error(docs.status());
  auto t = d.sampling->targets(request_tenant(req), *docs);
  if (!t.ok()) return aws_error(t.status());
  return HttpResponse::json(200, xray::sampling_targets_response(*t, style));
}

HttpResponse record(const Result<xray::SamplingRuleRecord>& r, const storage::Tenant& tenant) {
  if (!r.ok()) return aws_error(r.status());
  return HttpResponse::json(200, xray::sampling_rule_record_response(*r, tenant));
}

HttpResponse put_trace_segments(const XrayApiDeps& d, HttpRequest& req) {
  if (d.traces == nullptr) return aws_error(Status::unimplemented("PutTraceSegments is off"));
  simdjson::padded_string padded(req.body);
  simdjson::dom::parser parser;
  simdjson::dom::array docs;
  if (parser.parse(padded)["TraceSegmentDocuments"].get_array().get(docs)) {
    return aws_error(Status::invalid_argument(
        "PutTraceSegments: TraceSegmentDocuments is required (an array of JSON strings)"));
  }
  std::vector<std::string_view> texts;
  for (simdjson::dom::element e : docs) {
    std::string_view s;
    if (e.get_string().get(s)) {
      return aws_error(Status::invalid_argument(
          "PutTraceSegments: every TraceSegmentDocuments item must be a string"));
    }
    texts.push_back(s);
  }
  auto result = write_xray_segments(d, request_tenant(req), texts);
  if (!result.ok()) return aws_error(result.status());
  json::Writer w;
  w.begin_object().key("UnprocessedTraceSegments").begin_array();
  for (const auto& [index, rule] : result->rejected) {
    // The segment id when the document has a readable one.
    std::string id;
    simdjson::padded_string p(texts[index]);
    simdjson::dom::parser idp;
    std::string_view v;
    if (!idp.parse(p)["id"].get_string().get(v)) id = std::string(v);
    w.begin_object().kv("Id", id).kv("ErrorCode", "InvalidSegment").kv("Message", rule);
    w.end_object();
  }
  w.end_array().end_object();
  return HttpResponse::json(200, w.take());
}

}  // namespace

xray::TimeStyle daemon_time_style(const HttpRequest& req) {
  auto ua = req.header("user-agent");
  return ua && !ua->empty() ? xray::TimeStyle::kEpochSeconds : xray::TimeStyle::kXraySdkNode;
}

Result<XrayIngestResult> write_xray_segments(const XrayApiDeps& deps, const storage::Tenant& tenant,
                                             std::span<const std::string_view> documents) {
  XrayIngestResult out;
  out.documents = documents.size();
  std::vector<storage::Span> spans;
  for (size_t i = 0; i < documents.size(); i++) {
    Status st = ingest::aws::decode_xray_segment(documents[i], deps.limits, &spans);
    if (!st.ok()) out.rejected.emplace_back(i, st.message());
  }
  probe().received->inc(documents.size());
  probe().rejected->inc(out.rejected.size());
  out.spans = spans.size();
  RETURN_IF_ERROR(commit_spans(deps.traces, deps.span_metrics, tenant, std::move(spans)));
  probe().spans->inc(out.spans);
  return out;
}

void register_xray_api(Router& router, const XrayApiDeps& deps) {
  XrayApiDeps d = deps;
  router.add("POST", "/GetSamplingRules",
             [d](HttpRequest& req) { return get_rules(d, req, xray::TimeStyle::kEpochSeconds); });
  for (std::string_view path : {"/SamplingTargets", "/GetSamplingTargets"}) {
    router.add("POST", path,
               [d](HttpRequest& req) { return targets(d, req, xray::TimeStyle::kEpochSeconds); });
  }
  router.add("POST", "/CreateSamplingRule", [d](HttpRequest& req) {
    const storage::Tenant tenant = request_tenant(req);
    auto rule = xray::parse_create_sampling_rule_request(body_or_empty(req));
    if (!rule.ok()) return aws_error(rule.status());
    return record(d.sampling->create_rule(tenant, *rule), tenant);
  });
  router.add("POST", "/UpdateSamplingRule", [d](HttpRequest& req) {
    const storage::Tenant tenant = request_tenant(req);
    auto upd = xray::parse_update_sampling_rule_request(body_or_empty(req));
    if (!upd.ok()) return aws_error(upd.status());
    return record(d.sampling->update_rule(tenant, *upd), tenant);
  });
  router.add("POST", "/DeleteSamplingRule", [d](HttpRequest& req) {
    const storage::Tenant tenant = request_tenant(req);
    auto name = xray::parse_delete_sampling_rule_request(body_or_empty(req));
    if (!name.ok()) return aws_error(name.status());
    return record(d.sampling->delete_rule(tenant, *name), tenant);
  });
  router.add("POST", "/SamplingStatisticSummaries", [d](HttpRequest& req) {
    auto s = d.sampling->statistic_summaries(request_tenant(req));
    return HttpResponse::json(200, xray::sampling_statistic_summaries_response(s));
  });
  router.add("POST", "/TraceSegments",
             [d](HttpRequest& req) { return put_trace_segments(d, req); });
}

void register_xray_daemon_api(Router& router, const XrayApiDeps& deps) {
  XrayApiDeps d = deps;
  router.add("POST", "/GetSamplingRules",
             [d](HttpRequest& req) { return get_rules(d, req, daemon_time_style(req)); });
  router.add("POST", "/SamplingTargets",
             [d](HttpRequest& req) { return targets(d, req, daemon_time_style(req)); });
}

}  // namespace opsight::api

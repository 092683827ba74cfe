// X-Ray REST-JSON front end over apm::xray::SamplingService and the trace store (xray_api.h).
#include "api/aws/xray_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "api/api_util.h"
#include "api/aws/protocol/aws_error.h"
#include "api/aws/xray_trace_api.h"
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

std::string_view body_or_empty(const HttpRequest& req) {
  return req.body.empty() ? std::string_view("{}") : std::string_view(req.body);
}

HttpResponse get_rules(const XrayApiDeps& d, HttpRequest& req, xray::TimeStyle style) {
  const storage::Tenant tenant = request_tenant(req);
  auto rules = d.sampling->rules(tenant);
  if (!rules.ok()) return xray_error(rules.status());
  return xray_ok(xray::get_sampling_rules_response(*rules, tenant, style));
}

HttpResponse targets(const XrayApiDeps& d, HttpRequest& req, xray::TimeStyle style) {
  auto docs = xray::parse_sampling_targets_request(body_or_empty(req));
  if (!docs.ok()) return xray_error(docs.status());
  auto t = d.sampling->targets(request_tenant(req), *docs);
  if (!t.ok()) return xray_error(t.status());
  return xray_ok(xray::sampling_targets_response(*t, style));
}

HttpResponse record(const Result<xray::SamplingRuleRecord>& r, const storage::Tenant& tenant) {
  // The sampling rule operations document only InvalidRequestException for a rule that does
  // not exist (kXrayErrors would say ResourceNotFoundException).
  if (!r.ok() && r.status().code() == Code::kNotFound) {
    return xray_error(Status::invalid_argument(r.status().message()));
  }
  if (!r.ok()) return xray_error(r.status());
  return xray_ok(xray::sampling_rule_record_response(*r, tenant));
}

HttpResponse put_trace_segments(const XrayApiDeps& d, HttpRequest& req) {
  if (d.traces == nullptr) return xray_error(Status::unimplemented("PutTraceSegments is off"));
  simdjson::padded_string padded(req.body);
  simdjson::dom::parser parser;
  simdjson::dom::array docs;
  if (parser.parse(padded)["TraceSegmentDocuments"].get_array().get(docs)) {
    return xray_error(Status::invalid_argument(
        "PutTraceSegments: TraceSegmentDocuments is required (an array of JSON strings)"));
  }
  std::vector<std::string_view> texts;
  for (simdjson::dom::element e : docs) {
    std::string_view s;
    if (e.get_string().get(s)) {
      return xray_error(Status::invalid_argument(
          "PutTraceSegments: every TraceSegmentDocuments item must be a string"));
    }
    texts.push_back(s);
  }
  auto result = write_xray_segments(d, request_tenant(req), texts);
  if (!result.ok()) return xray_error(result.status());
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
  return xray_ok(w.take());
}

}  // namespace

HttpResponse xray_ok(std::string body) {
  HttpResponse r = HttpResponse::json(200, std::move(body));
  r.headers.emplace_back("x-amzn-RequestId", aws::new_request_id());
  return r;
}

HttpResponse xray_error(const Status& st) {
  aws::AwsError e = aws::to_aws_error(st, aws::kXrayErrors);
  // An overloaded store (no code of its own in the message) is X-Ray's throttling answer.
  const bool coded = e.message.size() != st.message().size();
  if (st.code() == Code::kResourceExhausted && !coded) {
    e.code = "ThrottledException";
    e.http_status = 429;
  } else if (st.code() == Code::kUnimplemented) {
    e.http_status = 501;
  }
  HttpResponse r = aws::json_error_response(e, aws::new_request_id());
  if (r.status == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

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
    if (!rule.ok()) return xray_error(rule.status());
    return record(d.sampling->create_rule(tenant, *rule), tenant);
  });
  router.add("POST", "/UpdateSamplingRule", [d](HttpRequest& req) {
    const storage::Tenant tenant = request_tenant(req);
    auto upd = xray::parse_update_sampling_rule_request(body_or_empty(req));
    if (!upd.ok()) return xray_error(upd.status());
    return record(d.sampling->update_rule(tenant, *upd), tenant);
  });
  router.add("POST", "/DeleteSamplingRule", [d](HttpRequest& req) {
    const storage::Tenant tenant = request_tenant(req);
    auto name = xray::parse_delete_sampling_rule_request(body_or_empty(req));
    if (!name.ok()) return xray_error(name.status());
    return record(d.sampling->delete_rule(tenant, *name), tenant);
  });
  router.add("POST", "/SamplingStatisticSummaries", [d](HttpRequest& req) {
    auto s = d.sampling->statistic_summaries(request_tenant(req));
    return xray_ok(xray::sampling_statistic_summaries_response(s));
  });
  router.add("POST", "/TraceSegments",
             [d](HttpRequest& req) { return put_trace_segments(d, req); });
  register_xray_trace_api(router, d);
}

void register_xray_daemon_api(Router& router, const XrayApiDeps& deps) {
  XrayApiDeps d = deps;
  router.add("POST", "/GetSamplingRules",
             [d](HttpRequest& req) { return get_rules(d, req, daemon_time_style(req)); });
  router.add("POST", "/SamplingTargets",
             [d](HttpRequest& req) { return targets(d, req, daemon_time_style(req)); });
}

}  // namespace opsight::api

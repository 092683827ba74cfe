#pragma once
// The X-Ray front end (AWS X-Ray API reference, REST-JSON protocol; docs/xray.md has examples).
//
// On the main HTTP port (AWS CLI / SDKs with --endpoint-url):
//   POST /CreateSamplingRule          {"SamplingRule": {...}}        -> {"SamplingRuleRecord"}
//   POST /UpdateSamplingRule          {"SamplingRuleUpdate": {...}}  -> {"SamplingRuleRecord"}
//   POST /DeleteSamplingRule          {"RuleName"} | {"RuleARN"}      -> {"SamplingRuleRecord"}
//   POST /GetSamplingRules            {}                              -> {"SamplingRuleRecords"}
//   POST /SamplingTargets             GetSamplingTargets (also at /GetSamplingTargets)
//   POST /SamplingStatisticSummaries  GetSamplingStatisticSummaries
//   POST /TraceSegments               PutTraceSegments {"TraceSegmentDocuments": ["{...}"]}
//   POST /TraceSummaries, /Traces, /ServiceGraph — GetTraceSummaries, BatchGetTraces,
//                                     GetServiceGraph (xray_trace_api.h)
// Times are epoch seconds (JSON numbers). Every response carries x-amzn-RequestId. Errors
// (api/aws/protocol/aws_error.h, kXrayErrors): HTTP 400 / 429 (ThrottledException) / 500 with the
// header x-amzn-ErrorType and {"__type": "InvalidRequestException", "message": "..."}.
//
// On the daemon's TCP port (the X-Ray daemon's sampling proxy, what the X-Ray SDKs call):
//   POST /GetSamplingRules, POST /SamplingTargets — the same answers, with the time style of
//   daemon_time_style().

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/http.h"
#include "apm/service_graph.h"
#include "apm/span_metrics.h"
#include "apm/xray_sampling/sampling_service.h"
#include "common/clock.h"
#include "ingest/traces/otlp_traces_model.h"
#include "query/tracefilter/search.h"
#include "storage/trace_store.h"

namespace opsight::api {

struct XrayApiDeps {
  apm::xray::SamplingService* sampling;
  storage::TraceStore* traces;  // PutTraceSegments; nullptr = 501
  ingest::traces::TraceLimits limits;
  // Span-derived metrics (apm/span_metrics.h) counting each committed batch; null = off.
  apm::SpanMetrics* span_metrics = nullptr;
  // GetTraceSummaries, BatchGetTraces, GetServiceGraph (xray_trace_api.h).
  Clock* clock = nullptr;  // nullptr = Clock::real()
  query::tracefilter::SearchOptions search{};
  apm::ServiceGraphOptions service_graph{};
};

// Registers every main-port path above (the trace reads through register_xray_trace_api).
void register_xray_api(Router& router, const XrayApiDeps& deps);
void register_xray_daemon_api(Router& router, const XrayApiDeps& deps);

// The time style of a request on the daemon port: aws-xray-sdk-core (Node.js) sends its
// sampling requests with Node's bare http.request, i.e. without a User-Agent header, and parses
// times its own way (apm::xray::TimeStyle::kXraySdkNode); every AWS SDK, Go's net/http, Java,
// Python and curl send a User-Agent and get AWS's wire form (kEpochSeconds).
apm::xray::TimeStyle daemon_time_style(const HttpRequest& req);

// An X-Ray answer: 200 with the JSON body and a fresh x-amzn-RequestId.
HttpResponse xray_ok(std::string body);
// An X-Ray error (aws::to_aws_error with kXrayErrors) with x-amzn-RequestId; ResourceExhausted
// without a code prefix is ThrottledException (HTTP 429, Retry-After: 1), Unimplemented is 501.
HttpResponse xray_error(const Status& st);

struct XrayIngestResult {
  size_t documents = 0;
  size_t spans = 0;
  // (index of the document, the rule it breaks) for every rejected document.
  std::vector<std::pair<size_t, std::string>> rejected;
};

// Decodes X-Ray segment documents and appends and commits their spans (durable on return).
// Bad documents are rejected one by one; the good ones are stored. A non-ok status (the store
// refused the commit) means nothing of this call was stored. Counts into the self-metrics
// opsight_xray_segments_received_total / _rejected_total and
// opsight_ingest_spans_accepted_total{protocol="xray"}.
// `deps.traces` must be set; deps.span_metrics (when set) counts the committed spans.
Result<XrayIngestResult> write_xray_segments(const XrayApiDeps& deps, const storage::Tenant& tenant,
                                             std::span<const std::string_view> documents);

}  // namespace opsight::api
